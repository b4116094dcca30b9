/**
 * Composition root: wires the backend registry, repository manager, model server and front-ends
 * from ServerOptions, and owns start-up and shutdown order. No request logic lives here.
 */
import { totalmem } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { BackendLogger } from './backends/backend.js';
import { BackendRegistry } from './backends/backend-registry.js';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './config/server-options.js';
import { createSingleModelRepository, type SingleModelRepository } from './config/single-model-repository.js';
import { ServedModels } from './catalog/served-models.js';
import { createLogger } from './core/logging/logger.js';
import { instrumentSchedulerFactory } from './core/metrics/instrument-versions.js';
import { LlmResidency } from './core/llm/llm-residency.js';
import { RepositoryLlmPort } from './core/llm/repository-llm-port.js';
import { ModelServer } from './core/model-server.js';
import { RepositoryManager } from './core/repository/repository-manager.js';
import { composeSchedulerFactory } from './core/repository/version-scheduler-factory.js';
import { ResponseCache } from './core/response-cache.js';
import { RateLimiter } from './core/scheduling/rate-limiter.js';
import { installAccessControl, type AccessControlOptions } from './protocols/http/access-control.js';
import { installKeyLimits } from './protocols/http/limits-keys.js';
import { buildHttpServer } from './protocols/http/server.js';
import { generateRoutes } from './protocols/kserve-http/generate-routes.js';
import { catalogRoutes } from './protocols/openai/catalog-routes.js';
import { openAiRoutes } from './protocols/openai/index.js';
import { GrpcAccessControl, startGrpcServer, type GrpcServerHandle } from './protocols/kserve-grpc/index.js';
import { type Observability, setupObservability } from './protocols/observability.js';
import { loadApiKeys } from './security/api-keys.js';
import { KeyLimiter, loadKeyLimits } from './security/rate-limit.js';
import { parseRestriction, type Restriction } from './security/restricted-api.js';
import { loadTlsMaterial, type TlsMaterial } from './security/tls.js';
import { SERVER_VERSION } from './version.js';

/** KServe extensions the HTTP front-end implements end to end. */
export const HTTP_EXTENSIONS = ['classification', 'model_repository', 'model_configuration', 'binary_tensor_data', 'parameters', 'statistics'];

/** A started server. */
export interface RunningServer {
  readonly inference: ModelServer;
  readonly repository: RepositoryManager;
  readonly http: FastifyInstance;
  /** Port the HTTP front-end listens on (useful with port 0). */
  readonly httpPort: number;
  /** Port of the KServe gRPC front-end; undefined when gRPC is off. */
  readonly grpcPort: number | undefined;
  readonly log: Logger;
  /** Metrics, tracing and log control of this server. */
  readonly observability: Observability;
  /** Port of the separate metrics listener, when --metrics-port is set. */
  readonly metricsPort?: number;
  /** Graceful stop: readiness off, stop accepting, finish in-flight work, unload models. */
  close(): Promise<void>;
}

/** Thrown when start-up must abort (e.g. --exit-on-error and a model failed). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Starts inferd with `options` (missing fields take their defaults). */
export async function startServer(
  partial: Partial<ServerOptions> & { logger?: Logger; tracing?: Parameters<typeof setupObservability>[0]['tracing'] },
): Promise<RunningServer> {
  const requested: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...partial };
  const log = partial.logger ?? createLogger(requested.logLevel, requested.logFormat);
  const single = await singleModelRepository(requested);
  // NOTE: --model models load through explicit control: the first at start, the others on demand.
  const options: ServerOptions = single ? { ...requested, modelRepository: single.dir, modelControlMode: 'explicit', loadModels: [] } : requested;
  if (!options.modelRepository) throw new StartupError('--model-repository or --model is required');
  const trustedFiles: string[] = [];
  const served = single ? new ServedModels({ repository: single, trustedFiles, llmParameters: options.llmParameters, log: log.child({ component: 'catalog' }) }) : undefined;
  const observability = setupObservability({
    options,
    log,
    // NOTE: read lazily at scrape time; the repository is built just below.
    versions: () => repository.allVersions().filter((v) => v.lifecycle.state === 'READY' || v.lifecycle.state === 'UNLOADING'),
    serviceVersion: SERVER_VERSION,
    ...(partial.tracing ? { tracing: partial.tracing } : {}),
  });
  const baseSchedulerFactory = composeSchedulerFactory({
    // NOTE: ensembles reach their composing models through the facade, built just below.
    infer: (request) => inference.infer(request),
    isReady: (name, version) => inference.isModelReady(name, version),
    ...(options.cacheConfig ? { cache: new ResponseCache(options.cacheConfig.sizeBytes) } : {}),
    ...(options.rateLimit === 'execution_count' ? { rateLimiter: new RateLimiter(options.rateLimitResources) } : {}),
    llm: { maxQueue: options.maxQueue, log: backendLogger(log), metrics: observability.llmMetrics },
  });
  const schedulerFactory = instrumentSchedulerFactory(baseSchedulerFactory, observability.instruments);
  const repository = new RepositoryManager({
    repository: options.modelRepository,
    controlMode: options.modelControlMode,
    strictModelConfig: options.strictModelConfig,
    backends: new BackendRegistry(),
    log: backendLogger(log),
    schedulerFactory,
    trustedFiles,
  });
  const llm = llmResidency(options, repository, log);
  const inference = new ModelServer({
    ...(llm ? { llm } : {}),
    repository,
    serverVersion: SERVER_VERSION,
    extensions: HTTP_EXTENSIONS,
    strictReadiness: options.strictReadiness,
    explicitControl: options.modelControlMode === 'explicit',
  });
  const access = accessControlOptions(options);
  const security = securitySettings(options);
  const http = buildHttpServer({
    inference,
    maxInputSize: options.httpMaxInputSize,
    maxJsonDepth: options.httpMaxJsonDepth,
    timeouts: {
      headersTimeoutMs: options.httpHeaderTimeoutSecs * 1000,
      requestTimeoutMs: options.httpRequestTimeoutSecs * 1000,
      keepAliveTimeoutMs: options.httpKeepAliveTimeoutSecs * 1000,
    },
    ...(security.tls ? { tls: security.tls } : {}),
    logger: observability.logControl.track(log.child({ component: 'http' })),
    ...observability.http,
    return503OnClosing: false,
    // NOTE: the infer fast path skips Fastify hooks, so it is off whenever hooks must see infer requests.
    fastInferPath: !access.keys.enabled && access.restrictions.length === 0,
  });
  installAccessControl(http, access);
  installKeyLimits(http, security.limiter);
  observability.register(http);
  await http.register(openAiRoutes, { inference, ...(served ? { profileOf: (name: string) => served.profileOf(name) } : {}) });
  if (served) await http.register(catalogRoutes, { catalog: served });
  await http.register(generateRoutes, { inference });
  await http.listen({ host: options.host, port: options.httpPort });
  const address = http.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : options.httpPort;
  log.info({ host: options.host, port: httpPort, tls: security.tls !== undefined }, 'HTTP (KServe v2) listening');
  const grpc = await startGrpc(options, inference, access, security, log);
  const metricsPort = await observability.startMetricsPort();
  if (metricsPort !== undefined) log.info({ host: options.host, port: metricsPort }, 'metrics listening');

  let loadModels = options.loadModels;
  if (single && served) {
    const written = await single.populate(served.resolver()).catch(async (err: unknown) => {
      await Promise.all([grpc?.close(0), http.close()]);
      await observability.close();
      await single.cleanup();
      throw new StartupError((err as Error).message);
    });
    trustedFiles.push(...written.map((w) => w.file));
    written.forEach((w, i) => served.record(w.name, options.models[i] ?? ''));
    loadModels = written.slice(0, 1).map((w) => w.name);
    log.info({ models: written }, 'serving GGUF models (--model)');
  }
  const { failed } = await repository.start(loadModels);
  if (failed.length > 0 && options.exitOnError) {
    await grpc?.close(0);
    await http.close();
    await repository.shutdown();
    await observability.close();
    await single?.cleanup();
    throw new StartupError(`models failed to load: ${failed.join(', ')}`);
  }
  if (options.modelControlMode === 'poll') repository.startPolling(options.repositoryPollSecs);
  if (llm) {
    // NOTE: LLMs loaded at start-up are adopted with no idle timeout (keep-alive applies to on-demand loads).
    for (const m of await inference.listLlmModels()) if (m.state === 'loaded') await llm.residency.adopt(m.name);
  }
  const sweeper = llm ? setInterval(() => void llm.residency.sweep().catch((err: unknown) => log.warn({ err }, 'idle-model sweep failed')), 1000) : undefined;
  sweeper?.unref();
  inference.markStarted();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      inference.markStopping();
      clearInterval(sweeper);
      observability.beginShutdown(http.server);
      await Promise.all([http.close(), grpc?.close(options.exitTimeoutSecs * 1000)]);
      await repository.shutdown();
      await observability.close();
      await single?.cleanup();
    })();
    return closing;
  };
  return { inference, repository, http, httpPort, grpcPort: grpc?.port, log, observability, ...(metricsPort !== undefined ? { metricsPort } : {}), close };
}

/** On-demand LLM loading within the memory budget; off in poll mode, where the repository folder decides what is loaded. */
function llmResidency(options: ServerOptions, repository: RepositoryManager, log: Logger): { residency: LlmResidency; port: RepositoryLlmPort } | undefined {
  if (options.modelControlMode === 'poll' || !options.modelRepository) return undefined;
  const port = new RepositoryLlmPort(repository, options.modelRepository, options.strictModelConfig);
  const budgetBytes = options.maxMemoryBytes ?? Math.floor(totalmem() * 0.8);
  const child = log.child({ component: 'llm-residency' });
  const residency = new LlmResidency({ port, budgetBytes, defaultKeepAliveMs: options.keepAliveMs, log: (msg, fields) => child.info(fields, msg) });
  return { residency, port };
}

/** The generated repository of `--model`, if given; refuses `--model` together with a repository. */
async function singleModelRepository(options: ServerOptions): Promise<SingleModelRepository | undefined> {
  if (options.models.length === 0) return undefined;
  if (options.modelRepository) throw new StartupError('--model and --model-repository cannot be used together');
  try {
    return await createSingleModelRepository({
      references: options.models,
      servedModelNames: options.servedModelNames,
      parameters: options.llmParameters,
      instances: options.modelInstances,
    });
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
}

/** Starts the KServe gRPC front-end unless it is off; it enforces the same keys, scopes and limits as HTTP. */
async function startGrpc(
  options: ServerOptions,
  inference: ModelServer,
  access: AccessControlOptions,
  security: SecuritySettings,
  log: Logger,
): Promise<GrpcServerHandle | undefined> {
  if (!options.allowGrpc) return undefined;
  const grpc = await startGrpcServer({
    inference,
    host: options.host,
    port: options.grpcPort,
    maxMessageBytes: options.grpcMaxMessageSize,
    logger: log.child({ component: 'grpc' }),
    access: new GrpcAccessControl({
      keys: access.keys,
      restrictions: security.grpcRestrictions,
      allowRemoteAdmin: access.allowRemoteAdmin,
      limiter: security.limiter,
    }),
    ...(security.tls ? { tls: security.tls } : {}),
  });
  log.info({ host: options.host, port: grpc.port, tls: security.tls !== undefined }, 'gRPC (KServe v2) listening');
  return grpc;
}

/** TLS material, per-key limits and gRPC restrictions shared by both front-ends. */
interface SecuritySettings {
  readonly tls?: TlsMaterial;
  readonly limiter: KeyLimiter;
  readonly grpcRestrictions: readonly Restriction[];
}

/** Loads TLS files, per-key limits and gRPC restrictions; a bad file or value aborts start-up. */
function securitySettings(options: ServerOptions): SecuritySettings {
  try {
    const tls = loadTlsMaterial({ certFile: options.tlsCertFile, keyFile: options.tlsKeyFile, caFile: options.tlsCaFile, clientAuth: options.tlsClientAuth });
    const defaults = {
      ...(options.apiKeyRateLimit ? { rate: options.apiKeyRateLimit } : {}),
      ...(options.apiKeyMaxConcurrency !== undefined ? { maxConcurrency: options.apiKeyMaxConcurrency } : {}),
    };
    return {
      ...(tls ? { tls } : {}),
      limiter: new KeyLimiter(defaults, loadKeyLimits(options.apiKeysFile)),
      grpcRestrictions: options.grpcRestrictedApi.map(parseRestriction),
    };
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
}

/** Builds the access-control settings; a bad key file or restriction aborts start-up. */
function accessControlOptions(options: ServerOptions): AccessControlOptions {
  try {
    return {
      keys: loadApiKeys({ file: options.apiKeysFile, spec: options.apiKeys }),
      restrictions: options.httpRestrictedApi.map(parseRestriction),
      allowRemoteAdmin: options.allowRemoteAdmin,
    };
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
}

/** Adapts pino to the small logger interface backends get. */
function backendLogger(log: Logger): BackendLogger {
  const child = log.child({ component: 'models' });
  return {
    debug: (msg, fields) => child.debug(fields ?? {}, msg),
    info: (msg, fields) => child.info(fields ?? {}, msg),
    warn: (msg, fields) => child.warn(fields ?? {}, msg),
    error: (msg, fields) => child.error(fields ?? {}, msg),
  };
}
