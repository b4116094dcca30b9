/**
 * Operations wiring for the composition root: metrics (the /metrics routes and the optional
 * metrics port), request ids and access lines, the logging extension, tracing, and the HTTP
 * side of graceful shutdown. Each feature is built only when its option asks for it.
 */
import type { IncomingMessage, Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ServerOptions } from '../config/server-options.js';
import { LogLevelControl } from '../core/logging/logger.js';
import type { VersionInstrument } from '../core/metrics/instrument-versions.js';
import { type LlmMetricsHub, NOOP_LLM_METRICS_HUB } from '../core/metrics/llm-metrics.js';
import type { MetricsModelVersion } from '../core/metrics/triton-collector.js';
import { ServerMetrics } from '../core/metrics/server-metrics.js';
import { RequestTracer, type RequestTracerOptions } from '../core/tracing/request-tracer.js';
import { errorBody } from './http/errors.js';
import { loggingRoutes } from './http/logging-routes.js';
import { metricsRoutes } from './http/metrics-routes.js';
import { createRequestLog, type RawRequestHook, requestIdOf } from './http/request-log.js';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';

/** Inputs of setupObservability. */
export interface ObservabilityOptions {
  readonly options: ServerOptions;
  /** Root logger; the level control follows it and its `track`ed children. */
  readonly log: Logger;
  /** Model versions to report (called once per scrape). */
  readonly versions: () => Iterable<MetricsModelVersion>;
  /** Test hook: trace with this exporter setup even without an OTLP endpoint. */
  readonly tracing?: RequestTracerOptions;
  readonly serviceVersion?: string;
}

/** Everything the composition root plugs in. */
export interface Observability {
  /** Present unless --allow-metrics=false. */
  readonly metrics?: ServerMetrics;
  /** Where LLM engines register their NIM/vLLM statistics; a no-op hub when metrics are off. */
  readonly llmMetrics: LlmMetricsHub;
  /** Present when tracing is on. */
  readonly tracer?: RequestTracer;
  readonly logControl: LogLevelControl;
  /** Scheduler-factory instruments (metrics load time / summaries, tracing). */
  readonly instruments: readonly VersionInstrument[];
  /** buildHttpServer options: the raw request hook and Fastify's request id. */
  readonly http: { onRawRequest: RawRequestHook; genReqId: (req: IncomingMessage) => string };
  /** Registers routes and the shutdown gate on the HTTP server (before listen). */
  register(app: FastifyInstance): void;
  /** Starts the separate metrics listener when --metrics-port is set; returns its port. */
  startMetricsPort(): Promise<number | undefined>;
  /**
   * Marks the server as shutting down: requests still arriving on open connections get 503 (liveness
   * stays 200). With `server`, keep-alive connections are closed as soon as they turn idle, so a
   * closing listener does not wait for clients' keep-alive timeouts.
   */
  beginShutdown(server?: Server): void;
  /** Stops the metrics listener and flushes traces. */
  close(): Promise<void>;
}

const LIVE_PATH = '/v2/health/live';
const READY_PATH = '/v2/health/ready';

/** Builds the operations features from the server options. */
export function setupObservability(o: ObservabilityOptions): Observability {
  const { options, log } = o;
  const logControl = new LogLevelControl(log);
  const metrics = options.allowMetrics
    ? new ServerMetrics({ versions: o.versions, config: options.metricsConfig, vllmAliases: options.metricsVllmAliases })
    : undefined;
  const tracingOptions = o.tracing ?? (options.otlpEndpoint ? { endpoint: options.otlpEndpoint } : undefined);
  const tracer = tracingOptions ? new RequestTracer({ serviceVersion: o.serviceVersion, ...tracingOptions }) : undefined;
  const accessLog = createRequestLog({
    logger: logControl.track(log.child({ component: 'access' })),
    logRequests: options.logRequests,
    ...(metrics ? { onStatus: (status: number) => metrics.recordRejection('http', status) } : {}),
  });
  const onRawRequest: RawRequestHook = tracer
    ? (req, res) => {
        accessLog(req, res);
        tracer.onHttpRequest(req, res, requestIdOf(req));
      }
    : accessLog;
  let shuttingDown = false;
  let metricsServer: MetricsServer | undefined;
  return {
    metrics,
    llmMetrics: metrics?.llm ?? NOOP_LLM_METRICS_HUB,
    tracer,
    logControl,
    instruments: [...(metrics ? [metrics.instrument] : []), ...(tracer ? [tracer.instrument] : [])],
    http: { onRawRequest, genReqId: (req) => requestIdOf(req) ?? randomUUID() },
    register(app) {
      // NOTE: Fastify's own 503-on-close would also fail liveness probes on open connections.
      app.addHook('onRequest', (request, reply, done) => {
        if (!shuttingDown) return done();
        const path = request.url.split('?')[0];
        if (path === LIVE_PATH) return done();
        const status = 503;
        const body = path === READY_PATH ? '' : errorBody('Server is shutting down');
        void reply.code(status).header('connection', 'close').type('application/json').send(body);
      });
      if (metrics) void app.register(metricsRoutes, { metrics });
      void app.register(loggingRoutes, { control: logControl });
    },
    async startMetricsPort() {
      if (!metrics || options.metricsPort === undefined) return undefined;
      metricsServer = await startMetricsServer(metrics, options.host, options.metricsPort);
      return metricsServer.port;
    },
    beginShutdown(server) {
      shuttingDown = true;
      if (!server) return;
      // NOTE: Node closes only the connections idle at close(); ones that finish a request later
      // would otherwise stay open until their keep-alive timeout and hold the shutdown.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      sweep.unref();
      server.once('close', () => clearInterval(sweep));
    },
    async close() {
      await metricsServer?.close();
      await tracer?.shutdown();
    },
  };
}
