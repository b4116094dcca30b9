/**
 * The HTTP server factory. One Fastify instance carries every HTTP front-end, each registered as
 * an encapsulated plugin: KServe v2 here, others (OpenAI) by the composition root with
 * `app.register(plugin, opts)` before `listen()`/`ready()`. The error catalogue mapping, the
 * body size and JSON depth limits, TLS and the socket time limits are set here once for all of them.
 */
import http from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { InferenceServer } from '../../core/inference-server.js';
import { createInferFastPath } from '../kserve-http/infer-fast-path.js';
import { kserveHttpRoutes } from '../kserve-http/routes.js';
import { createHttpsServer, type TlsMaterial } from '../../security/tls.js';
import { installErrorHandlers } from './errors.js';
import { DEFAULT_MAX_JSON_DEPTH, installJsonDepthLimit } from './limits-json.js';
import { DEFAULT_HTTP_TIMEOUTS, httpTimeoutOptions, type HttpTimeouts } from './limits-timeouts.js';

/** Triton's default limit on an HTTP request body (64 MiB). */
export const DEFAULT_MAX_INPUT_SIZE = 64 * 1024 * 1024;

/** Options of `buildHttpServer`. */
export interface HttpServerOptions {
  readonly inference: InferenceServer;
  /** Largest accepted request body in bytes (compressed and decompressed); larger ones get 413. */
  readonly maxInputSize?: number;
  /** A pino logger, or false (the default) for none. Per-request lines only at debug level or below. */
  readonly logger?: Logger | false;
  /** Header whose value becomes the request id in logs (Fastify's `requestIdHeader`). */
  readonly requestIdHeader?: string;
  /**
   * Answer plain KServe infer requests on the socket without Fastify's request pipeline (the
   * default, true). Turn off when root-level Fastify hooks must see infer requests.
   */
  readonly fastInferPath?: boolean;
  /** Runs first on every raw request, fast path included (request ids, access log, tracing). */
  readonly onRawRequest?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** Request id Fastify puts on its per-request log lines (Fastify's `genReqId`). */
  readonly genReqId?: (req: http.IncomingMessage) => string;
  /** Fastify's 503 to every request while closing (default true); off when a shutdown gate of its own keeps liveness up. */
  readonly return503OnClosing?: boolean;
  /** Serve HTTPS only, with this certificate and client verification; absent = plain HTTP. */
  readonly tls?: TlsMaterial;
  /** Header, request and keep-alive time limits of the listener (DEFAULT_HTTP_TIMEOUTS when absent). */
  readonly timeouts?: HttpTimeouts;
  /** Deepest JSON nesting accepted in `application/json` bodies (DEFAULT_MAX_JSON_DEPTH when absent). */
  readonly maxJsonDepth?: number;
}

/**
 * Builds the Fastify instance with the KServe v2 routes registered. Nothing is listening yet:
 * the caller may register further plugins, then calls `listen()`; the caller also owns `close()`.
 */
export function buildHttpServer(opts: HttpServerOptions): FastifyInstance {
  const maxInputSize = opts.maxInputSize ?? DEFAULT_MAX_INPUT_SIZE;
  const logger = opts.logger === undefined ? false : opts.logger;
  let closing = false;
  const fastPath =
    opts.fastInferPath === false
      ? undefined
      : createInferFastPath({ inference: opts.inference, maxInputSize, logger, isClosing: () => closing });

  const app = Fastify({
    bodyLimit: maxInputSize,
    ...(logger === false ? { logger: false } : { loggerInstance: logger as FastifyBaseLogger }),
    // Request/response log lines cost more than a small infer; keep them for debugging only.
    logController: new LogController({ disableRequestLogging: logger === false || !logger.isLevelEnabled('debug') }),
    requestIdHeader: opts.requestIdHeader ?? false,
    ...(opts.genReqId ? { genReqId: opts.genReqId } : {}),
    return503OnClosing: opts.return503OnClosing ?? true,
    // Model names are path parameters; Fastify's default cap of 100 characters is too tight.
    routerOptions: { maxParamLength: 1024 },
    serverFactory: (handler) => {
      const onRaw = opts.onRawRequest;
      const listener: http.RequestListener = (req, res) => {
        onRaw?.(req, res);
        if (fastPath === undefined || !fastPath(req, res)) handler(req, res);
      };
      const { handshakeTimeoutMs, ...serverOptions } = httpTimeoutOptions(opts.timeouts ?? DEFAULT_HTTP_TIMEOUTS);
      // NOTE: the fast path sees the same request objects over TLS, so it keeps working there.
      return opts.tls ? createHttpsServer(opts.tls, { ...serverOptions, handshakeTimeoutMs }, listener) : http.createServer(serverOptions, listener);
    },
  }) as unknown as FastifyInstance;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  installErrorHandlers(app);
  installJsonDepthLimit(app, opts.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);
  void app.register(kserveHttpRoutes, { inference: opts.inference, maxInputSize });
  return app;
}
