/**
 * Wire ⇄ core translation shared by chat and text completions: sampling parameters (OpenAI's,
 * vLLM's extras and NIM's `nvext`), stop sequences, guided decoding, usage and log-probabilities.
 * Pure functions; routes do the I/O.
 */
import type { LlmSampling, LlmUsage, OutputConstraint, TokenLogprob } from '../../core/llm/index.js';
import { badParam } from '../../core/llm/llm-errors.js';
import { RequestReader } from './request-reader.js';

/** Most choices one request may ask for (`n`). */
export const MAX_CHOICES = 16;
/** Most stop sequences. */
export const MAX_STOP = 16;
/** Most alternatives per token in log-probabilities. */
export const MAX_TOP_LOGPROBS = 20;

/** Generation settings common to both completion endpoints. */
export interface CommonGeneration {
  readonly model: string;
  readonly n: number;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly sampling: LlmSampling;
  readonly maxTokens?: number;
  readonly minTokens: number;
  readonly ignoreEos: boolean;
  readonly stop: readonly string[];
  readonly priority: number;
  readonly constraint?: OutputConstraint;
}

function stopList(r: RequestReader): string[] {
  const raw = r.raw('stop');
  if (raw === undefined) return [];
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) throw badParam('stop must be a string or an array of strings', 'stop');
  if (list.length > MAX_STOP) throw badParam(`stop may hold at most ${MAX_STOP} sequences`, 'stop');
  return (list as string[]).filter((s) => s.length > 0);
}

function logitBias(r: RequestReader): Map<number, number> {
  const bias = r.optObject('logit_bias');
  const out = new Map<number, number>();
  if (!bias) return out;
  for (const key of Object.keys(bias.body)) {
    if (!/^\d+$/.test(key)) throw badParam(`logit_bias keys must be token ids, got '${key}'`, 'logit_bias');
    out.set(Number(key), bias.optNumber(key, { min: -100, max: 100 })!);
  }
  return out;
}

/** Guided decoding from vLLM's top-level fields or NIM's `nvext` (nvext wins). */
function guided(r: RequestReader, nvext: RequestReader | undefined): OutputConstraint | undefined {
  for (const source of [nvext, r]) {
    if (!source) continue;
    if (source.has('guided_regex')) throw badParam('guided_regex is not supported; use guided_grammar (GBNF) or guided_json', 'guided_regex');
    if (source.has('guided_json')) {
      const raw = source.raw('guided_json');
      const schema = typeof raw === 'string' ? parseJsonParam(raw, 'guided_json') : raw;
      return { kind: 'json_schema', schema: RequestReader.object(schema, 'guided_json') };
    }
    if (source.has('guided_choice')) {
      const choices = source.optArray('guided_choice')!;
      if (choices.length === 0 || choices.some((c) => typeof c !== 'string')) throw badParam('guided_choice must be a non-empty array of strings', 'guided_choice');
      return { kind: 'choice', choices: choices as string[] };
    }
    if (source.has('guided_grammar')) return { kind: 'grammar', gbnf: source.string('guided_grammar') };
  }
  return undefined;
}

function parseJsonParam(text: string, param: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badParam(`${param} is not valid JSON`, param);
  }
}

/** Reads the fields shared by /v1/chat/completions and /v1/completions. */
export function commonGeneration(r: RequestReader, defaultMaxTokens: number | undefined): CommonGeneration {
  const nvext = r.optObject('nvext');
  const pick = (key: string, bounds: Parameters<RequestReader['optNumber']>[1]) => nvext?.optNumber(key, bounds) ?? r.optNumber(key, bounds);
  const maxTokens = r.optNumber('max_completion_tokens', { min: 1, integer: true }) ?? r.optNumber('max_tokens', { min: 1, integer: true }) ?? defaultMaxTokens;
  const streamOptions = r.optObject('stream_options');
  const stream = r.optBool('stream') ?? false;
  if (streamOptions && !stream) throw badParam('stream_options is only allowed with stream: true', 'stream_options');
  const seed = r.optNumber('seed', { integer: true });
  const sampling: LlmSampling = {
    temperature: r.optNumber('temperature', { min: 0, max: 2 }) ?? 1,
    topP: r.optNumber('top_p', { exclusiveMin: 0, max: 1 }) ?? 1,
    topK: pick('top_k', { integer: true, min: -1 }) ?? 0,
    minP: r.optNumber('min_p', { min: 0, max: 1 }) ?? 0,
    ...(seed !== undefined ? { seed: Math.abs(seed) % 2 ** 32 } : {}),
    repetitionPenalty: pick('repetition_penalty', { exclusiveMin: 0, max: 2 }) ?? 1,
    presencePenalty: r.optNumber('presence_penalty', { min: -2, max: 2 }) ?? 0,
    frequencyPenalty: r.optNumber('frequency_penalty', { min: -2, max: 2 }) ?? 0,
    logitBias: logitBias(r),
  };
  const constraint = guided(r, nvext);
  return {
    model: r.string('model'),
    n: r.optNumber('n', { min: 1, max: MAX_CHOICES, integer: true }) ?? 1,
    stream,
    includeUsage: streamOptions?.optBool('include_usage') ?? false,
    sampling,
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    minTokens: pick('min_tokens', { min: 0, integer: true }) ?? 0,
    ignoreEos: nvext?.optBool('ignore_eos') ?? r.optBool('ignore_eos') ?? false,
    stop: stopList(r),
    priority: r.optNumber('priority', { integer: true, min: -1000, max: 1000 }) ?? 0,
    ...(constraint ? { constraint } : {}),
  };
}

/** OpenAI's usage object (cached prompt tokens under `prompt_tokens_details`). */
export function usageJson(usage: LlmUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedPromptTokens },
  };
}

/** Sums the usage of several choices of one prompt (the prompt counts once). */
export function sumUsage(usages: readonly LlmUsage[]): LlmUsage {
  return {
    promptTokens: usages[0]?.promptTokens ?? 0,
    completionTokens: usages.reduce((n, u) => n + u.completionTokens, 0),
    cachedPromptTokens: usages[0]?.cachedPromptTokens ?? 0,
  };
}

/** Chat-style log-probabilities of tokens (`choices[].logprobs.content`). */
export function chatLogprobs(tokens: readonly TokenLogprob[]): unknown[] {
  return tokens.map((t) => ({
    token: t.text,
    logprob: t.logprob,
    bytes: t.bytes,
    top_logprobs: t.top.map((a) => ({ token: a.text, logprob: a.logprob, bytes: a.bytes })),
  }));
}

const DURATION = /^(-?\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Ollama's `keep_alive` extension: seconds as a number, or a duration such as `30s`, `5m`, `1h`;
 * negative keeps the model loaded. Undefined when the body has none.
 */
export function keepAliveOf(body: unknown): number | undefined {
  const raw = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).keep_alive : undefined;
  if (raw === undefined || raw === null) return undefined;
  const m = typeof raw === 'number' && Number.isFinite(raw) ? [String(raw), String(raw), 's'] : typeof raw === 'string' ? DURATION.exec(raw.trim()) : null;
  if (!m) throw badParam("keep_alive must be seconds or a duration such as '30s', '5m', '1h' (negative keeps the model loaded)", 'keep_alive');
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's']!;
  if (Math.abs(ms) > 365 * 86_400_000) throw badParam('keep_alive is longer than a year', 'keep_alive');
  return ms < 0 ? -1 : ms;
}

/** The facade's acquire options of a request body (its `keep_alive`). */
export function acquireOptions(body: unknown): { keepAliveMs?: number } {
  const keepAliveMs = keepAliveOf(body);
  return keepAliveMs === undefined ? {} : { keepAliveMs };
}
