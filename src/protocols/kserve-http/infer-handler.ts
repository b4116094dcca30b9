/**
 * One KServe infer exchange, independent of the HTTP framework: headers and body in, reply body
 * and headers out. Both the Fastify route and the raw-socket fast path call `runInfer`, so the
 * two transports cannot drift apart.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { InferenceServer } from '../../core/inference-server.js';
import {
  type AbortSource,
  decodeInferRequest,
  decodeRawInferRequest,
  encodeInferResponse,
  HEADER_LENGTH_HEADER,
  type InferTarget,
  parseHeaderLength,
} from './codec.js';
import { chooseResponseCoding, type ContentCoding, decodeContentEncoding, encodeContentCoding } from './compression.js';

/** What every infer exchange needs from the server. */
export interface InferContext {
  readonly inference: InferenceServer;
  /** Bound on a decompressed request body. */
  readonly maxInputSize: number;
}

/** A successful infer reply, ready to be written. */
export interface InferReply {
  readonly body: string | Buffer;
  readonly contentType: 'application/json' | 'application/octet-stream';
  /** Length of the JSON header when binary output data follows it. */
  readonly headerLength?: number;
  readonly contentEncoding?: ContentCoding;
}

/**
 * Decodes, runs and encodes one infer request. Failures are thrown (InferError for everything
 * the client or the core reports) for the caller to map with the HTTP error catalogue.
 */
export async function runInfer(
  ctx: InferContext,
  target: InferTarget,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  abort: AbortSource,
): Promise<InferReply> {
  const contentEncoding = headers['content-encoding'];
  const body =
    contentEncoding === undefined ? rawBody : await decodeContentEncoding(rawBody, contentEncoding, ctx.maxInputSize);
  const headerLength = parseHeaderLength(headers[HEADER_LENGTH_HEADER], body.length);
  const decoded =
    headerLength === 0
      ? decodeRawInferRequest(body, ctx.inference.modelMetadata(target.name, target.version), target, abort)
      : decodeInferRequest(body, headerLength, target, abort);
  const result = await ctx.inference.infer(decoded.request);
  const encoded = encodeInferResponse(result, decoded.outputFormat);
  const contentType = encoded.headerLength === undefined ? 'application/json' : 'application/octet-stream';
  const coding = chooseResponseCoding(headers['accept-encoding']);
  if (coding === undefined) return { body: encoded.body, contentType, headerLength: encoded.headerLength };
  return {
    body: await encodeContentCoding(encoded.body, coding),
    contentType,
    headerLength: encoded.headerLength,
    contentEncoding: coding,
  };
}
