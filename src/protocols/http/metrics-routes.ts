/**
 * `GET /metrics` and `GET /v1/metrics` (NIM's path) on the HTTP port, in Prometheus text format.
 */
import type { FastifyPluginCallback } from 'fastify';

/** What the routes need: something that renders the exposition. */
export interface MetricsExposition {
  readonly contentType: string;
  render(): Promise<string>;
}

/** Paths the exposition is served on. */
export const METRICS_PATHS = ['/metrics', '/v1/metrics'] as const;

/** Fastify plugin serving the exposition; register with `app.register(metricsRoutes, { metrics })`. */
export const metricsRoutes: FastifyPluginCallback<{ metrics: MetricsExposition }> = (app, opts, done) => {
  for (const path of METRICS_PATHS) {
    app.get(path, async (_request, reply) => reply.type(opts.metrics.contentType).send(await opts.metrics.render()));
  }
  done();
};
