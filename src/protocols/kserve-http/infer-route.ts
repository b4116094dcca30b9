/**
 * `POST /v2/models/{m}[/versions/{v}]/infer` as a Fastify route. Requests on real sockets are
 * normally answered by the raw fast path (infer-fast-path.ts); this route serves `inject`, URLs
 * the fast path leaves to Fastify, and servers built with the fast path off.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HEADER_LENGTH_HEADER } from './codec.js';
import { type InferContext, runInfer } from './infer-handler.js';
import { targetOf } from './route-helpers.js';

const EMPTY_BODY = Buffer.alloc(0);

/** Registers the infer routes on `app` (inside the KServe plugin, which parses bodies as Buffers). */
export function registerInferRoutes(app: FastifyInstance, ctx: InferContext): void {
  async function handleInfer(request: FastifyRequest, reply: FastifyReply): Promise<string | Buffer> {
    const target = targetOf(request);
    const controller = new AbortController();
    // A client that disconnects while the core works on its request cancels that request.
    const onClose = (): void => controller.abort();
    reply.raw.once('close', onClose);
    try {
      const body = Buffer.isBuffer(request.body) ? request.body : EMPTY_BODY;
      const out = await runInfer(ctx, target, request.headers, body, controller);
      reply.type(out.contentType);
      if (out.headerLength !== undefined) reply.header(HEADER_LENGTH_HEADER, out.headerLength);
      if (out.contentEncoding !== undefined) reply.header('content-encoding', out.contentEncoding);
      return out.body;
    } finally {
      reply.raw.off('close', onClose);
    }
  }

  app.post('/v2/models/:model/infer', handleInfer);
  app.post('/v2/models/:model/versions/:version/infer', handleInfer);
}
