/**
 * `/v1/embeddings` wire ⇄ core: inputs (a string, strings, token ids, or lists of token ids)
 * and the response list, as float arrays or base64 of little-endian float32 (what the official
 * SDKs request by default). Pure functions, unit-tested.
 */
import type { EmbeddingResult } from '../../core/llm/index.js';
import { badParam } from '../../core/llm/llm-errors.js';
import { RequestReader } from './request-reader.js';

/** Most inputs per request (OpenAI's limit). */
export const MAX_EMBEDDING_INPUTS = 2048;

/** A validated embeddings request. */
export interface EmbeddingCall {
  readonly model: string;
  readonly inputs: readonly (string | readonly number[])[];
  readonly encoding: 'float' | 'base64';
  readonly dimensions?: number;
}

function isTokens(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'number');
}

/** Validates an embeddings body. */
export function embeddingFromWire(body: unknown): EmbeddingCall {
  const r = new RequestReader(RequestReader.object(body, ''));
  const raw = r.raw('input');
  let inputs: (string | number[])[];
  if (typeof raw === 'string') inputs = [raw];
  else if (isTokens(raw)) inputs = [raw];
  else if (Array.isArray(raw) && raw.length > 0 && raw.every((x) => typeof x === 'string' || isTokens(x))) inputs = raw as (string | number[])[];
  else throw badParam('input must be a string, an array of strings, or token ids', 'input');
  if (inputs.length > MAX_EMBEDDING_INPUTS) throw badParam(`at most ${MAX_EMBEDDING_INPUTS} inputs per request`, 'input');
  if (inputs.some((i) => i.length === 0)) throw badParam('input must not contain empty strings', 'input');
  const encoding = r.optString('encoding_format') ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') throw badParam("encoding_format must be 'float' or 'base64'", 'encoding_format');
  const dimensions = r.optNumber('dimensions', { min: 1, integer: true });
  r.optString('user');
  return { model: r.string('model'), inputs, encoding, ...(dimensions !== undefined ? { dimensions } : {}) };
}

function base64(vector: Float32Array): string {
  const le = new Uint8Array(vector.length * 4);
  const view = new DataView(le.buffer);
  vector.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return Buffer.from(le).toString('base64');
}

/** The embeddings list response. */
export function embeddingJson(model: string, result: EmbeddingResult, encoding: 'float' | 'base64'): unknown {
  return {
    object: 'list',
    data: result.vectors.map((v, index) => ({ object: 'embedding', index, embedding: encoding === 'base64' ? base64(v) : Array.from(v) })),
    model,
    usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
  };
}
