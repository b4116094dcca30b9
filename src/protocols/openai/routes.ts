/**
 * The OpenAI-compatible front-end (and NIM's service endpoints) as one encapsulated Fastify
 * plugin under `/v1`: chat and text completions with SSE streaming, embeddings, the model list
 * and health/version/metadata. Every error, including malformed JSON and unknown `/v1` routes,
 * answers in OpenAI's `{"error": {...}}` shape.
 */
import type { FastifyError, FastifyInstance, FastifyPluginAsync } from 'fastify';
import { registerChatRoutes } from './chat-routes.js';
import { registerCompletionRoutes } from './completion-routes.js';
import { registerEmbeddingRoutes } from './embedding-routes.js';
import { sendOpenAiError } from './errors.js';
import type { OpenAiInference } from './inference.js';
import { registerModelRoutes } from './model-routes.js';

/** Options of the OpenAI plugin. */
export interface OpenAiRoutesOptions {
  readonly inference: OpenAiInference;
  /** The catalog profile a served model was selected with, for `/v1/metadata`. */
  readonly profileOf?: (name: string) => { readonly id: string; readonly name: string } | undefined;
}

/** The plugin; register it on the server's Fastify instance (it adds the `/v1` prefix itself). */
export const openAiRoutes: FastifyPluginAsync<OpenAiRoutesOptions> = async (app, opts) => {
  await app.register(
    async (v1) => {
      v1.setErrorHandler((err: FastifyError, _request, reply) => sendOpenAiError(reply, err));
      v1.setNotFoundHandler((request, reply) => {
        const e = Object.assign(new Error(`Unknown request URL: ${request.method} ${request.url.split('?')[0]}`), { statusCode: 404, code: 'FST_ERR_NOT_FOUND' });
        return sendOpenAiError(reply, e);
      });
      registerChatRoutes(v1, opts.inference);
      registerCompletionRoutes(v1, opts.inference);
      registerEmbeddingRoutes(v1, opts.inference);
      registerModelRoutes(v1, opts.inference, opts.profileOf);
    },
    { prefix: '/v1' },
  );
};

/** Registers the OpenAI routes on `app` (before `listen()`/`ready()`). */
export function registerOpenAiRoutes(app: FastifyInstance, opts: OpenAiRoutesOptions): void {
  void app.register(openAiRoutes, opts);
}
