/**
 * Triton's generate extension as its own Fastify plugin: `POST /v2/models/{m}[/versions/{v}]/generate`
 * answers one JSON object with the whole `text_output`; `/generate_stream` sends one SSE event
 * per text delta. Errors use Triton's `{"error": "..."}` body (in the stream too, as Triton does).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { InferError, invalidArgument } from '../../core/errors.js';
import type { GenerationEvent, LlmModel } from '../../core/llm/index.js';
import { errorBody, sendError, toHttpError } from '../http/errors.js';
import { DEFAULT_MAX_JSON_DEPTH, jsonDepthExceeds } from '../http/limits-json.js';
import { generateFromWire, generateResponseJson, type GenerateCall } from './generate-request.js';

/** The slice of the core facade the generate routes use. */
export interface GenerateInference {
  /** The ready LLM `name`; throws InferError NOT_FOUND or MODEL_NOT_READY. */
  llmModel(name: string): Promise<LlmModel>;
}

/** Options of the generate plugin. */
export interface GenerateRoutesOptions {
  readonly inference: GenerateInference;
}

interface Params {
  readonly model: string;
  readonly version?: string;
}

async function resolveModel(inference: GenerateInference, params: Params): Promise<LlmModel> {
  const model = await inference.llmModel(params.model);
  if (params.version !== undefined) {
    const v = /^\d{1,16}$/.test(params.version) ? Number(params.version) : NaN;
    if (!Number.isSafeInteger(v) || v <= 0) throw invalidArgument(`failed to get model version from specified version string '${params.version}'`);
    if (v !== model.info.version) throw new InferError('NOT_FOUND', `Request for unknown model: '${params.model}' version ${v} is not found`);
  }
  return model;
}

function abortOnClose(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller;
}

async function start(inference: GenerateInference, request: FastifyRequest, abort: AbortController): Promise<{ model: LlmModel; call: GenerateCall; events: AsyncIterable<GenerationEvent> }> {
  const params = request.params as Params;
  const model = await resolveModel(inference, params);
  const call = generateFromWire(request.body, `generate-${randomUUID()}`);
  const events = await model.generate({ ...call.request, signal: abort.signal });
  return { model, call, events };
}

async function handleGenerate(inference: GenerateInference, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const abort = abortOnClose(reply);
  try {
    const { model, call, events } = await start(inference, request, abort);
    if (call.stream) throw invalidArgument('stream: true needs the generate_stream endpoint');
    let text = call.excludeInput ? '' : call.text;
    let finish: string | undefined;
    for await (const e of events) {
      if (e.type === 'text') text += e.text;
      else if (e.type === 'done') finish = e.finishReason;
    }
    return reply.type('application/json').send(JSON.stringify(generateResponseJson(model.info.name, model.info.version, text, finish)));
  } catch (err) {
    return sendError(reply, err);
  }
}

async function handleGenerateStream(inference: GenerateInference, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const abort = abortOnClose(reply);
  let started: Awaited<ReturnType<typeof start>>;
  try {
    started = await start(inference, request, abort);
  } catch (err) {
    await sendError(reply, err);
    return;
  }
  const { model, call, events } = started;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (data: string): Promise<void> =>
    new Promise((resolve) => {
      if (res.destroyed || res.writableEnded || res.write(`data: ${data}\n\n`)) return resolve();
      res.once('drain', () => resolve());
      res.once('close', () => resolve());
    });
  try {
    if (!call.excludeInput) await send(JSON.stringify(generateResponseJson(model.info.name, model.info.version, call.text)));
    for await (const e of events) {
      if (abort.signal.aborted) break;
      if (e.type === 'text' && e.text.length > 0) await send(JSON.stringify(generateResponseJson(model.info.name, model.info.version, e.text)));
      else if (e.type === 'done') await send(JSON.stringify(generateResponseJson(model.info.name, model.info.version, '', e.finishReason)));
    }
  } catch (err) {
    await send(errorBody(toHttpError(err).message));
  }
  if (!res.writableEnded) res.end();
}

/** The generate extension plugin (paths under `/v2/models`). */
export const generateRoutes: FastifyPluginAsync<GenerateRoutesOptions> = async (app, opts) => {
  // NOTE: Triton's documented `curl -d '{...}'` sends no JSON content type; read any body as JSON, as Triton does.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(['application/x-www-form-urlencoded', 'text/plain'], { parseAs: 'string' }, (request, body, done) => {
    if (jsonDepthExceeds(body as string, DEFAULT_MAX_JSON_DEPTH)) {
      done(invalidArgument(`request JSON nests deeper than ${DEFAULT_MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
  for (const prefix of ['/v2/models/:model', '/v2/models/:model/versions/:version']) {
    app.post(`${prefix}/generate`, (request, reply) => handleGenerate(opts.inference, request, reply));
    app.post(`${prefix}/generate_stream`, (request, reply) => handleGenerateStream(opts.inference, request, reply));
  }
};
