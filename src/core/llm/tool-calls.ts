/**
 * Tool calling for chat requests. Tools are described to the model by the chat template when it
 * renders `tools`, otherwise by a system message. `required` and a named tool_choice constrain
 * the output with a grammar to a call object `{"name": ..., "arguments": {...}}`; `auto` lets
 * the model choose and recognizes a call in its output (bare JSON, a JSON array of calls,
 * `<tool_call>` tags or a fenced block).
 */
import { randomUUID } from 'node:crypto';
import { checkJsonSchema, JsonSchemaError, validateJson } from './json-schema.js';
import { badParam } from './llm-errors.js';
import type { ChatMessage, ChatToolCall, ToolChoice, ToolDefinition } from './types.js';

/** How the tools of one request shape its prompt, constraint and output. */
export interface ToolPlan {
  readonly messages: readonly ChatMessage[];
  /** A call-object schema the output must match (required / named choice). */
  readonly schema?: Readonly<Record<string, unknown>>;
  /** `forced`: the output is a call; `auto`: it may be; `none`: it is text. */
  readonly mode: 'none' | 'auto' | 'forced';
  readonly tools: readonly ToolDefinition[];
}

const EMPTY_PARAMETERS = { type: 'object', properties: {} } as const;

function callSchema(tool: ToolDefinition): Record<string, unknown> {
  return {
    type: 'object',
    properties: { name: { const: tool.name }, arguments: tool.parameters ?? EMPTY_PARAMETERS },
    required: ['name', 'arguments'],
    additionalProperties: false,
  };
}

function describeTools(tools: readonly ToolDefinition[]): string {
  const list = tools.map((t) => ({ name: t.name, description: t.description ?? '', parameters: t.parameters ?? EMPTY_PARAMETERS }));
  return (
    'You can call functions. To call one, reply with only a JSON object of the form ' +
    '{"name": <function name>, "arguments": <arguments object>}.\nAvailable functions:\n' +
    JSON.stringify(list)
  );
}

/** Checks tool definitions and plans the request; throws INVALID_ARGUMENT for bad tools or choices. */
export function planTools(
  messages: readonly ChatMessage[],
  tools: readonly ToolDefinition[] | undefined,
  choice: ToolChoice | undefined,
  templateHandlesTools: boolean,
): ToolPlan {
  const list = tools ?? [];
  const names = new Set<string>();
  list.forEach((t, i) => {
    if (names.has(t.name)) throw badParam(`duplicate tool name '${t.name}'`, `tools[${i}].function.name`);
    names.add(t.name);
    if (t.parameters === undefined) return;
    try {
      checkJsonSchema(t.parameters);
    } catch (err) {
      if (err instanceof JsonSchemaError) throw badParam(`invalid parameters schema of tool '${t.name}': ${err.message}`, `tools[${i}].function.parameters`);
      throw err;
    }
  });
  const effective = choice ?? (list.length > 0 ? 'auto' : 'none');
  if (list.length === 0) {
    if (effective !== 'none') throw badParam('tool_choice requires tools', 'tool_choice');
    return { messages, mode: 'none', tools: list };
  }
  const withDescription = templateHandlesTools || effective === 'none' ? messages : [{ role: 'system' as const, content: describeTools(list) }, ...messages];
  if (effective === 'none') return { messages: withDescription, mode: 'none', tools: list };
  if (effective === 'auto') return { messages: withDescription, mode: 'auto', tools: list };
  if (effective === 'required') {
    const schema = list.length === 1 ? callSchema(list[0]!) : { oneOf: list.map(callSchema) };
    return { messages: withDescription, mode: 'forced', tools: list, schema };
  }
  const tool = list.find((t) => t.name === effective.name);
  if (!tool) throw badParam(`tool_choice names '${effective.name}', which is not in tools`, 'tool_choice');
  return { messages: withDescription, mode: 'forced', tools: [tool], schema: callSchema(tool) };
}

/** True while `text` could still be the start of a tool call (so streaming must hold it back). */
export function mayBeToolCall(text: string): boolean {
  const t = text.trimStart();
  if (t.length === 0) return true;
  return t.startsWith('{') || t.startsWith('[') || '<tool_call>'.startsWith(t.slice(0, 11)) || '```'.startsWith(t.slice(0, 3));
}

function unwrap(text: string): string {
  let t = text.trim();
  const tagged = /^<tool_call>([\s\S]*?)<\/tool_call>$/.exec(t);
  if (tagged) t = tagged[1]!.trim();
  const fenced = /^```(?:json)?\s*([\s\S]*?)```$/.exec(t);
  if (fenced) t = fenced[1]!.trim();
  return t;
}

/**
 * The tool calls in `text`, or undefined when it is not (only) calls to known tools. Arguments
 * are validated against the tool's parameter schema; a mismatch throws JsonSchemaError.
 */
export function parseToolCalls(text: string, tools: readonly ToolDefinition[]): ChatToolCall[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(unwrap(text));
  } catch {
    return undefined;
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0) return undefined;
  const calls: ChatToolCall[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { name, arguments: args, parameters } = item as Record<string, unknown>;
    const tool = tools.find((t) => t.name === name);
    const value = args ?? parameters ?? {};
    if (!tool || typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    if (tool.parameters) validateJson(value, tool.parameters);
    calls.push({ id: `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`, name: tool.name, arguments: JSON.stringify(value) });
  }
  return calls;
}
