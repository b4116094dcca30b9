/**
 * Triton's LLM request shape (vLLM backend and generate extension): an object whose `text_input`
 * is the prompt and whose other keys (top level, in `parameters`, or vLLM-style in a
 * `sampling_parameters` JSON string) are generation settings. Both the generate routes (JSON)
 * and KServe infer on an LLM (one-element input tensors) build such an object, so the settings
 * are checked the same way whatever the wire. Pure functions, unit-tested.
 */
import { invalidArgument } from '../errors.js';
import type { GenerateRequest, LlmSampling } from './types.js';

/** A validated Triton LLM request. */
export interface GenerateCall {
  readonly text: string;
  /** From `stream` (the non-streaming route refuses `true`). */
  readonly stream: boolean;
  readonly excludeInput: boolean;
  /** vLLM backend's `return_finish_reason`, `return_num_input_tokens`, `return_num_output_tokens`. */
  readonly returns: { readonly finishReason: boolean; readonly inputTokens: boolean; readonly outputTokens: boolean };
  readonly request: Omit<GenerateRequest, 'signal'>;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Settings merged from `sampling_parameters` (lowest), `parameters`, then top-level keys. */
function settings(body: Json): Json {
  const merged: Json = {};
  const sp = body.sampling_parameters;
  if (sp !== undefined) {
    if (typeof sp !== 'string') throw invalidArgument('sampling_parameters must be a JSON string');
    let parsed: unknown;
    try {
      parsed = JSON.parse(sp);
    } catch {
      throw invalidArgument('sampling_parameters is not valid JSON');
    }
    if (!isObject(parsed)) throw invalidArgument('sampling_parameters must encode a JSON object');
    Object.assign(merged, parsed);
  }
  if (body.parameters !== undefined) {
    if (!isObject(body.parameters)) throw invalidArgument('parameters must be a JSON object');
    Object.assign(merged, body.parameters);
  }
  for (const [k, v] of Object.entries(body)) if (k !== 'parameters' && k !== 'sampling_parameters' && k !== 'text_input' && k !== 'id') merged[k] = v;
  return merged;
}

/** Triton carries scalars as one-element arrays too (input tensors of shape [1]). */
function scalar(v: unknown): unknown {
  return Array.isArray(v) && v.length === 1 ? v[0] : v;
}

function num(s: Json, key: string, min: number, max: number, integer = false): number | undefined {
  const v = scalar(s[key]);
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw invalidArgument(`${key} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return n;
}

function bool(s: Json, key: string): boolean | undefined {
  const v = scalar(s[key]);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw invalidArgument(`${key} must be a boolean, got ${JSON.stringify(v)}`);
}

function stops(s: Json): string[] {
  const v = s.stop ?? s.stop_words;
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw invalidArgument('stop must be a string or an array of strings');
  return (list as string[]).filter((x) => x.length > 0);
}

/** Validates a Triton LLM request object; `id` names the request in logs. */
export function parseTritonLlmRequest(body: unknown, id: string): GenerateCall {
  if (!isObject(body)) throw invalidArgument('the generate request body must be a JSON object');
  const text = scalar(body.text_input);
  if (typeof text !== 'string') throw invalidArgument("the request needs a string 'text_input'");
  const s = settings(body);
  const seed = num(s, 'seed', 0, 2 ** 53, true);
  const sampling: LlmSampling = {
    temperature: num(s, 'temperature', 0, 2) ?? 1,
    topP: num(s, 'top_p', Number.MIN_VALUE, 1) ?? 1,
    topK: num(s, 'top_k', -1, 1e9, true) ?? 0,
    minP: num(s, 'min_p', 0, 1) ?? 0,
    ...(seed !== undefined ? { seed: seed % 2 ** 32 } : {}),
    repetitionPenalty: num(s, 'repetition_penalty', Number.MIN_VALUE, 2) ?? 1,
    presencePenalty: num(s, 'presence_penalty', -2, 2) ?? 0,
    frequencyPenalty: num(s, 'frequency_penalty', -2, 2) ?? 0,
    logitBias: new Map(),
  };
  const maxTokens = num(s, 'max_tokens', 1, 1e9, true);
  return {
    text,
    stream: bool(s, 'stream') ?? false,
    excludeInput: bool(s, 'exclude_input_in_output') ?? true,
    returns: {
      finishReason: bool(s, 'return_finish_reason') ?? false,
      inputTokens: bool(s, 'return_num_input_tokens') ?? false,
      outputTokens: bool(s, 'return_num_output_tokens') ?? false,
    },
    request: {
      id,
      prompt: { kind: 'text', text },
      sampling,
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      minTokens: num(s, 'min_tokens', 0, 1e9, true) ?? 0,
      ignoreEos: bool(s, 'ignore_eos') ?? false,
      stop: stops(s),
      priority: num(s, 'priority', -1000, 1000, true) ?? 0,
    },
  };
}
