/** `POST /v1/embeddings`. */
import type { FastifyInstance } from 'fastify';
import { badParam } from '../../core/llm/llm-errors.js';
import { sendOpenAiError } from './errors.js';
import type { OpenAiInference } from './inference.js';
import { acquireOptions } from './translate-common.js';
import { abortOnClose } from './sse.js';
import { embeddingFromWire, embeddingJson } from './translate-embedding.js';

/** Registers the embeddings route on an OpenAI plugin instance. */
export function registerEmbeddingRoutes(app: FastifyInstance, inference: OpenAiInference): void {
  app.post('/embeddings', async (request, reply) => {
    const abort = abortOnClose(reply.raw);
    try {
      const call = embeddingFromWire(request.body);
      const model = await inference.llmModel(call.model, acquireOptions(request.body));
      if (call.dimensions !== undefined && call.dimensions !== model.info.embeddingSize) {
        throw badParam(`this model returns ${model.info.embeddingSize} dimensions and cannot shorten them`, 'dimensions');
      }
      const result = await model.embed(call.inputs, abort.signal);
      return await reply.type('application/json').send(JSON.stringify(embeddingJson(call.model, result, call.encoding)));
    } catch (err) {
      return sendOpenAiError(reply, err);
    }
  });
}
