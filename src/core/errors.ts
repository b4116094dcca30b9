/**
 * The one error catalogue. Every failure the core reports is an InferError with a stable code;
 * protocols map codes to HTTP status, gRPC status or OpenAI error bodies at the edge only.
 */

/** Stable error codes with their default HTTP status (Triton's mapping) and gRPC status name. */
export const ERROR_CODES = {
  INVALID_ARGUMENT: { http: 400, grpc: 'INVALID_ARGUMENT' },
  NOT_FOUND: { http: 404, grpc: 'NOT_FOUND' },
  MODEL_NOT_READY: { http: 503, grpc: 'UNAVAILABLE' },
  UNAVAILABLE: { http: 503, grpc: 'UNAVAILABLE' },
  QUEUE_FULL: { http: 503, grpc: 'UNAVAILABLE' },
  RATE_LIMITED: { http: 429, grpc: 'RESOURCE_EXHAUSTED' },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: 'RESOURCE_EXHAUSTED' },
  INSUFFICIENT_MEMORY: { http: 507, grpc: 'RESOURCE_EXHAUSTED' },
  TIMEOUT: { http: 503, grpc: 'DEADLINE_EXCEEDED' },
  CANCELLED: { http: 499, grpc: 'CANCELLED' },
  UNSUPPORTED: { http: 400, grpc: 'UNIMPLEMENTED' },
  UNIMPLEMENTED: { http: 501, grpc: 'UNIMPLEMENTED' },
  ALREADY_EXISTS: { http: 409, grpc: 'ALREADY_EXISTS' },
  INTERNAL: { http: 500, grpc: 'INTERNAL' },
} as const;

/** One of the catalogue's codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a catalogue code; the message is safe to show to clients. */
export class InferError extends Error {
  override readonly name = 'InferError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Default HTTP status for this error's code. */
  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }
}

/** Shorthand for an INVALID_ARGUMENT error. */
export function invalidArgument(message: string): InferError {
  return new InferError('INVALID_ARGUMENT', message);
}

/** Wraps anything thrown into an InferError, keeping InferErrors as they are. */
export function toInferError(err: unknown): InferError {
  if (err instanceof InferError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InferError('INTERNAL', message, { cause: err });
}
