/**
 * Turns the batcher's per-token events into the generation events front-ends send: text deltas
 * (with log-probabilities of the tokens behind them), tool calls recognized in the output, and a
 * final `done` with the finish reason and usage. JSON output is parsed and validated against its
 * schema at the end; grammar whitespace padding is trimmed without delaying other text.
 */
import type { LlmVocabulary, TokenSample } from '../../backends/backend.js';
import { InferError } from '../errors.js';
import type { SequenceEvent } from '../scheduling/llm-sequence.js';
import { JsonSchemaError, validateJson } from './json-schema.js';
import { mayBeToolCall, parseToolCalls } from './tool-calls.js';
import type { FinishReason, GenerationEvent, TokenLogprob, ToolDefinition } from './types.js';

/** What to do with the output besides streaming it. */
export interface OutputHandling {
  /** Report log-probabilities (the tokens carry them). */
  readonly logprobs: boolean;
  /** Parse the whole output as JSON and validate it (json_object: any JSON object). */
  readonly json?: { readonly schema?: Readonly<Record<string, unknown>> };
  readonly tools?: { readonly mode: 'auto' | 'forced'; readonly tools: readonly ToolDefinition[] };
  /** Drop whitespace at the very end (grammar padding). */
  readonly trimTrailingWhitespace: boolean;
}

const lossy = new TextDecoder('utf-8');

function describe(vocabulary: LlmVocabulary, token: number): { token: number; text: string; bytes: number[] } {
  const bytes = vocabulary.piece(token);
  return { token, text: lossy.decode(bytes), bytes: Array.from(bytes) };
}

function toLogprob(vocabulary: LlmVocabulary, sample: TokenSample): TokenLogprob {
  return {
    ...describe(vocabulary, sample.token),
    logprob: sample.logprob ?? 0,
    top: (sample.top ?? []).map((t) => ({ ...describe(vocabulary, t.token), logprob: t.logprob })),
  };
}

/** Adapts one sequence's events; the result is consumed once. */
export async function* generationEvents(
  events: AsyncIterable<SequenceEvent>,
  vocabulary: LlmVocabulary,
  handling: OutputHandling,
): AsyncGenerator<GenerationEvent> {
  let full = '';
  let held = '';
  let trailingWs = '';
  let holding = handling.tools !== undefined;
  let pendingLogprobs: TokenLogprob[] = [];

  /** Text ready for the client after whitespace trimming and tool-call holdback. */
  const release = (text: string, final: boolean): string => {
    let out = text;
    if (handling.trimTrailingWhitespace) {
      out = trailingWs + out;
      const body = final ? out.trimEnd() : out.replace(/\s+$/, '');
      trailingWs = final ? '' : out.slice(body.length);
      out = body;
    }
    if (!holding) return out;
    held += out;
    if (handling.tools?.mode === 'auto' && !mayBeToolCall(held)) {
      holding = false;
      const all = held;
      held = '';
      return all;
    }
    return '';
  };

  for await (const event of events) {
    if (handling.logprobs && event.type === 'token') pendingLogprobs.push(toLogprob(vocabulary, event.sample));
    full += event.text;
    if (event.type === 'token') {
      const text = release(event.text, false);
      if (text.length > 0) {
        yield { type: 'text', text, ...(handling.logprobs ? { logprobs: pendingLogprobs } : {}) };
        pendingLogprobs = [];
      }
      continue;
    }
    let reason: FinishReason = event.reason;
    const rest = release(event.text, true);
    if (holding && reason === 'stop') {
      const calls = recognizeCalls(full, handling);
      if (calls) {
        yield { type: 'tool_calls', calls };
        reason = 'tool_calls';
        held = '';
      }
    }
    if (reason !== 'tool_calls' && handling.json && reason === 'stop') checkJson(full, handling.json.schema);
    const tail = reason === 'tool_calls' ? '' : held + rest;
    if (tail.length > 0 || pendingLogprobs.length > 0) yield { type: 'text', text: tail, ...(handling.logprobs ? { logprobs: pendingLogprobs } : {}) };
    yield {
      type: 'done',
      finishReason: reason,
      usage: { promptTokens: event.promptTokens, completionTokens: event.completionTokens, cachedPromptTokens: event.cachedPromptTokens },
    };
  }
}

function recognizeCalls(text: string, handling: OutputHandling) {
  try {
    return parseToolCalls(text, handling.tools!.tools);
  } catch (err) {
    if (err instanceof JsonSchemaError) throw new InferError('INTERNAL', `the model's tool call does not match the tool's parameters: ${err.message}`);
    throw err;
  }
}

function checkJson(text: string, schema: Readonly<Record<string, unknown>> | undefined): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InferError('INTERNAL', 'the model produced invalid JSON despite the grammar');
  }
  if (!schema) return;
  try {
    validateJson(value, schema);
  } catch (err) {
    if (err instanceof JsonSchemaError) throw new InferError('INTERNAL', `the model's JSON does not match the schema: ${err.message}`);
    throw err;
  }
}
