/**
 * Typed server options with every default in one place. The CLI and `INFERD_*` environment
 * variables fill these; nothing else reads argv or the environment.
 */
import type { LogFormat } from '../core/logging/logger.js';
import { DEFAULT_METRICS_CONFIG, type MetricsConfig } from '../core/metrics/server-metrics.js';
import type { RateLimitMode, ResourceLimit } from '../core/scheduling/rate-limiter.js';
import type { RateLimit } from '../security/rate-limit.js';
import type { ClientAuthMode } from '../security/tls.js';

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
  /** Serve KServe v2 over gRPC (Triton's --allow-grpc). */
  readonly allowGrpc: boolean;
  /** gRPC port (0 = any free port). */
  readonly grpcPort: number;
  /** Largest gRPC message in bytes, both directions. */
  readonly grpcMaxMessageSize: number;
  /** JSON file of API keys (`[{key, name, scopes, models}]`); with keys configured every non-health API needs one. */
  readonly apiKeysFile?: string;
  /** API keys as `KEY[:scope,scope][@model,model];...` (INFERD_API_KEYS). */
  readonly apiKeys?: string;
  /** Triton's --http-restricted-api entries: `GROUP[,GROUP]:HEADER=VALUE`. */
  readonly httpRestrictedApi: readonly string[];
  /** Serve admin APIs (repository, logging, trace) to non-loopback clients without an admin key. */
  readonly allowRemoteAdmin: boolean;
  /** Triton's --grpc-restricted-protocol: `GROUP[,GROUP]:KEY=VALUE`, checked against gRPC metadata. */
  readonly grpcRestrictedApi: readonly string[];
  /** PEM certificate chain; with tlsKeyFile, HTTP and gRPC serve TLS only. */
  readonly tlsCertFile?: string;
  /** PEM private key of tlsCertFile. */
  readonly tlsKeyFile?: string;
  /** PEM CA bundle client certificates must chain to (needs tlsClientAuth request or require). */
  readonly tlsCaFile?: string;
  /** Client certificates: none, request (verified when sent), require. */
  readonly tlsClientAuth: ClientAuthMode;
  /** Seconds a client may take to send its request headers (slowloris guard). */
  readonly httpHeaderTimeoutSecs: number;
  /** Seconds a client may take to send a whole request, body included; 0 = no limit. */
  readonly httpRequestTimeoutSecs: number;
  /** Seconds an idle keep-alive HTTP connection stays open. */
  readonly httpKeepAliveTimeoutSecs: number;
  /** Deepest object/array nesting accepted in JSON request bodies. */
  readonly httpMaxJsonDepth: number;
  /** Token bucket every API key gets unless the keys file sets its own; absent = no rate limit. */
  readonly apiKeyRateLimit?: RateLimit;
  /** Concurrent requests every API key may have unless the keys file sets its own; absent = no cap. */
  readonly apiKeyMaxConcurrency?: number;
  /** Triton's --cache-config: the response cache; absent = no cache. */
  readonly cacheConfig?: CacheConfig;
  /** Triton's --rate-limit: `execution_count` gates executions on instance resources. */
  readonly rateLimit: RateLimitMode;
  /** Triton's --rate-limit-resource entries: explicit resource capacities. */
  readonly rateLimitResources: readonly ResourceLimit[];
  /** Triton's --allow-metrics: serve /metrics at all. */
  readonly allowMetrics: boolean;
  /** Triton's --metrics-port: a separate metrics listener; absent = only on the HTTP port. */
  readonly metricsPort?: number;
  /** Triton's --metrics-config settings. */
  readonly metricsConfig: MetricsConfig;
  /** Also expose LLM metrics under their `vllm:` names. */
  readonly metricsVllmAliases: boolean;
  /** Log line format: JSON (default) or pretty. */
  readonly logFormat: LogFormat;
  /** Include prompts and outputs in access lines (off: they are never logged). */
  readonly logRequests: boolean;
  /** OTLP/HTTP endpoint for traces; absent = tracing off. */
  readonly otlpEndpoint?: string;
  /** The `--model` shortcut instead of a repository: GGUF files, catalog names or Hub references; the first loads at start, the others on demand. */
  readonly models: readonly string[];
  /** Names the `--model` values are served under, by position; default: the catalog name or file name. */
  readonly servedModelNames: readonly string[];
  /** llamacpp config parameters for the `--model` shortcut (context_size, max_sequences, threads, ...). */
  readonly llmParameters: Readonly<Record<string, string>>;
  /** Requests an LLM lets wait for a free sequence before it answers 429. */
  readonly maxQueue: number;
  /** llama.cpp contexts (instance_group count) for the `--model` shortcut; each runs its own batch loop. */
  readonly modelInstances: number;
  /** Memory LLMs may hold together (estimates from GGUF headers); on-demand loads evict idle LLMs to stay within it. */
  readonly maxMemoryBytes?: number;
  /** Idle time after which an LLM loaded on demand unloads; negative keeps it. */
  readonly keepAliveMs: number;
}

/** Response cache settings (only Triton's `local` cache exists). */
export interface CacheConfig {
  readonly kind: 'local';
  /** Budget of the cache in bytes. */
  readonly sizeBytes: number;
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
  rateLimit: 'off',
  rateLimitResources: [],
  allowMetrics: true,
  metricsConfig: DEFAULT_METRICS_CONFIG,
  metricsVllmAliases: false,
  logFormat: 'json',
  logRequests: false,
  httpRestrictedApi: [],
  allowGrpc: true,
  grpcPort: 8001,
  grpcMaxMessageSize: 64 * 1024 * 1024,
  allowRemoteAdmin: false,
  grpcRestrictedApi: [],
  tlsClientAuth: 'none',
  httpHeaderTimeoutSecs: 30,
  httpRequestTimeoutSecs: 300,
  httpKeepAliveTimeoutSecs: 72,
  httpMaxJsonDepth: 128,
  models: [],
  servedModelNames: [],
  llmParameters: {},
  maxQueue: 256,
  modelInstances: 1,
  keepAliveMs: 5 * 60_000,
};

/** Parses a duration: seconds, or a number with ms/s/m/h (`30s`, `5m`); a negative value means forever (-1). */
export function parseDuration(value: string): number {
  const m = /^(-?\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new Error(`expected a duration such as 30s, 5m, 1h or -1, got '${value}'`);
  const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return ms < 0 ? -1 : ms;
}

/** Parses one `KEY=VALUE` of `--llm-parameter`. */
export function parseKeyValue(value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`expected KEY=VALUE, got '${value}'`);
  return [value.slice(0, eq).trim(), value.slice(eq + 1).trim()];
}

/** Parses Triton's `--cache-config local,size=BYTES` (size takes the k/m/g suffixes too). */
export function parseCacheConfig(value: string): CacheConfig {
  const [kind, ...settings] = value.split(',').map((s) => s.trim());
  if (kind !== 'local') throw new Error(`unsupported cache '${kind ?? ''}': only 'local' exists (e.g. --cache-config local,size=1048576)`);
  let sizeBytes: number | undefined;
  for (const setting of settings) {
    const [key, raw] = setting.split('=');
    if (key !== 'size' || raw === undefined) throw new Error(`unknown cache setting '${setting}': expected size=BYTES`);
    sizeBytes = parseSize(raw);
  }
  if (sizeBytes === undefined) throw new Error(`--cache-config ${value}: size=BYTES is required`);
  return { kind: 'local', sizeBytes };
}

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
