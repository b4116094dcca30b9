/**
 * Typed server options with every default in one place. The CLI and `INFERD_*` environment
 * variables fill these; nothing else reads argv or the environment.
 */

/** Triton's model control modes. */
export type ModelControlMode = 'none' | 'poll' | 'explicit';

/** Log levels accepted by --log-level. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options of `inferd serve`. */
export interface ServerOptions {
  /** Triton-layout model repository folder. */
  readonly modelRepository?: string;
  readonly host: string;
  readonly httpPort: number;
  readonly modelControlMode: ModelControlMode;
  readonly repositoryPollSecs: number;
  /** Models to load at start in explicit mode; `*` loads all. */
  readonly loadModels: readonly string[];
  readonly strictModelConfig: boolean;
  readonly strictReadiness: boolean;
  readonly exitOnError: boolean;
  readonly logLevel: LogLevel;
  /** Largest HTTP request body in bytes. */
  readonly httpMaxInputSize: number;
  /** Seconds in-flight requests get to finish after SIGTERM/SIGINT. */
  readonly exitTimeoutSecs: number;
}

/** Defaults, matching Triton where Triton has the same option. */
export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  httpPort: 8000,
  modelControlMode: 'none',
  repositoryPollSecs: 15,
  loadModels: [],
  strictModelConfig: false,
  strictReadiness: true,
  exitOnError: false,
  logLevel: 'info',
  httpMaxInputSize: 64 * 1024 * 1024,
  exitTimeoutSecs: 30,
};

/** Parses a boolean flag value the way Triton does (`true/false/1/0/yes/no/on/off`). */
export function parseBool(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new Error(`expected a boolean (true/false), got '${value}'`);
}

/** Parses a port number (0 = any free port). */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`expected a port number 0-65535, got '${value}'`);
  return n;
}

/** Parses a positive integer, optionally with a binary size suffix (k, m, g). */
export function parseSize(value: string): number {
  const m = /^([0-9]+)\s*([kmg]i?b?)?$/i.exec(value.trim());
  if (!m) throw new Error(`expected a size in bytes (e.g. 67108864 or 64m), got '${value}'`);
  const unit = (m[2] ?? '').toLowerCase().charAt(0);
  const scale = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const n = Number(m[1]) * scale;
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`size out of range: '${value}'`);
  return n;
}

/** Parses a positive number of seconds. */
export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`expected seconds >= 0, got '${value}'`);
  return n;
}
