/**
 * The HTTP edge of the error catalogue: InferError codes become HTTP statuses (ERROR_CODES) and
 * every failure answers with Triton's body `{"error": "<message>"}`. Fastify's own client errors
 * (body too large, bad content length, unknown route) keep their 4xx status in the same shape;
 * anything unexpected becomes a 500 with a generic message and is logged, never shown.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InferError } from '../../core/errors.js';

/** Message sent for failures whose details must stay in the server log. */
export const INTERNAL_ERROR_MESSAGE = 'internal server error';

/** What an error looks like on the wire. */
export interface HttpError {
  readonly statusCode: number;
  readonly message: string;
}

/** Maps anything thrown to a status and a client-safe message. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof InferError) return { statusCode: err.httpStatus, message: err.message };
  const status = (err as Partial<FastifyError> | null)?.statusCode;
  const code = (err as Partial<FastifyError> | null)?.code;
  // NOTE: only Fastify's own client errors are trusted to carry safe messages; an arbitrary
  // Error with a statusCode could come from anywhere and might leak internals.
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof code === 'string' && code.startsWith('FST_')) {
    return { statusCode: status, message: (err as Error).message };
  }
  return { statusCode: 500, message: INTERNAL_ERROR_MESSAGE };
}

/** Triton's error body. */
export function errorBody(message: string): string {
  return JSON.stringify({ error: message });
}

/** Sends `err` as Triton's error response. */
export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { statusCode, message } = toHttpError(err);
  if (statusCode >= 500) reply.log.error({ err }, 'request failed');
  return reply.code(statusCode).type('application/json').send(errorBody(message));
}

function handleError(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  sendError(reply, err);
}

function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  reply.code(404).type('application/json').send(errorBody(`Not Found: ${request.method} ${request.url.split('?')[0]}`));
}

/** Installs the error and not-found handlers on `app` (inherited by plugins that set none). */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
}
