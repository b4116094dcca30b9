/**
 * `/v1/completions` wire ⇄ core: prompts (a string, strings, token ids, or lists of token ids)
 * become GenerateRequests with text or token prompts; results become `text_completion` objects
 * and stream events, with the legacy log-probability layout. Pure functions, unit-tested.
 */
import type { FinishReason, GenerateRequest, LlmPrompt, LlmUsage, TokenLogprob } from '../../core/llm/index.js';
import { badParam } from '../../core/llm/llm-errors.js';
import { RequestReader } from './request-reader.js';
import { commonGeneration, usageJson, type CommonGeneration } from './translate-common.js';

/** OpenAI's default `max_tokens` for text completions. */
export const DEFAULT_COMPLETION_TOKENS = 16;
/** Most prompts in one request. */
export const MAX_PROMPTS = 64;

/** A validated text completion request. */
export interface CompletionCall extends CommonGeneration {
  readonly prompts: readonly LlmPrompt[];
  readonly echo: boolean;
  readonly logprobs?: number;
}

function isTokenList(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'number');
}

function prompts(r: RequestReader): LlmPrompt[] {
  const raw = r.raw('prompt');
  if (typeof raw === 'string') return [{ kind: 'text', text: raw }];
  if (isTokenList(raw)) return [{ kind: 'tokens', tokens: raw }];
  if (!Array.isArray(raw) || raw.length === 0) throw badParam('prompt must be a string, an array of strings, or token ids', 'prompt');
  if (raw.length > MAX_PROMPTS) throw badParam(`at most ${MAX_PROMPTS} prompts per request`, 'prompt');
  return raw.map((p, i) => {
    if (typeof p === 'string') return { kind: 'text', text: p };
    if (isTokenList(p)) return { kind: 'tokens', tokens: p };
    throw badParam(`prompt[${i}] must be a string or an array of token ids`, 'prompt');
  });
}

/** Validates a completion body. Throws INVALID_ARGUMENT naming the bad field. */
export function completionFromWire(body: unknown): CompletionCall {
  const r = new RequestReader(RequestReader.object(body, ''));
  const common = commonGeneration(r, DEFAULT_COMPLETION_TOKENS);
  const bestOf = r.optNumber('best_of', { min: 1, integer: true });
  if (bestOf !== undefined && bestOf !== common.n) throw badParam('best_of other than n is not supported', 'best_of');
  if ((r.optString('suffix') ?? '') !== '') throw badParam('suffix is not supported', 'suffix');
  const logprobs = r.optNumber('logprobs', { min: 0, max: 5, integer: true });
  r.optString('user');
  return { ...common, prompts: prompts(r), echo: r.optBool('echo') ?? false, ...(logprobs !== undefined ? { logprobs } : {}) };
}

/** The core request for prompt `p`, choice `i`. */
export function completionGenerateRequest(call: CompletionCall, id: string, prompt: LlmPrompt, index: number, signal: AbortSignal): GenerateRequest {
  return {
    id: `${id}-${index}`,
    prompt,
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

/** The legacy `logprobs` object; `offset` is where the tokens' text starts in the choice text. */
export function completionLogprobs(tokens: readonly TokenLogprob[], offset: number): unknown {
  const textOffset: number[] = [];
  let at = offset;
  for (const t of tokens) {
    textOffset.push(at);
    at += t.text.length;
  }
  return {
    tokens: tokens.map((t) => t.text),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) => Object.fromEntries(t.top.map((a) => [a.text, a.logprob]))),
    text_offset: textOffset,
  };
}

/** One finished choice. */
export interface CompletionChoiceResult {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly logprobs?: readonly TokenLogprob[];
  /** Length of the echoed prompt at the start of `text`. */
  readonly echoLength: number;
}

/** A non-streamed `text_completion`. */
export function completionJson(id: string, model: string, created: number, choices: readonly CompletionChoiceResult[], usage: LlmUsage): unknown {
  return {
    id,
    object: 'text_completion',
    created,
    model,
    system_fingerprint: null,
    choices: choices.map((c, index) => ({
      index,
      text: c.text,
      logprobs: c.logprobs ? completionLogprobs(c.logprobs, c.echoLength) : null,
      finish_reason: c.finishReason,
    })),
    usage: usageJson(usage),
  };
}

/** One streamed `text_completion` chunk. */
export function completionChunkJson(
  id: string,
  model: string,
  created: number,
  index: number,
  chunk: { text: string; finishReason?: FinishReason; logprobs?: readonly TokenLogprob[]; offset: number },
  withUsage: boolean,
): unknown {
  return {
    id,
    object: 'text_completion',
    created,
    model,
    system_fingerprint: null,
    choices: [
      {
        index,
        text: chunk.text,
        logprobs: chunk.logprobs ? completionLogprobs(chunk.logprobs, chunk.offset) : null,
        finish_reason: chunk.finishReason ?? null,
      },
    ],
    ...(withUsage ? { usage: null } : {}),
  };
}

/** The final usage-only chunk of `stream_options.include_usage`. */
export function completionUsageChunkJson(id: string, model: string, created: number, usage: LlmUsage): unknown {
  return { id, object: 'text_completion', created, model, system_fingerprint: null, choices: [], usage: usageJson(usage) };
}
