import { describe, expect, it } from 'vitest';
import { mayBeToolCall, parseToolCalls, planTools } from './tool-calls.js';
import type { ToolDefinition } from './types.js';

const weather: ToolDefinition = { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const time: ToolDefinition = { name: 'time' };
const messages = [{ role: 'user' as const, content: 'hi' }];

describe('planTools', () => {
  it('describes tools in a system message unless the template renders them', () => {
    const plan = planTools(messages, [weather], 'auto', false);
    expect(plan.mode).toBe('auto');
    expect(plan.messages[0]!.role).toBe('system');
    expect(plan.messages[0]!.content).toContain('"weather"');
    expect(planTools(messages, [weather], 'auto', true).messages).toBe(messages);
  });

  it('forces a call schema for required (all tools) and for a named tool', () => {
    const required = planTools(messages, [weather, time], 'required', true);
    expect(required.mode).toBe('forced');
    expect((required.schema as { oneOf: unknown[] }).oneOf).toHaveLength(2);
    const named = planTools(messages, [weather, time], { name: 'time' }, true);
    expect(named.schema).toMatchObject({ properties: { name: { const: 'time' } }, required: ['name', 'arguments'] });
    expect(named.tools).toEqual([time]);
  });

  it('rejects bad tool setups with the parameter named', () => {
    expect(() => planTools(messages, [weather, weather], 'auto', true)).toThrow(/duplicate tool/);
    expect(() => planTools(messages, [weather], { name: 'nope' }, true)).toThrow(/not in tools/);
    expect(() => planTools(messages, undefined, 'required', true)).toThrow(/requires tools/);
    expect(() => planTools(messages, [{ name: 'x', parameters: { type: 'wat' } }], 'auto', true)).toThrow(/invalid parameters schema/);
  });
});

describe('parseToolCalls', () => {
  it('recognizes bare JSON, arrays, tags and fences', () => {
    expect(parseToolCalls('{"name": "weather", "arguments": {"city": "Oslo"}}', [weather])![0]).toMatchObject({ name: 'weather', arguments: '{"city":"Oslo"}' });
    expect(parseToolCalls('[{"name":"time","arguments":{}},{"name":"weather","parameters":{"city":"x"}}]', [weather, time])).toHaveLength(2);
    expect(parseToolCalls('<tool_call>\n{"name":"time","arguments":{}}\n</tool_call>', [time])).toHaveLength(1);
    expect(parseToolCalls('```json\n{"name":"time","arguments":{}}\n```', [time])).toHaveLength(1);
  });

  it('returns undefined for text or unknown tools, and throws on schema mismatches', () => {
    expect(parseToolCalls('Hello!', [time])).toBeUndefined();
    expect(parseToolCalls('{"name":"other","arguments":{}}', [time])).toBeUndefined();
    expect(() => parseToolCalls('{"name":"weather","arguments":{"city": 5}}', [weather])).toThrow(/expected string/);
  });

  it('gives each call a unique id', () => {
    const [a, b] = parseToolCalls('[{"name":"time","arguments":{}},{"name":"time","arguments":{}}]', [time])!;
    expect(a!.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(a!.id).not.toBe(b!.id);
  });
});

describe('mayBeToolCall', () => {
  it('holds back text that may start a call', () => {
    for (const t of ['', '  ', '{', ' [', '<tool', '<tool_call>{', '`', '```json']) expect(mayBeToolCall(t)).toBe(true);
    for (const t of ['Hello', ' The', '<b>', 'x{']) expect(mayBeToolCall(t)).toBe(false);
  });
});
