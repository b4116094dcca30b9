/**
 * `inferd serve`: flags and their INFERD_* environment twins, turned into ServerOptions.
 */
import { Command, Option } from 'commander';
import {
  DEFAULT_SERVER_OPTIONS as D,
  LOG_LEVELS,
  parseBool,
  parseCacheConfig,
  parseDuration,
  parseKeyValue,
  parsePort,
  parseSeconds,
  parseSize,
  type ServerOptions,
} from '../config/server-options.js';
import { LOG_FORMATS } from '../core/logging/logger.js';
import { parseMetricsConfig } from '../core/metrics/server-metrics.js';
import { parseResourceLimit, type ResourceLimit } from '../core/scheduling/rate-limiter.js';
import { parseRateLimit, type RateLimit } from '../security/rate-limit.js';
import { CLIENT_AUTH_MODES } from '../security/tls.js';

/** Wraps a parser so commander reports its message as an invalid-argument error. */
function arg<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (err) {
      throw new (class extends Error {
        code = 'commander.invalidArgument';
      })((err as Error).message);
    }
  };
}

function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got '${v}'`);
  return n;
}

function parsePositiveCount(v: string): number {
  const n = parseCount(v);
  if (n < 1) throw new Error(`expected an integer >= 1, got '${v}'`);
  return n;
}

function repeatable(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** A repeatable option's values; an environment variable gives one value, or several separated by commas. */
function listOf(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.flatMap((v: string) => v.split(',')).filter((v) => v !== '');
  return typeof raw === 'string' && raw !== '' ? raw.split(',').filter((v) => v !== '') : [];
}

function parsePositive(v: string): number {
  const n = parseCount(v);
  if (n < 1) throw new Error(`expected a positive integer, got '${v}'`);
  return n;
}

/** Builds an option with its `INFERD_*` environment variable named after the flag. */
function opt(flags: string, description: string): Option {
  const long = /--([a-z0-9-]+)/.exec(flags)?.[1] ?? '';
  return new Option(flags, description).env(`INFERD_${long.replace(/-/g, '_').toUpperCase()}`);
}

/** Adds the `serve` command to `program`; `run` receives the parsed options. */
export function addServeCommand(program: Command, run: (options: ServerOptions) => Promise<void>): Command {
  return program
    .command('serve')
    .description('serve a Triton-layout model repository over KServe v2 (HTTP, gRPC), and its LLMs over the OpenAI API')
    .addOption(opt('--model-repository <dir>', 'model repository folder (<repo>/<model>/config.pbtxt, numbered versions)'))
    .addOption(opt('--model <model>', 'serve this GGUF LLM (file, catalog name or hf:// reference) instead of a repository; repeatable: the first loads at start, the others on demand').argParser(repeatable))
    .addOption(opt('--served-model-name <name>', 'name the --model LLM is served under (default: the catalog or file name); repeatable, by position').argParser(repeatable))
    .addOption(
      opt('--llm-parameter <key=value>', 'llamacpp parameter for --model: context_size, max_sequences, threads, batch_size, gpu_layers, ... (repeatable)').argParser(
        (v: string, prev: Record<string, string> | undefined) => {
          const [k, val] = arg(parseKeyValue)(v);
          return { ...prev, [k]: val };
        },
      ),
    )
    .addOption(opt('--model-instances <n>', 'llama.cpp contexts for --model, each with max_sequences sequences and its own threads').default(D.modelInstances).argParser(arg(parsePositive)))
    .addOption(opt('--max-memory <bytes>', 'memory budget of LLMs (e.g. 12g; default 80% of RAM): on-demand loads evict idle LLMs to fit, 507 if one never fits').argParser(arg(parseSize)))
    .addOption(opt('--keep-alive <duration>', "idle time before an on-demand LLM unloads (30s, 5m, 1h; -1 = never); requests may override with 'keep_alive'").default('5m').argParser(arg(parseDuration)))
    .addOption(opt('--max-queue <n>', 'LLM requests that may wait for a free sequence; beyond it, 429 with Retry-After').default(D.maxQueue).argParser(arg(parseCount)))
    .addOption(opt('--host <address>', 'address to listen on').default(D.host))
    .addOption(opt('--http-port <port>', 'HTTP port (0 = any free port)').default(D.httpPort).argParser(arg(parsePort)))
    .addOption(
      opt('--model-control-mode <mode>', 'none: load all at start; poll: also rescan; explicit: load/unload API')
        .choices(['none', 'poll', 'explicit'])
        .default(D.modelControlMode),
    )
    .addOption(opt('--repository-poll-secs <secs>', 'rescan interval in poll mode').default(D.repositoryPollSecs).argParser(arg(parseSeconds)))
    .addOption(
      opt('--load-model <name>', 'model to load at start in explicit mode (repeatable; * = all)').argParser(
        (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').filter(Boolean)],
      ),
    )
    .addOption(opt('--strict-model-config [bool]', 'require complete config.pbtxt files (no auto-complete)').default(D.strictModelConfig).argParser(arg(parseBool)))
    .addOption(opt('--strict-readiness [bool]', 'ready only when every model is ready').default(D.strictReadiness).argParser(arg(parseBool)))
    .addOption(opt('--exit-on-error [bool]', 'exit at start-up when any model fails to load').default(D.exitOnError).argParser(arg(parseBool)))
    .addOption(opt('--log-level <level>', 'log level').choices([...LOG_LEVELS]).default(D.logLevel))
    .addOption(opt('--http-max-input-size <bytes>', 'largest HTTP request body (e.g. 64m); larger ones get 413').default(D.httpMaxInputSize).argParser(arg(parseSize)))
    .addOption(opt('--allow-grpc [bool]', 'serve KServe v2 over gRPC').default(D.allowGrpc).argParser(arg(parseBool)))
    .addOption(opt('--grpc-port <port>', 'gRPC port (0 = any free port)').default(D.grpcPort).argParser(arg(parsePort)))
    .addOption(opt('--grpc-max-message-size <bytes>', 'largest gRPC message (e.g. 64m)').default(D.grpcMaxMessageSize).argParser(arg(parseSize)))
    .addOption(opt('--api-keys-file <file>', 'JSON file of API keys [{key, name, scopes: [inference|admin|metrics], models}]'))
    .addOption(opt('--api-keys <spec>', 'API keys as KEY[:scope,scope][@model,model];... (prefer the env variable)'))
    .addOption(
      opt('--http-restricted-api <spec>', 'require HEADER=VALUE for API groups: GROUP[,GROUP]:HEADER=VALUE (repeatable)').argParser(
        (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
      ),
    )
    .addOption(
      opt('--grpc-restricted-api <spec>', 'require gRPC metadata KEY=VALUE for API groups: GROUP[,GROUP]:KEY=VALUE (repeatable)').argParser(
        (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
      ),
    )
    .addOption(opt('--api-key-rate-limit <rps[:burst]>', 'per-API-key token bucket, e.g. 10:20 (429/RESOURCE_EXHAUSTED beyond it; keys file: rateLimit)').argParser(arg(parseRateLimit)))
    .addOption(opt('--api-key-max-concurrency <n>', 'concurrent requests per API key (keys file: maxConcurrency)').argParser(arg(parsePositiveCount)))
    .addOption(opt('--tls-cert <file>', 'PEM certificate chain: HTTP and gRPC serve TLS only (with --tls-key)'))
    .addOption(opt('--tls-key <file>', 'PEM private key of --tls-cert'))
    .addOption(opt('--tls-ca <file>', 'PEM CA bundle that client certificates must chain to'))
    .addOption(opt('--tls-client-auth <mode>', 'client certificates: none, request (verified when sent), require').choices([...CLIENT_AUTH_MODES]).default(D.tlsClientAuth))
    .addOption(opt('--http-header-timeout <secs>', 'time a client may take to send request headers (slowloris guard)').default(D.httpHeaderTimeoutSecs).argParser(arg(parseSeconds)))
    .addOption(opt('--http-request-timeout <secs>', 'time a client may take to send a whole request (0 = no limit)').default(D.httpRequestTimeoutSecs).argParser(arg(parseSeconds)))
    .addOption(opt('--http-keep-alive-timeout <secs>', 'idle time before a keep-alive connection is closed').default(D.httpKeepAliveTimeoutSecs).argParser(arg(parseSeconds)))
    .addOption(opt('--http-max-json-depth <n>', 'deepest object/array nesting accepted in JSON request bodies').default(D.httpMaxJsonDepth).argParser(arg(parsePositiveCount)))
    .addOption(opt('--allow-remote-admin [bool]', 'serve repository/logging/trace APIs to non-loopback clients without an admin key').default(D.allowRemoteAdmin).argParser(arg(parseBool)))
    .addOption(opt('--exit-timeout-secs <secs>', 'time in-flight requests get to finish on shutdown').default(D.exitTimeoutSecs).argParser(arg(parseSeconds)))
    .addOption(opt('--cache-config <config>', 'response cache, e.g. local,size=1048576 (models opt in with response_cache { enable: true })').argParser(arg(parseCacheConfig)))
    .addOption(opt('--rate-limit <mode>', 'off, or execution_count: instances execute only when their rate_limiter resources are free').choices(['off', 'execution_count']).default(D.rateLimit))
    .addOption(
      opt('--rate-limit-resource <spec>', 'resource capacity NAME:COUNT[:DEVICE] (repeatable; default: the largest count any instance needs)').argParser(
        (v: string, prev: ResourceLimit[] | undefined) => [...(prev ?? []), ...v.split(',').filter(Boolean).map(arg(parseResourceLimit))],
      ),
    )
    .addOption(opt('--allow-metrics [bool]', 'serve Prometheus metrics on /metrics').default(D.allowMetrics).argParser(arg(parseBool)))
    .addOption(opt('--metrics-port <port>', 'also serve /metrics on this port (Triton uses 8002)').argParser(arg(parsePort)))
    .addOption(
      opt('--metrics-config <key=value>', 'Triton metrics settings: counter_latencies=true|false, summary_latencies=true|false (repeatable)').argParser(
        (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').filter(Boolean)],
      ),
    )
    .addOption(opt('--metrics-vllm-aliases [bool]', 'also expose LLM metrics as vllm:<name>').default(D.metricsVllmAliases).argParser(arg(parseBool)))
    .addOption(opt('--log-format <format>', 'log line format').choices([...LOG_FORMATS]).default(D.logFormat))
    .addOption(opt('--log-requests [bool]', 'include prompts and outputs in request logs').default(D.logRequests).argParser(arg(parseBool)))
    .addOption(new Option('--otlp-endpoint <url>', 'export OpenTelemetry traces over OTLP/HTTP to this endpoint').env('OTEL_EXPORTER_OTLP_ENDPOINT'))
    .action(async (raw: Record<string, unknown>) => {
      await run(toServerOptions(raw));
    });
}

/** Maps commander's camelCase result onto ServerOptions; flags given without a value mean `true`. */
export function toServerOptions(raw: Record<string, unknown>): ServerOptions {
  const bool = (v: unknown, d: boolean): boolean => (v === undefined ? d : v === true || v === false ? v : parseBool(String(v)));
  return {
    modelRepository: raw.modelRepository as string | undefined,
    host: raw.host as string,
    httpPort: Number(raw.httpPort),
    modelControlMode: raw.modelControlMode as ServerOptions['modelControlMode'],
    repositoryPollSecs: Number(raw.repositoryPollSecs),
    loadModels: (raw.loadModel as string[] | undefined) ?? [],
    strictModelConfig: bool(raw.strictModelConfig, D.strictModelConfig),
    strictReadiness: bool(raw.strictReadiness, D.strictReadiness),
    exitOnError: bool(raw.exitOnError, D.exitOnError),
    logLevel: raw.logLevel as ServerOptions['logLevel'],
    httpMaxInputSize: Number(raw.httpMaxInputSize),
    exitTimeoutSecs: Number(raw.exitTimeoutSecs),
    allowGrpc: bool(raw.allowGrpc, D.allowGrpc),
    grpcPort: Number(raw.grpcPort),
    grpcMaxMessageSize: Number(raw.grpcMaxMessageSize),
    apiKeysFile: raw.apiKeysFile as string | undefined,
    apiKeys: raw.apiKeys as string | undefined,
    httpRestrictedApi: (raw.httpRestrictedApi as string[] | undefined) ?? [],
    allowRemoteAdmin: bool(raw.allowRemoteAdmin, D.allowRemoteAdmin),
    grpcRestrictedApi: (raw.grpcRestrictedApi as string[] | undefined) ?? [],
    ...(raw.apiKeyRateLimit !== undefined ? { apiKeyRateLimit: raw.apiKeyRateLimit as RateLimit } : {}),
    ...(raw.apiKeyMaxConcurrency !== undefined ? { apiKeyMaxConcurrency: Number(raw.apiKeyMaxConcurrency) } : {}),
    ...(typeof raw.tlsCert === 'string' && raw.tlsCert !== '' ? { tlsCertFile: raw.tlsCert } : {}),
    ...(typeof raw.tlsKey === 'string' && raw.tlsKey !== '' ? { tlsKeyFile: raw.tlsKey } : {}),
    ...(typeof raw.tlsCa === 'string' && raw.tlsCa !== '' ? { tlsCaFile: raw.tlsCa } : {}),
    tlsClientAuth: (raw.tlsClientAuth as ServerOptions['tlsClientAuth'] | undefined) ?? D.tlsClientAuth,
    httpHeaderTimeoutSecs: Number(raw.httpHeaderTimeout ?? D.httpHeaderTimeoutSecs),
    httpRequestTimeoutSecs: Number(raw.httpRequestTimeout ?? D.httpRequestTimeoutSecs),
    httpKeepAliveTimeoutSecs: Number(raw.httpKeepAliveTimeout ?? D.httpKeepAliveTimeoutSecs),
    httpMaxJsonDepth: Number(raw.httpMaxJsonDepth ?? D.httpMaxJsonDepth),
    ...(raw.cacheConfig !== undefined ? { cacheConfig: raw.cacheConfig as ServerOptions['cacheConfig'] } : {}),
    rateLimit: (raw.rateLimit as ServerOptions['rateLimit'] | undefined) ?? D.rateLimit,
    rateLimitResources: (raw.rateLimitResource as ResourceLimit[] | undefined) ?? [],
    allowMetrics: bool(raw.allowMetrics, D.allowMetrics),
    ...(raw.metricsPort !== undefined ? { metricsPort: Number(raw.metricsPort) } : {}),
    metricsConfig: parseMetricsConfig((raw.metricsConfig as string[] | undefined) ?? []),
    metricsVllmAliases: bool(raw.metricsVllmAliases, D.metricsVllmAliases),
    logFormat: (raw.logFormat as ServerOptions['logFormat'] | undefined) ?? D.logFormat,
    logRequests: bool(raw.logRequests, D.logRequests),
    ...(typeof raw.otlpEndpoint === 'string' && raw.otlpEndpoint !== '' ? { otlpEndpoint: raw.otlpEndpoint } : {}),
    models: listOf(raw.model),
    servedModelNames: listOf(raw.servedModelName),
    llmParameters: (raw.llmParameter as Record<string, string> | undefined) ?? {},
    maxQueue: Number(raw.maxQueue ?? D.maxQueue),
    modelInstances: Number(raw.modelInstances ?? D.modelInstances),
    ...(raw.maxMemory !== undefined ? { maxMemoryBytes: Number(raw.maxMemory) } : {}),
    keepAliveMs: typeof raw.keepAlive === 'number' ? raw.keepAlive : typeof raw.keepAlive === 'string' ? parseDuration(raw.keepAlive) : D.keepAliveMs,
  };
}
