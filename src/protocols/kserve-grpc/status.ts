/**
 * The gRPC edge of the error catalogue: InferError codes become gRPC status codes
 * (ERROR_CODES[code].grpc) and their messages the status details. Anything that is not an
 * InferError becomes INTERNAL with a generic message, so internals never reach the client.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CODES, InferError } from '../../core/errors.js';

/** Message sent for failures whose details must stay in the server log. */
export const INTERNAL_ERROR_MESSAGE = 'internal server error';

/** A gRPC status code and the client-safe message that goes with it. */
export interface GrpcFailure {
  readonly code: GrpcStatus;
  readonly message: string;
}

/** Maps anything thrown to a status code and a message safe to send. */
export function toGrpcFailure(err: unknown): GrpcFailure {
  if (err instanceof InferError) return { code: GrpcStatus[ERROR_CODES[err.code].grpc], message: err.message };
  return { code: GrpcStatus.INTERNAL, message: INTERNAL_ERROR_MESSAGE };
}

/** Builds the error object grpc-js sends as a call's final status. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const { code, message } = toGrpcFailure(err);
  return { code, details: message, message };
}

/** An UNIMPLEMENTED error naming the RPC and why. */
export function unimplemented(rpc: string, why: string): InferError {
  return new InferError('UNIMPLEMENTED', `${rpc} is not supported by this server: ${why}`);
}
