/**
 * `POST /v2/models/{m}[/versions/{v}]/infer`: body → InferenceRequest → core → body. The hot
 * path: one body read, one JSON.parse, one response string; no schema validation and no hooks.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceServer } from '../../core/inference-server.js';
import {
  HEADER_LENGTH_HEADER,
  decodeInferRequest,
  decodeRawInferRequest,
  encodeInferResponse,
  parseHeaderLength,
} from './codec.js';
import { chooseResponseCoding, decodeContentEncoding, encodeContentCoding } from './compression.js';
import { targetOf } from './route-helpers.js';

const EMPTY_BODY = Buffer.alloc(0);

/** Options of the infer route. */
export interface InferRouteOptions {
  readonly inference: InferenceServer;
  /** Bound on a decompressed request body. */
  readonly maxInputSize: number;
}

/** Registers the infer routes on `app` (inside the KServe plugin, which parses bodies as Buffers). */
export function registerInferRoutes(app: FastifyInstance, opts: InferRouteOptions): void {
  const { inference, maxInputSize } = opts;

  async function handleInfer(request: FastifyRequest, reply: FastifyReply): Promise<string | Buffer> {
    const target = targetOf(request);
    const controller = new AbortController();
    // A client that disconnects while the core works on its request cancels that request.
    const onClose = (): void => controller.abort();
    reply.raw.once('close', onClose);
    try {
      return await inferAndEncode(request, reply, target, controller.signal);
    } finally {
      reply.raw.off('close', onClose);
    }
  }

  async function inferAndEncode(
    request: FastifyRequest,
    reply: FastifyReply,
    target: { name: string; version?: number },
    signal: AbortSignal,
  ): Promise<string | Buffer> {
    const headers = request.headers;
    let body = Buffer.isBuffer(request.body) ? request.body : EMPTY_BODY;
    const contentEncoding = headers['content-encoding'];
    if (contentEncoding !== undefined) body = await decodeContentEncoding(body, contentEncoding, maxInputSize);

    const headerLength = parseHeaderLength(headers[HEADER_LENGTH_HEADER], body.length);
    const decoded =
      headerLength === 0
        ? decodeRawInferRequest(body, inference.modelMetadata(target.name, target.version), target, signal)
        : decodeInferRequest(body, headerLength, target, signal);
    const result = await inference.infer(decoded.request);
    const encoded = encodeInferResponse(result, decoded.outputFormat);

    if (encoded.headerLength === undefined) {
      reply.type('application/json');
    } else {
      reply.type('application/octet-stream').header(HEADER_LENGTH_HEADER, encoded.headerLength);
    }
    const coding = chooseResponseCoding(headers['accept-encoding']);
    if (coding === undefined) return encoded.body;
    reply.header('content-encoding', coding);
    return encodeContentCoding(encoded.body, coding);
  }

  app.post('/v2/models/:model/infer', handleInfer);
  app.post('/v2/models/:model/versions/:version/infer', handleInfer);
}
