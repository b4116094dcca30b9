import { describe, expect, it } from 'vitest';
import type { SequenceEvent } from '../scheduling/llm-sequence.js';
import { fakeVocabulary } from '../../../test/llm/fake-iterative-instance.js';
import { generationEvents, type OutputHandling } from './generation-stream.js';
import type { GenerationEvent } from './types.js';

const plain: OutputHandling = { logprobs: false, trimTrailingWhitespace: false };

async function* script(texts: string[], reason: 'stop' | 'length' = 'stop', tail = ''): AsyncGenerator<SequenceEvent> {
  for (const text of texts) yield { type: 'token', sample: { token: 2, logprob: -1, top: [{ token: 2, logprob: -1 }] }, text };
  yield { type: 'finish', reason, text: tail, promptTokens: 3, completionTokens: texts.length, cachedPromptTokens: 1 };
}

async function run(events: AsyncIterable<SequenceEvent>, handling: OutputHandling): Promise<GenerationEvent[]> {
  const out: GenerationEvent[] = [];
  for await (const e of generationEvents(events, fakeVocabulary, handling)) out.push(e);
  return out;
}

describe('generationEvents', () => {
  it('passes text through, skips empty deltas and ends with usage', async () => {
    const out = await run(script(['a', '', 'b'], 'length', 'c'), plain);
    expect(out).toEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
      { type: 'text', text: 'c' },
      { type: 'done', finishReason: 'length', usage: { promptTokens: 3, completionTokens: 3, cachedPromptTokens: 1 } },
    ]);
  });

  it('attaches log-probabilities of tokens whose text was held back to the next delta', async () => {
    const out = await run(script(['', 'xy']), { ...plain, logprobs: true });
    const text = out.filter((e) => e.type === 'text');
    expect(text).toHaveLength(1);
    expect(text[0]).toMatchObject({ text: 'xy', logprobs: [{ token: 2, text: 'a', logprob: -1 }, { token: 2 }] });
  });

  it('recognizes a tool call in auto mode and never streams its JSON', async () => {
    const tools = { mode: 'auto' as const, tools: [{ name: 'time' }] };
    const out = await run(script(['{"name":', ' "time", "arguments": {}}']), { ...plain, tools });
    expect(out.map((e) => e.type)).toEqual(['tool_calls', 'done']);
    expect(out[1]).toMatchObject({ finishReason: 'tool_calls' });
  });

  it('releases held-back text once it cannot be a call, and at the end when it is not one', async () => {
    const tools = { mode: 'auto' as const, tools: [{ name: 'time' }] };
    const prose = await run(script([' ', 'Hello', ' world']), { ...plain, tools });
    expect(prose.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text)).toEqual([' Hello', ' world']);
    const brace = await run(script(['{', 'not json']), { ...plain, tools });
    expect(brace.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text).join('')).toBe('{not json');
    expect(brace.at(-1)).toMatchObject({ finishReason: 'stop' });
  });

  it('trims trailing grammar whitespace without delaying inner whitespace', async () => {
    const out = await run(script(['{"a":', ' 1', '}', '\n', '\n']), { ...plain, trimTrailingWhitespace: true, json: {} });
    expect(out.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text)).toEqual(['{"a":', ' 1', '}']);
  });

  it('fails when JSON output does not match the schema', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    await expect(run(script(['{"n": 9e-3}']), { ...plain, json: { schema } })).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('expected integer') });
    await expect(run(script(['{"n": 2}']), { ...plain, json: { schema } })).resolves.toHaveLength(2);
    await expect(run(script(['{"n": 2'], 'length'), { ...plain, json: { schema } })).resolves.toHaveLength(2);
  });
});
