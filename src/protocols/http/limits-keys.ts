/**
 * Per-API-key rate and concurrency limits for every HTTP front-end. Runs as an onRequest hook
 * after access control has identified the key, so refused requests never reach a body parser.
 * A refusal answers 429 with `Retry-After`, in the OpenAI error shape under `/v1` and Triton's
 * `{"error": "..."}` elsewhere. The key itself never appears in the answer or the log.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InferError } from '../../core/errors.js';
import type { KeyLimiter } from '../../security/rate-limit.js';
import { toOpenAiError } from '../openai/errors.js';
import { errorBody } from './errors.js';

/** Installs the hook on `app` (root level, after `installAccessControl`); a no-op without limits. */
export function installKeyLimits(app: FastifyInstance, limiter: KeyLimiter): void {
  if (!limiter.enabled) return;
  app.addHook('onRequest', async (request, reply) => {
    const key = request.apiKey;
    if (!key) return;
    const admission = limiter.admit(key);
    if (!admission.ok) {
      request.log.debug({ apiKey: key.name, reason: admission.reason }, 'API key limit reached');
      return tooManyRequests(request, reply, admission.message, admission.retryAfterSecs);
    }
    // NOTE: 'close' covers aborted and hijacked (streamed) replies; 'finish' covers in-process injection.
    reply.raw.once('close', admission.release);
    reply.raw.once('finish', admission.release);
  });
}

function tooManyRequests(request: FastifyRequest, reply: FastifyReply, message: string, retryAfterSecs: number): FastifyReply {
  void reply.code(429).header('retry-after', String(retryAfterSecs)).header('content-type', 'application/json');
  if (request.url.startsWith('/v1/')) return reply.send(JSON.stringify(toOpenAiError(new InferError('RATE_LIMITED', message)).body));
  return reply.send(errorBody(message));
}
