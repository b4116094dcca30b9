/**
 * `/v1/chat/completions` wire ⇄ core: request bodies become GenerateRequests with chat prompts,
 * tools and response formats; generation results become `chat.completion` objects and
 * `chat.completion.chunk` stream events. Pure functions, unit-tested.
 */
import type { ChatMessage, ChatRole, ChatToolCall, FinishReason, GenerateRequest, LlmUsage, OutputConstraint, TokenLogprob, ToolChoice, ToolDefinition } from '../../core/llm/index.js';
import { badParam } from '../../core/llm/llm-errors.js';
import { RequestReader } from './request-reader.js';
import { MAX_TOP_LOGPROBS, chatLogprobs, commonGeneration, usageJson, type CommonGeneration } from './translate-common.js';

/** A validated chat completion request. */
export interface ChatCall extends CommonGeneration {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolDefinition[];
  readonly toolChoice?: ToolChoice;
  /** Alternatives per token; undefined when the client did not ask for log-probabilities. */
  readonly logprobs?: number;
}

const ROLES = new Set<ChatRole>(['system', 'developer', 'user', 'assistant', 'tool']);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function contentText(m: RequestReader, param: string): string {
  const content = m.raw('content');
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw badParam(`${param}.content must be a string or an array of content parts`, `${param}.content`);
  return content
    .map((part, j) => {
      const p = new RequestReader(RequestReader.object(part, `${param}.content[${j}]`), `${param}.content[${j}]`);
      const type = p.string('type');
      if (type !== 'text' && type !== 'input_text') throw badParam(`content part type '${type}' is not supported by this model`, `${param}.content[${j}].type`);
      return p.string('text');
    })
    .join('');
}

function toolCalls(m: RequestReader, param: string): ChatToolCall[] | undefined {
  const calls = m.optArray('tool_calls');
  if (!calls) return undefined;
  return calls.map((c, j) => {
    const call = new RequestReader(RequestReader.object(c, `${param}.tool_calls[${j}]`), `${param}.tool_calls[${j}]`);
    const fn = call.optObject('function');
    if (!fn) throw badParam(`${param}.tool_calls[${j}].function is required`, `${param}.tool_calls[${j}].function`);
    return { id: call.string('id'), name: fn.string('name'), arguments: fn.optString('arguments') ?? '{}' };
  });
}

function message(raw: unknown, i: number): ChatMessage {
  const param = `messages[${i}]`;
  const m = new RequestReader(RequestReader.object(raw, param), param);
  const role = m.string('role') as ChatRole;
  if (!ROLES.has(role)) throw badParam(`${param}.role must be one of system, developer, user, assistant, tool; got '${role}'`, `${param}.role`);
  const calls = role === 'assistant' ? toolCalls(m, param) : undefined;
  if (role === 'tool' && !m.has('tool_call_id')) throw badParam(`${param}.tool_call_id is required for tool messages`, `${param}.tool_call_id`);
  if (role !== 'assistant' && !m.has('content')) throw badParam(`${param}.content is required`, `${param}.content`);
  const name = m.optString('name');
  const toolCallId = role === 'tool' ? m.string('tool_call_id') : undefined;
  return {
    role,
    content: contentText(m, param),
    ...(name ? { name } : {}),
    ...(calls ? { toolCalls: calls } : {}),
    ...(toolCallId ? { toolCallId } : {}),
  };
}

function tools(r: RequestReader): ToolDefinition[] | undefined {
  const list = r.optArray('tools');
  if (!list) return undefined;
  return list.map((t, i) => {
    const tool = new RequestReader(RequestReader.object(t, `tools[${i}]`), `tools[${i}]`);
    if (tool.string('type') !== 'function') throw badParam(`tools[${i}].type must be 'function'`, `tools[${i}].type`);
    const fn = tool.optObject('function');
    if (!fn) throw badParam(`tools[${i}].function is required`, `tools[${i}].function`);
    const name = fn.string('name');
    if (!TOOL_NAME.test(name)) throw badParam(`tools[${i}].function.name must match ${TOOL_NAME.source}`, `tools[${i}].function.name`);
    const parameters = fn.optObject('parameters')?.body;
    const description = fn.optString('description');
    return { name, ...(description ? { description } : {}), ...(parameters ? { parameters } : {}) };
  });
}

function toolChoice(r: RequestReader): ToolChoice | undefined {
  const raw = r.raw('tool_choice');
  if (raw === undefined) return undefined;
  if (raw === 'none' || raw === 'auto' || raw === 'required') return raw;
  if (typeof raw === 'string') throw badParam(`tool_choice must be none, auto, required or a function; got '${raw}'`, 'tool_choice');
  const choice = r.optObject('tool_choice')!;
  if (choice.string('type') !== 'function') throw badParam("tool_choice.type must be 'function'", 'tool_choice.type');
  return { name: choice.optObject('function')?.string('name') ?? badParamThrow('tool_choice.function.name is required', 'tool_choice.function') };
}

function badParamThrow(message: string, param: string): never {
  throw badParam(message, param);
}

function responseFormat(r: RequestReader): OutputConstraint | undefined {
  const rf = r.optObject('response_format');
  if (!rf) return undefined;
  const type = rf.string('type');
  if (type === 'text') return undefined;
  if (type === 'json_object') return { kind: 'json_object' };
  if (type !== 'json_schema') throw badParam(`response_format.type must be text, json_object or json_schema; got '${type}'`, 'response_format.type');
  const spec = rf.optObject('json_schema');
  if (!spec) throw badParam('response_format.json_schema is required', 'response_format.json_schema');
  const schema = spec.optObject('schema');
  return schema ? { kind: 'json_schema', schema: schema.body } : { kind: 'json_object' };
}

/** Validates a chat completion body. Throws INVALID_ARGUMENT naming the bad field. */
export function chatFromWire(body: unknown): ChatCall {
  const r = new RequestReader(RequestReader.object(body, ''));
  const common = commonGeneration(r, undefined);
  const rawMessages = r.optArray('messages');
  if (!rawMessages || rawMessages.length === 0) throw badParam('messages must be a non-empty array', 'messages');
  const wantLogprobs = r.optBool('logprobs') ?? false;
  const top = r.optNumber('top_logprobs', { min: 0, max: MAX_TOP_LOGPROBS, integer: true });
  if (top !== undefined && !wantLogprobs) throw badParam('top_logprobs requires logprobs: true', 'top_logprobs');
  const format = responseFormat(r);
  const toolList = tools(r);
  const choice = toolChoice(r);
  r.optString('user');
  return {
    ...common,
    ...(format && !common.constraint ? { constraint: format } : {}),
    messages: rawMessages.map(message),
    ...(toolList ? { tools: toolList } : {}),
    ...(choice ? { toolChoice: choice } : {}),
    ...(wantLogprobs ? { logprobs: top ?? 0 } : {}),
  };
}

/** The core request of choice `index` (seeds differ per choice so n > 1 gives different samples). */
export function chatGenerateRequest(call: ChatCall, id: string, index: number, signal: AbortSignal): GenerateRequest {
  return {
    id: `${id}-${index}`,
    prompt: { kind: 'chat', messages: call.messages, ...(call.tools ? { tools: call.tools } : {}), ...(call.toolChoice ? { toolChoice: call.toolChoice } : {}) },
    sampling: call.sampling.seed !== undefined ? { ...call.sampling, seed: (call.sampling.seed + index) % 2 ** 32 } : call.sampling,
    ...(call.maxTokens !== undefined ? { maxTokens: call.maxTokens } : {}),
    minTokens: call.minTokens,
    ignoreEos: call.ignoreEos,
    stop: call.stop,
    ...(call.constraint ? { constraint: call.constraint } : {}),
    ...(call.logprobs !== undefined ? { logprobs: call.logprobs } : {}),
    priority: call.priority,
    signal,
  };
}

/** One finished choice. */
export interface ChatChoiceResult {
  readonly text: string;
  readonly toolCalls?: readonly ChatToolCall[];
  readonly finishReason: FinishReason;
  readonly logprobs?: readonly TokenLogprob[];
}

function toolCallJson(c: ChatToolCall): { id: string; type: 'function'; function: { name: string; arguments: string } } {
  return { id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } };
}

/** A non-streamed `chat.completion`. */
export function chatCompletionJson(id: string, model: string, created: number, choices: readonly ChatChoiceResult[], usage: LlmUsage): unknown {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    system_fingerprint: null,
    choices: choices.map((c, index) => ({
      index,
      message: {
        role: 'assistant',
        content: c.toolCalls && c.text.length === 0 ? null : c.text,
        refusal: null,
        ...(c.toolCalls ? { tool_calls: c.toolCalls.map(toolCallJson) } : {}),
      },
      logprobs: c.logprobs ? { content: chatLogprobs(c.logprobs), refusal: null } : null,
      finish_reason: c.finishReason,
    })),
    usage: usageJson(usage),
  };
}

/** What one stream chunk carries for one choice. */
export type ChatDelta =
  | { readonly kind: 'role' }
  | { readonly kind: 'text'; readonly text: string; readonly logprobs?: readonly TokenLogprob[] }
  | { readonly kind: 'tool_calls'; readonly calls: readonly ChatToolCall[] }
  | { readonly kind: 'finish'; readonly reason: FinishReason };

/** One `chat.completion.chunk`; `withUsage` adds `usage: null` as OpenAI does when usage is requested. */
export function chatChunkJson(id: string, model: string, created: number, index: number, delta: ChatDelta, withUsage: boolean): unknown {
  const body =
    delta.kind === 'role'
      ? { role: 'assistant', content: '' }
      : delta.kind === 'text'
        ? { content: delta.text }
        : delta.kind === 'tool_calls'
          ? { tool_calls: delta.calls.map((c, i) => ({ index: i, ...toolCallJson(c) })) }
          : {};
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: null,
    choices: [
      {
        index,
        delta: body,
        logprobs: delta.kind === 'text' && delta.logprobs ? { content: chatLogprobs(delta.logprobs), refusal: null } : null,
        finish_reason: delta.kind === 'finish' ? delta.reason : null,
      },
    ],
    ...(withUsage ? { usage: null } : {}),
  };
}

/** The final usage-only chunk of `stream_options.include_usage`. */
export function chatUsageChunkJson(id: string, model: string, created: number, usage: LlmUsage): unknown {
  return { id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [], usage: usageJson(usage) };
}
