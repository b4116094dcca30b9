/**
 * The gRPC edge of the error catalogue: InferError codes become gRPC status codes
 * (ERROR_CODES[code].grpc) and their messages the status details; GrpcStatusError carries the
 * edge's own statuses (UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED). Anything else
 * becomes INTERNAL with a generic message, so internals never reach the client.
 */
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CODES, InferError } from '../../core/errors.js';

/** Message sent for failures whose details must stay in the server log. */
export const INTERNAL_ERROR_MESSAGE = 'internal server error';

/** A gRPC status code and the client-safe message that goes with it. */
export interface GrpcFailure {
  readonly code: GrpcStatus;
  readonly message: string;
}

/**
 * A failure decided at the gRPC edge itself (authentication, authorization, per-key limits), with
 * a status the catalogue has no code for. Its message is client-safe by construction.
 */
export class GrpcStatusError extends Error {
  override readonly name = 'GrpcStatusError';
  constructor(
    readonly code: GrpcStatus,
    message: string,
    /** Sent as `retry-after` trailing metadata (seconds) with RESOURCE_EXHAUSTED. */
    readonly retryAfterSecs?: number,
  ) {
    super(message);
  }
}

/** Maps anything thrown to a status code and a message safe to send. */
export function toGrpcFailure(err: unknown): GrpcFailure {
  if (err instanceof InferError) return { code: GrpcStatus[ERROR_CODES[err.code].grpc], message: err.message };
  if (err instanceof GrpcStatusError) return { code: err.code, message: err.message };
  return { code: GrpcStatus.INTERNAL, message: INTERNAL_ERROR_MESSAGE };
}

/** True for failures the client caused or was told about; anything else belongs in the error log. */
export function isClientFailure(err: unknown): boolean {
  return (err instanceof InferError && err.code !== 'INTERNAL') || err instanceof GrpcStatusError;
}

/** Builds the error object grpc-js sends as a call's final status. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const { code, message } = toGrpcFailure(err);
  if (err instanceof GrpcStatusError && err.retryAfterSecs !== undefined) {
    const metadata = new Metadata();
    metadata.set('retry-after', String(err.retryAfterSecs));
    return { code, details: message, message, metadata };
  }
  return { code, details: message, message };
}

/** An UNIMPLEMENTED error naming the RPC and why. */
export function unimplemented(rpc: string, why: string): InferError {
  return new InferError('UNIMPLEMENTED', `${rpc} is not supported by this server: ${why}`);
}
