/**
 * `inferd serve`: flags and their INFERD_* environment twins, turned into ServerOptions.
 */
import { Command, Option } from 'commander';
import {
  DEFAULT_SERVER_OPTIONS as D,
  LOG_LEVELS,
  parseBool,
  parseCacheConfig,
  parseKeyValue,
  parsePort,
  parseSeconds,
  parseSize,
  type ServerOptions,
} from '../config/server-options.js';
import { LOG_FORMATS } from '../core/logging/logger.js';
import { parseMetricsConfig } from '../core/metrics/server-metrics.js';
import { parseResourceLimit, type ResourceLimit } from '../core/scheduling/rate-limiter.js';

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
    .addOption(opt('--model <file.gguf>', 'serve this one GGUF LLM instead of a repository'))
    .addOption(opt('--served-model-name <name>', 'name the --model LLM is served under (default: the file name)'))
    .addOption(
      opt('--llm-parameter <key=value>', 'llamacpp parameter for --model: context_size, max_sequences, threads, batch_size, gpu_layers, ... (repeatable)').argParser(
        (v: string, prev: Record<string, string> | undefined) => {
          const [k, val] = arg(parseKeyValue)(v);
          return { ...prev, [k]: val };
        },
      ),
    )
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
    ...(typeof raw.model === 'string' && raw.model !== '' ? { model: raw.model } : {}),
    ...(typeof raw.servedModelName === 'string' && raw.servedModelName !== '' ? { servedModelName: raw.servedModelName } : {}),
    llmParameters: (raw.llmParameter as Record<string, string> | undefined) ?? {},
    maxQueue: Number(raw.maxQueue ?? D.maxQueue),
  };
}
