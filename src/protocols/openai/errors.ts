/**
 * The OpenAI edge of the error catalogue: every failure answers
 * `{"error": {"message", "type", "param", "code"}}` with OpenAI's status and type names, so the
 * official SDKs raise their typed errors (BadRequestError, NotFoundError, RateLimitError, ...).
 * RATE_LIMITED adds `Retry-After`. Unexpected errors become a 500 with a generic message.
 */
import type { FastifyError, FastifyReply } from 'fastify';
import { InferError } from '../../core/errors.js';
import { LlmRequestError } from '../../core/llm/index.js';

/** Seconds a rate-limited client is told to wait. */
export const RETRY_AFTER_SECONDS = 1;

/** OpenAI's error body. */
export interface OpenAiErrorBody {
  readonly error: { readonly message: string; readonly type: string; readonly param: string | null; readonly code: string | null };
}

/** A status, body and headers ready to send. */
export interface OpenAiError {
  readonly status: number;
  readonly body: OpenAiErrorBody;
  readonly headers: Readonly<Record<string, string>>;
}

function typeFor(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'invalid_request_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function build(status: number, message: string, param: string | null, code: string | null): OpenAiError {
  return {
    status,
    body: { error: { message, type: typeFor(status), param, code } },
    headers: status === 429 ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {},
  };
}

/** Maps anything thrown to OpenAI's error shape. */
export function toOpenAiError(err: unknown): OpenAiError {
  if (err instanceof InferError) {
    const param = err instanceof LlmRequestError ? (err.param ?? null) : null;
    const detail = err instanceof LlmRequestError ? (err.detail ?? null) : null;
    switch (err.code) {
      case 'NOT_FOUND':
        return build(404, err.message, 'model', 'model_not_found');
      case 'RATE_LIMITED':
      case 'QUEUE_FULL':
        return build(429, err.message, null, 'rate_limit_exceeded');
      case 'UNSUPPORTED':
        return build(400, err.message, param, detail ?? 'unsupported');
      default:
        return build(err.httpStatus, err.message, param, detail);
    }
  }
  const fe = err as Partial<FastifyError> | null;
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 && typeof fe.code === 'string' && fe.code.startsWith('FST_')) {
    return build(fe.statusCode, fe.message ?? 'bad request', null, null);
  }
  return build(500, 'internal server error', null, null);
}

/** Sends `err` as an OpenAI error response (before any body byte was sent). */
export function sendOpenAiError(reply: FastifyReply, err: unknown): FastifyReply {
  const e = toOpenAiError(err);
  if (e.status >= 500) reply.log.error({ err }, 'openai request failed');
  return reply.code(e.status).headers(e.headers).type('application/json').send(JSON.stringify(e.body));
}
