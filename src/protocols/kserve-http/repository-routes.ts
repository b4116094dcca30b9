/**
 * Triton's model repository extension: `POST /v2/repository/index` and
 * `POST /v2/repository/models/{m}/load|unload`, with Triton's body formats.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InferError, invalidArgument } from '../../core/errors.js';
import type { InferenceServer, LoadOptions } from '../../core/inference-server.js';
import { jsonObjectBody, sendEmpty, sendJson } from './route-helpers.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function parametersOf(body: Record<string, unknown>): Record<string, unknown> {
  const params = body['parameters'];
  if (params === undefined) return {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw invalidArgument("Unable to parse 'parameters': expected a JSON object");
  }
  return params as Record<string, unknown>;
}

/**
 * Reads a load body `{"parameters": {"config": "<json>", "file:<version>/<name>": "<base64>"}}`
 * into LoadOptions; file keys lose their `file:` prefix.
 */
export function parseLoadOptions(body: Record<string, unknown>): LoadOptions {
  const params = parametersOf(body);
  let config: string | undefined;
  let files: Map<string, Uint8Array> | undefined;
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (typeof value !== 'string') throw invalidArgument(`Unable to parse load parameter '${key}': expected a string`);
    if (key === 'config') {
      config = value;
    } else if (key.startsWith('file:')) {
      if (!BASE64.test(value)) throw invalidArgument(`load parameter '${key}' is not valid base64`);
      (files ??= new Map()).set(key.slice('file:'.length), Buffer.from(value, 'base64'));
    } else {
      throw invalidArgument(`unrecognized load parameter '${key}'`);
    }
  }
  return { config, files };
}

/** Reads an unload body `{"parameters": {"unload_dependents": true}}`. */
export function parseUnloadOptions(body: Record<string, unknown>): { unloadDependents: boolean } {
  const value = parametersOf(body)['unload_dependents'];
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalidArgument("Unable to parse 'unload_dependents': expected a boolean");
  }
  return { unloadDependents: value === true };
}

/** Registers the repository routes on `app` (inside the KServe plugin). */
export function registerRepositoryRoutes(app: FastifyInstance, inference: InferenceServer): void {
  async function index(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const ready = jsonObjectBody(request)['ready'];
    if (ready !== undefined && typeof ready !== 'boolean') throw invalidArgument("Unable to parse 'ready': expected a boolean");
    return sendJson(reply, await inference.repositoryIndex({ readyOnly: ready === true }));
  }

  function control(action: 'load' | 'unload') {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const { model, repository } = request.params as { model: string; repository?: string };
      if (repository !== undefined) {
        throw new InferError('UNSUPPORTED', "'repository_name' specification is not supported");
      }
      const body = jsonObjectBody(request);
      if (action === 'load') await inference.loadModel(model, parseLoadOptions(body));
      else await inference.unloadModel(model, parseUnloadOptions(body));
      return sendEmpty(reply, 200);
    };
  }

  app.post('/v2/repository/index', index);
  app.post('/v2/repository/:repository/index', index);
  for (const action of ['load', 'unload'] as const) {
    app.post(`/v2/repository/models/:model/${action}`, control(action));
    app.post(`/v2/repository/:repository/models/:model/${action}`, control(action));
  }
}
