/**
 * The llamacpp backend: serves GGUF LLMs through node-llama-cpp. `loadModel` validates the GGUF
 * header (an untrusted file never reaches llama.cpp unchecked), reads the vocabulary for
 * byte-exact streaming, loads the weights once per model version, and completes the config to
 * Triton's LLM shape. Each instance is an IterativeInstance driven by the core's continuous
 * batcher; see `llamacpp-settings.ts` for the config parameters.
 */
import { isAbsolute, join, normalize, sep } from 'node:path';
import type { LlamaModel, Token } from 'node-llama-cpp';
import { ggufNumber, ggufString, readGgufHeader, type GgufHeader } from '../../formats/gguf/index.js';
import type { Backend, LlmVocabulary, LoadedModel, ModelInstance, ModelLoadContext } from '../backend.js';
import { BACKEND_API_VERSION } from '../backend.js';
import { completeLlmConfig } from './config-completion.js';
import { ConstraintCache } from './constraint-cache.js';
import { llamaRuntime } from './llama-runtime.js';
import { LlamaCppInstance } from './llamacpp-instance.js';
import { DEFAULT_MAX_CONTEXT, llamaCppSettings } from './llamacpp-settings.js';
import { tokenPiecesFromGguf, type TokenPieces } from './token-pieces.js';

/** File name of the weights inside a version directory unless the config names another. */
export const DEFAULT_GGUF_FILENAME = 'model.gguf';

function vocabularyOf(model: LlamaModel, pieces: TokenPieces, chatTemplate: string | undefined): LlmVocabulary {
  const eog: number[] = [];
  pieces.types.forEach((type, token) => {
    // NOTE: normal and byte tokens are never end-of-generation; asking llama.cpp about the rest is cheap.
    if (type !== 1 && type !== 6 && model.isEogToken(token as Token)) eog.push(token);
  });
  const { bos, eos } = model.tokens;
  return {
    size: pieces.pieces.length,
    ...(bos !== null ? { bos } : {}),
    ...(eos !== null ? { eos } : {}),
    eog,
    addBos: model.tokens.shouldPrependBosToken,
    ...(chatTemplate ? { chatTemplate } : {}),
    piece: (token) => pieces.pieces[token] ?? new Uint8Array(0),
    text: (token) => pieces.texts[token] ?? '',
  };
}

/** The weights file inside the version folder; a name that leaves the folder is refused. */
function modelFilePath(ctx: ModelLoadContext): string {
  const name = ctx.config.default_model_filename || DEFAULT_GGUF_FILENAME;
  const rel = normalize(name);
  if (name.includes('\0') || isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
    throw new Error(`model '${ctx.config.name}': default_model_filename '${name.slice(0, 200)}' must stay inside the version directory`);
  }
  return join(ctx.versionDir, rel);
}

function contextSizeFor(header: GgufHeader, requested: number | undefined): number {
  const arch = ggufString(header, 'general.architecture') ?? 'llama';
  const trained = ggufNumber(header, `${arch}.context_length`);
  if (requested !== undefined) return requested;
  return Math.min(trained ?? DEFAULT_MAX_CONTEXT, DEFAULT_MAX_CONTEXT);
}

/** The llamacpp backend; one value serves every model. */
export const llamaCppBackend: Backend = {
  name: 'llamacpp',
  apiVersion: BACKEND_API_VERSION,
  async loadModel(ctx: ModelLoadContext): Promise<LoadedModel> {
    const settings = llamaCppSettings(ctx.config);
    const file = modelFilePath(ctx);
    const header = await readGgufHeader(file).catch((err: unknown) => {
      throw new Error(`cannot use ${file}: ${err instanceof Error ? err.message : String(err)}`);
    });
    const pieces = tokenPiecesFromGguf(header);
    const llama = await llamaRuntime(settings.gpu, ctx.log);
    const gpuLayers = settings.gpuLayers === 'auto' ? (llama.gpu === false ? 0 : 'auto') : settings.gpuLayers;
    const model = await llama.loadModel({ modelPath: file, gpuLayers });
    const vocabulary = vocabularyOf(model, pieces, settings.chatTemplate ?? ggufString(header, 'tokenizer.chat_template'));
    const contextSize = contextSizeFor(header, settings.contextSize);
    const constraints = new ConstraintCache(llama, model);
    const instances = new Set<LlamaCppInstance>();
    ctx.log.info('llamacpp model loaded', {
      model: ctx.config.name,
      version: ctx.version,
      file,
      gpu: llama.gpu,
      contextSize,
      maxSequences: settings.maxSequences,
      threads: settings.threads,
    });
    return {
      config: completeLlmConfig({
        ...ctx.config,
        parameters: {
          ...ctx.config.parameters,
          context_size: { string_value: String(contextSize) },
          max_sequences: { string_value: String(settings.embedding ? 0 : settings.maxSequences) },
          batch_size: { string_value: String(settings.batchSize) },
          prefill_chunk: { string_value: String(settings.prefillChunk) },
          threads: { string_value: String(settings.threads) },
          owned_by: { string_value: settings.ownedBy },
        },
      }),
      async createInstance(): Promise<ModelInstance> {
        if (model.disposed) throw new Error(`llamacpp model '${ctx.config.name}' is unloaded`);
        const instance = await LlamaCppInstance.create({ model, settings, contextSize, vocabulary, constraints });
        instances.add(instance);
        return instance;
      },
      async unload() {
        await Promise.all([...instances].map((i) => i.dispose()));
        await model.dispose();
      },
    };
  },
};
