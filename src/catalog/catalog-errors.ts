/**
 * Errors of the catalog, download and resolution code. Each has a stable code so the CLI and
 * the server map them to exit statuses and HTTP statuses at the edge; messages are safe to show
 * (they never hold a token).
 */
import type { ErrorCode } from '../core/errors.js';

/** Stable codes, each with the InferError code the server should answer with. */
export const CATALOG_ERROR_CODES = {
  /** The repository is gated or private and no (or an unauthorized) token was sent. */
  GATED: 'UNAVAILABLE',
  /** The repository, revision or file does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** Connection failed, timed out or the Hub answered 5xx after every retry. */
  NETWORK: 'UNAVAILABLE',
  /** Downloaded bytes do not hash to the expected sha256; the file was deleted. */
  CHECKSUM_MISMATCH: 'INTERNAL',
  /** Not enough disk space in the cache folder. */
  DISK_FULL: 'UNAVAILABLE',
  /** Offline mode and the file is not in the cache. */
  OFFLINE: 'UNAVAILABLE',
  /** A pickle-based checkpoint or another format that can run code when loaded. */
  UNSAFE_FORMAT: 'INVALID_ARGUMENT',
  /** The model reference cannot be parsed, or names no catalog model. */
  INVALID_REFERENCE: 'INVALID_ARGUMENT',
  /** A catalog file is malformed. */
  INVALID_CATALOG: 'INVALID_ARGUMENT',
  /** No profile of the model can run here (or none matches the override). */
  NO_COMPATIBLE_PROFILE: 'UNAVAILABLE',
  /** The caller's AbortSignal fired. */
  ABORTED: 'CANCELLED',
  /** The Hub answered something this client does not understand. */
  PROTOCOL: 'INTERNAL',
} as const satisfies Record<string, ErrorCode>;

/** One of the catalog error codes. */
export type CatalogErrorCode = keyof typeof CATALOG_ERROR_CODES;

/** A failure with a stable code; `message` says what to do about it. */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  constructor(
    readonly code: CatalogErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The InferError code a server should map this error to. */
  get inferCode(): ErrorCode {
    return CATALOG_ERROR_CODES[this.code];
  }
}

/** True for errors worth retrying: network failures and 5xx/429 answers. */
export function isRetryable(err: unknown): boolean {
  return err instanceof CatalogError && err.code === 'NETWORK';
}
