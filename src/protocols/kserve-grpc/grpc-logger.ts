/**
 * The logging surface the gRPC front-end needs; a pino logger satisfies it as is.
 */

/** Structured logger: fields first, then the message (pino's order). */
export interface GrpcLogger {
  error(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  debug(fields: object, msg?: string): void;
}

/** A logger that drops everything, for callers that pass none. */
export const SILENT_LOGGER: GrpcLogger = {
  error: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
};
