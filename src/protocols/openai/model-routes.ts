/**
 * `GET /v1/models`, `GET /v1/models/{id}` and NIM's service endpoints: `/v1/health/live`,
 * `/v1/health/ready` (503 until an LLM is loaded and the server is ready), `/v1/version` and
 * `/v1/metadata` (models, engine, parameters).
 */
import type { FastifyInstance } from 'fastify';
import { InferError } from '../../core/errors.js';
import type { LlmModelInfo } from '../../core/llm/index.js';
import { sendOpenAiError } from './errors.js';
import type { ListedLlm, OpenAiInference } from './inference.js';

/** OpenAI's model object, with the context length vLLM also reports. */
export function modelJson(info: LlmModelInfo): unknown {
  return { id: info.name, object: 'model', created: info.created, owned_by: info.ownedBy, max_model_len: info.contextLength };
}

/** A listed model; unloaded ones (loadable on demand) carry only their name and state. */
function listedJson(m: ListedLlm): unknown {
  const base = m.model ? (modelJson(m.model.info) as Record<string, unknown>) : { id: m.name, object: 'model', created: 0, owned_by: 'inferd' };
  return { ...base, state: m.state };
}

/** Registers the model listing and NIM service routes on an OpenAI plugin instance. */
export function registerModelRoutes(app: FastifyInstance, inference: OpenAiInference, profileOf?: (name: string) => { readonly id: string; readonly name: string } | undefined): void {
  app.get('/models', async (_request, reply) => {
    const data = (await inference.listLlmModels()).map(listedJson);
    return reply.type('application/json').send(JSON.stringify({ object: 'list', data }));
  });
  app.get('/models/*', async (request, reply) => {
    const id = (request.params as { '*': string })['*'];
    const found = (await inference.listLlmModels()).find((m) => m.name === id);
    if (!found) return sendOpenAiError(reply, new InferError('NOT_FOUND', `The model '${id}' does not exist`));
    return reply.type('application/json').send(JSON.stringify(listedJson(found)));
  });
  app.get('/health/live', async (_request, reply) => {
    const live = inference.isLive();
    return reply.code(live ? 200 : 503).send({ object: 'health.response', message: live ? 'Service is live.' : 'Service is not live.' });
  });
  app.get('/health/ready', async (_request, reply) => {
    // NOTE: ready once an LLM is loaded, or once every known LLM waits to be loaded on demand.
    const ready = inference.isReady() && (await inference.listLlmModels()).some((m) => m.state !== 'loading');
    return reply.code(ready ? 200 : 503).send({ object: 'health.response', message: ready ? 'Service is ready.' : 'Service is not ready.' });
  });
  app.get('/version', async (_request, reply) => {
    const { version } = inference.serverMetadata();
    return reply.send({ release: version, api: '1.0.0' });
  });
  app.get('/metadata', async (_request, reply) => {
    const server = inference.serverMetadata();
    const models = (await inference.listLlmModels()).map(({ name, version, state, model }) => ({
      name,
      state,
      ...(profileOf?.(name) ? { profile: profileOf(name) } : {}),
      ...(model
        ? { version, context_length: model.info.contextLength, max_sequences: model.info.maxSequences, embedding_size: model.info.embeddingSize, parameters: model.info.parameters }
        : {}),
    }));
    return reply.send({
      version: server.version,
      server: server.name,
      engine: { name: 'llama.cpp', binding: 'node-llama-cpp' },
      modelInfo: models.map((m) => ({ shortName: m.name, modelUrl: '' })),
      models,
    });
  });
}
