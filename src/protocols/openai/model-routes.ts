/**
 * `GET /v1/models`, `GET /v1/models/{id}` and NIM's service endpoints: `/v1/health/live`,
 * `/v1/health/ready` (503 until an LLM is loaded and the server is ready), `/v1/version` and
 * `/v1/metadata` (models, engine, parameters).
 */
import type { FastifyInstance } from 'fastify';
import { InferError } from '../../core/errors.js';
import type { LlmModelInfo } from '../../core/llm/index.js';
import { sendOpenAiError } from './errors.js';
import type { OpenAiInference } from './inference.js';

/** OpenAI's model object, with the context length vLLM also reports. */
export function modelJson(info: LlmModelInfo): unknown {
  return { id: info.name, object: 'model', created: info.created, owned_by: info.ownedBy, max_model_len: info.contextLength };
}

/** Registers the model listing and NIM service routes on an OpenAI plugin instance. */
export function registerModelRoutes(app: FastifyInstance, inference: OpenAiInference): void {
  app.get('/models', async (_request, reply) => {
    const data = inference.listLlmModels().map((m) => modelJson(m.model.info));
    return reply.type('application/json').send(JSON.stringify({ object: 'list', data }));
  });
  app.get('/models/*', async (request, reply) => {
    const id = (request.params as { '*': string })['*'];
    const found = inference.listLlmModels().find((m) => m.name === id);
    if (!found) return sendOpenAiError(reply, new InferError('NOT_FOUND', `The model '${id}' does not exist`));
    return reply.type('application/json').send(JSON.stringify(modelJson(found.model.info)));
  });
  app.get('/health/live', async (_request, reply) => {
    const live = inference.isLive();
    return reply.code(live ? 200 : 503).send({ object: 'health.response', message: live ? 'Service is live.' : 'Service is not live.' });
  });
  app.get('/health/ready', async (_request, reply) => {
    const ready = inference.isReady() && inference.listLlmModels().length > 0;
    return reply.code(ready ? 200 : 503).send({ object: 'health.response', message: ready ? 'Service is ready.' : 'Service is not ready.' });
  });
  app.get('/version', async (_request, reply) => {
    const { version } = inference.serverMetadata();
    return reply.send({ release: version, api: '1.0.0' });
  });
  app.get('/metadata', async (_request, reply) => {
    const server = inference.serverMetadata();
    const models = inference.listLlmModels().map(({ name, version, model }) => ({
      name,
      version,
      context_length: model.info.contextLength,
      max_sequences: model.info.maxSequences,
      embedding_size: model.info.embeddingSize,
      parameters: model.info.parameters,
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
