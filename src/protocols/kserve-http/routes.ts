/**
 * The KServe v2 HTTP front-end as one encapsulated Fastify plugin: health, server and model
 * metadata, model config, readiness, statistics, the repository extension and infer, with
 * Triton's paths, statuses and bodies. Every body is read as a Buffer and parsed here, because
 * an infer body may be a JSON header followed by raw bytes whatever its Content-Type says.
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceServer, ModelMetadata } from '../../core/inference-server.js';
import type { TensorSpec } from '../../core/types.js';
import { errorBody } from '../http/errors.js';
import { registerInferRoutes } from './infer-route.js';
import { registerRepositoryRoutes } from './repository-routes.js';
import { sendEmpty, sendJson, targetOf } from './route-helpers.js';

/** Options of the KServe plugin. */
export interface KserveHttpRoutesOptions {
  readonly inference: InferenceServer;
  /** Bound on a decompressed infer body, normally the server's body limit. */
  readonly maxInputSize: number;
}

function tensorMetadata(spec: TensorSpec): { name: string; datatype: string; shape: readonly number[] } {
  return { name: spec.name, datatype: spec.datatype, shape: spec.shape };
}

/** Model metadata in KServe's JSON shape (TensorSpec's extra fields left out). */
export function modelMetadataJson(m: ModelMetadata): unknown {
  return {
    name: m.name,
    versions: m.versions,
    platform: m.platform,
    inputs: m.inputs.map(tensorMetadata),
    outputs: m.outputs.map(tensorMetadata),
  };
}

function registerModelRoutes(app: FastifyInstance, inference: InferenceServer): void {
  const metadata = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { name, version } = targetOf(request);
    return sendJson(reply, modelMetadataJson(inference.modelMetadata(name, version)));
  };
  const ready = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { name, version } = targetOf(request);
    if (inference.isModelReady(name, version)) return sendEmpty(reply, 200);
    return reply.code(400).type('application/json').send(errorBody('Model version not ready'));
  };
  const config = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { name, version } = targetOf(request);
    return sendJson(reply, inference.modelConfig(name, version));
  };
  const stats = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { name, version } = targetOf(request);
    return sendJson(reply, { model_stats: inference.modelStatistics(name, version) });
  };
  for (const prefix of ['/v2/models/:model', '/v2/models/:model/versions/:version']) {
    app.get(prefix, metadata);
    app.get(`${prefix}/ready`, ready);
    app.get(`${prefix}/config`, config);
    app.get(`${prefix}/stats`, stats);
  }
  // NOTE: a static path outranks `/v2/models/:model`, as Triton checks this URL first.
  app.get('/v2/models/stats', (_request, reply) => sendJson(reply, { model_stats: inference.modelStatistics() }));
}

/** The KServe v2 plugin; register it with `app.register(kserveHttpRoutes, { inference, maxInputSize })`. */
export const kserveHttpRoutes: FastifyPluginCallback<KserveHttpRoutesOptions> = (app, opts, done) => {
  const { inference } = opts;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, next) => next(null, body));

  app.get('/v2', (_request, reply) => sendJson(reply, inference.serverMetadata()));
  app.get('/v2/health/live', (_request, reply) => sendEmpty(reply, inference.isLive() ? 200 : 400));
  app.get('/v2/health/ready', (_request, reply) => sendEmpty(reply, inference.isReady() ? 200 : 400));
  registerModelRoutes(app, inference);
  registerRepositoryRoutes(app, inference);
  registerInferRoutes(app, opts);
  done();
};
