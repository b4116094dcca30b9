/**
 * NIM's `GET /v1/manifest` (the served models' profiles with their compatibility on this machine)
 * and an Ollama-style `POST /api/pull` that downloads a model into the cache while streaming its
 * progress as NDJSON lines, then makes it loadable on demand. The catalog itself stays behind the
 * `CatalogInference` interface the composition root supplies.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { invalidArgument, toInferError } from '../../core/errors.js';
import { sendOpenAiError } from './errors.js';

/** One progress line of a pull. */
export interface PullProgress {
  readonly status: string;
  readonly file?: string;
  readonly completed?: number;
  readonly total?: number;
}

/** What the catalog routes need from the server. */
export interface CatalogInference {
  /** Served models with their selected profile and every profile's compatibility. */
  manifest(): unknown;
  /** Downloads `reference` (catalog name, Hub reference) and registers it; resolves with its served name. */
  pull(reference: string, onProgress: (p: PullProgress) => void, signal: AbortSignal): Promise<{ readonly name: string }>;
}

/** Options of the plugin. */
export interface CatalogRoutesOptions {
  readonly catalog: CatalogInference;
}

function referenceOf(body: unknown): { reference: string; stream: boolean } {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  const reference = b?.model ?? b?.name;
  if (typeof reference !== 'string' || reference.trim() === '' || reference.length > 512) throw invalidArgument("the pull request needs a 'model' string");
  if (b?.stream !== undefined && typeof b.stream !== 'boolean') throw invalidArgument("'stream' must be a boolean");
  return { reference: reference.trim(), stream: b?.stream !== false };
}

async function pull(app: FastifyInstance, catalog: CatalogInference): Promise<void> {
  app.post('/api/pull', async (request, reply) => {
    let call: { reference: string; stream: boolean };
    try {
      call = referenceOf(request.body);
    } catch (err) {
      return sendOpenAiError(reply, err);
    }
    const abort = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    if (!call.stream) {
      try {
        const { name } = await catalog.pull(call.reference, () => undefined, abort.signal);
        return await reply.send({ status: 'success', model: name });
      } catch (err) {
        return sendOpenAiError(reply, err);
      }
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    const line = (value: unknown): void => {
      if (!res.destroyed) res.write(`${JSON.stringify(value)}\n`);
    };
    try {
      const { name } = await catalog.pull(call.reference, line, abort.signal);
      line({ status: 'success', model: name });
    } catch (err) {
      line({ error: toInferError(err).message });
    }
    res.end();
  });
}

/** The plugin: `/v1/manifest` and `/api/pull`. */
export const catalogRoutes: FastifyPluginAsync<CatalogRoutesOptions> = async (app, opts) => {
  app.get('/v1/manifest', async (_request, reply) => reply.type('application/json').send(JSON.stringify(opts.catalog.manifest())));
  await pull(app, opts.catalog);
};
