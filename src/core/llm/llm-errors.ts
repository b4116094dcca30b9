/**
 * A request error that also names the offending request field, so the OpenAI edge can fill
 * `param` and `code` in its error body. It is an InferError, so every other edge treats it as one.
 */
import { InferError, type ErrorCode } from '../errors.js';

/** An InferError with the request parameter it concerns and an optional machine-readable detail code. */
export class LlmRequestError extends InferError {
  constructor(
    code: ErrorCode,
    message: string,
    /** The request field at fault (OpenAI's `param`), e.g. `max_tokens`. */
    readonly param?: string,
    /** A stable detail code such as `context_length_exceeded`. */
    readonly detail?: string,
  ) {
    super(code, message);
  }
}

/** Shorthand for an INVALID_ARGUMENT LlmRequestError. */
export function badParam(message: string, param?: string, detail?: string): LlmRequestError {
  return new LlmRequestError('INVALID_ARGUMENT', message, param, detail);
}
