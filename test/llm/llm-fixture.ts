/**
 * Test fixture: generates tiny random-weight GGUF models at test time, loads them through the
 * llamacpp backend into LlmModels, and serves them with the OpenAI (and generate) routes on
 * 127.0.0.1 behind a small facade of the InferenceServer shape.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { IterativeInstance, LoadedModel } from '../../src/backends/backend.js';
import { llamaCppBackend } from '../../src/backends/llamacpp/index.js';
import { InferError } from '../../src/core/errors.js';
import { createLlmModel, type LlmModel } from '../../src/core/llm/index.js';
import { encodeGguf, tinyLlamaGguf, type TinyLlamaOptions } from '../../src/formats/gguf/index.js';
import type { OpenAiInference } from '../../src/protocols/openai/index.js';
import { openAiRoutes } from '../../src/protocols/openai/index.js';

/** One model to serve. */
export interface FixtureModel {
  readonly name: string;
  readonly gguf?: TinyLlamaOptions;
  /** Use this GGUF file instead of generating one. */
  readonly file?: string;
  readonly parameters?: Readonly<Record<string, string>>;
}

/** A running server. */
export interface LlmFixture {
  readonly baseUrl: string;
  readonly app: FastifyInstance;
  readonly models: ReadonlyMap<string, LlmModel>;
  readonly inference: OpenAiInference;
  close(): Promise<void>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Extra routes a test wants on the same server (e.g. the generate extension). */
export type RouteRegistrar = (app: FastifyInstance, inference: OpenAiInference & { models: ReadonlyMap<string, LlmModel> }) => Promise<void> | void;

/** Generates, loads and serves `models`. */
export async function startLlmFixture(models: readonly FixtureModel[], options: { maxQueue?: number; extraRoutes?: RouteRegistrar } = {}): Promise<LlmFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'inferd-llm-'));
  const served = new Map<string, LlmModel>();
  const cleanups: (() => Promise<void>)[] = [];
  for (const m of models) {
    const versionDir = join(dir, m.name, '1');
    await mkdir(versionDir, { recursive: true });
    const config = {
      name: m.name,
      backend: 'llamacpp',
      ...(m.file ? { default_model_filename: 'model.gguf' } : {}),
      parameters: Object.fromEntries(Object.entries({ context_size: '512', max_sequences: '4', ...m.parameters }).map(([k, v]) => [k, { string_value: v }])),
    };
    if (m.file) await writeFile(join(versionDir, 'model.gguf'), await import('node:fs/promises').then((f) => f.readFile(m.file!)));
    else await writeFile(join(versionDir, 'model.gguf'), encodeGguf(tinyLlamaGguf({ name: m.name, ...m.gguf })));
    const loaded: LoadedModel = await llamaCppBackend.loadModel({ config, modelDir: join(dir, m.name), versionDir, version: 1, autoCompleteConfig: true, log: silent });
    const instance = (await loaded.createInstance({ index: 0, groupName: m.name, device: 'cpu' })) as IterativeInstance;
    const llm = createLlmModel({ name: m.name, version: 1, config: loaded.config, instances: [instance], maxQueue: options.maxQueue ?? 32, log: silent });
    served.set(m.name, llm);
    cleanups.push(async () => {
      await llm.close();
      await instance.dispose();
      await loaded.unload();
    });
  }
  const inference: OpenAiInference & { models: ReadonlyMap<string, LlmModel> } = {
    models: served,
    isLive: () => true,
    isReady: () => true,
    serverMetadata: () => ({ name: 'inferd', version: '0.1.0-test' }),
    llmModel: async (name) => {
      const m = served.get(name);
      if (!m) throw new InferError('NOT_FOUND', `Unknown model '${name}'`);
      return m;
    },
    listLlmModels: async () => [...served].map(([name, model]) => ({ name, state: 'loaded' as const, version: 1, model })),
  };
  const app = Fastify({ logger: false });
  await app.register(openAiRoutes, { inference });
  if (options.extraRoutes) await options.extraRoutes(app, inference);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl: address,
    app,
    models: served,
    inference,
    async close() {
      await app.close();
      for (const c of cleanups) await c();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
