/**
 * Content-Encoding for infer bodies, as Triton's HTTP endpoint does it: gzip or deflate request
 * bodies are inflated (bounded by the input size limit), and responses are compressed when the
 * client's Accept-Encoding prefers gzip or deflate.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { InferError } from '../../core/errors.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);

/** A compression the server applies or accepts. */
export type ContentCoding = 'gzip' | 'deflate';

/**
 * Returns the request body with its Content-Encoding removed. Inflated output larger than
 * `maxSize` is refused with PAYLOAD_TOO_LARGE; unknown codings with UNSUPPORTED.
 */
export async function decodeContentEncoding(body: Buffer, encoding: string | undefined, maxSize: number): Promise<Buffer> {
  if (encoding === undefined || encoding === '' || encoding === 'identity') return body;
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    throw new InferError('UNSUPPORTED', 'Unsupported compression type');
  }
  try {
    return await (encoding === 'gzip' ? gunzip : inflate)(body, { maxOutputLength: maxSize });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InferError('PAYLOAD_TOO_LARGE', `decompressed request body exceeds ${maxSize} bytes`);
    }
    throw new InferError('INVALID_ARGUMENT', `failed to decompress the request body: ${(err as Error).message}`);
  }
}

/**
 * Picks the response coding from Accept-Encoding: the highest-weighted of identity, gzip and
 * deflate, the first one winning ties; undefined means identity.
 */
export function chooseResponseCoding(acceptEncoding: string | undefined): ContentCoding | undefined {
  if (acceptEncoding === undefined) return undefined;
  let best: string = 'identity';
  let bestWeight = 0;
  for (const part of acceptEncoding.split(',')) {
    const [rawType = '', ...rest] = part.split(';');
    const type = rawType.trim();
    let weight = 1;
    for (const p of rest) {
      const [k, v] = p.split('=');
      if (k?.trim() === 'q' && v !== undefined) weight = Number(v.trim());
    }
    if (!Number.isFinite(weight)) continue;
    if ((type === 'identity' || type === 'gzip' || type === 'deflate') && weight > bestWeight) {
      best = type;
      bestWeight = weight;
    }
  }
  return best === 'identity' ? undefined : (best as ContentCoding);
}

/** Compresses a response body with the chosen coding. */
export async function encodeContentCoding(body: string | Buffer, coding: ContentCoding): Promise<Buffer> {
  return (coding === 'gzip' ? gzip : deflate)(body);
}
