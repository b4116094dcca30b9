/**
 * Composition root: wires the backend registry, repository manager, model server and front-ends
 * from ServerOptions, and owns start-up and shutdown order. No request logic lives here.
 */
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { BackendLogger } from './backends/backend.js';
import { BackendRegistry } from './backends/backend-registry.js';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './config/server-options.js';
import { ModelServer } from './core/model-server.js';
import { RepositoryManager } from './core/repository/repository-manager.js';
import { buildHttpServer } from './protocols/http/server.js';
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
  readonly log: Logger;
  /** Graceful stop: readiness off, stop accepting, finish in-flight work, unload models. */
  close(): Promise<void>;
}

/** Thrown when start-up must abort (e.g. --exit-on-error and a model failed). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Starts inferd with `options` (missing fields take their defaults). */
export async function startServer(partial: Partial<ServerOptions> & { logger?: Logger }): Promise<RunningServer> {
  const options: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...partial };
  const log = partial.logger ?? pino({ level: options.logLevel });
  if (!options.modelRepository) throw new StartupError('--model-repository is required');
  const repository = new RepositoryManager({
    repository: options.modelRepository,
    controlMode: options.modelControlMode,
    strictModelConfig: options.strictModelConfig,
    backends: new BackendRegistry(),
    log: backendLogger(log),
  });
  const inference = new ModelServer({
    repository,
    serverVersion: SERVER_VERSION,
    extensions: HTTP_EXTENSIONS,
    strictReadiness: options.strictReadiness,
    explicitControl: options.modelControlMode === 'explicit',
  });
  const http = buildHttpServer({ inference, maxInputSize: options.httpMaxInputSize, logger: log.child({ component: 'http' }) });
  await http.listen({ host: options.host, port: options.httpPort });
  const address = http.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : options.httpPort;
  log.info({ host: options.host, port: httpPort }, 'HTTP (KServe v2) listening');

  const { failed } = await repository.start(options.loadModels);
  if (failed.length > 0 && options.exitOnError) {
    await http.close();
    await repository.shutdown();
    throw new StartupError(`models failed to load: ${failed.join(', ')}`);
  }
  if (options.modelControlMode === 'poll') repository.startPolling(options.repositoryPollSecs);
  inference.markStarted();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      inference.markStopping();
      await http.close();
      await repository.shutdown();
    })();
    return closing;
  };
  return { inference, repository, http, httpPort, log, close };
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
