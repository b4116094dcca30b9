/**
 * The separate metrics listener (`--metrics-port`, Triton's 8002): a bare Node HTTP server that
 * answers `GET /metrics` and `GET /v1/metrics` and 404 to everything else, so scraping never
 * competes with inference routing.
 */
import http from 'node:http';
import { once } from 'node:events';
import { METRICS_PATHS, type MetricsExposition } from './http/metrics-routes.js';

/** A listening metrics server. */
export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the metrics listener on `host:port` (0 = any free port). */
export async function startMetricsServer(metrics: MetricsExposition, host: string, port: number): Promise<MetricsServer> {
  const paths = new Set<string>(METRICS_PATHS);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !paths.has(path)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Not Found' }));
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : text),
      () => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'metrics unavailable' })),
    );
  });
  server.keepAliveTimeout = 72_000;
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
