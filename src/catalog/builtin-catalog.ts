/**
 * The built-in catalog: small public GGUF models on the Hugging Face Hub, under their real
 * repository and file names. Shapes come from each model's published config; parameter counts
 * are rounded. No sha256 is listed because none was verified here: downloads are checked
 * against the Hub's own LFS sha256 instead. Every GGUF file runs on every llama.cpp device, so
 * each file yields one profile per device.
 */
import type { Catalog, CatalogModel, CatalogProfile, ModelArchitecture, ModelTask } from './catalog-types.js';
import { DEVICE_KINDS } from './catalog-types.js';

/** One GGUF file as profiles for every llama.cpp device. */
function gguf(repo: string, path: string, precision: string): CatalogProfile[] {
  return DEVICE_KINDS.map((device) => ({ engine: 'llamacpp', device, precision, source: { repo, revision: 'main', files: [{ path }] } }));
}

function model(
  name: string,
  task: ModelTask,
  license: string,
  description: string,
  architecture: ModelArchitecture,
  files: readonly CatalogProfile[][],
): CatalogModel {
  return { name, task, license, description, architecture, profiles: files.flat() };
}

const SMOL = { architecture: 'llama', vocabSize: 49_152, contextLength: 8192, headDim: 64 } as const;
const QWEN = { architecture: 'qwen2', vocabSize: 151_936, contextLength: 32_768 } as const;
const LLAMA32 = { architecture: 'llama', vocabSize: 128_256, contextLength: 131_072 } as const;

/** The catalog that ships with inferd. */
export const BUILTIN_CATALOG: Catalog = {
  version: 1,
  models: [
    model('smollm2-135m-instruct', 'chat', 'apache-2.0', 'SmolLM2 135M Instruct (Hugging Face TB)',
      { ...SMOL, parameterCount: 135_000_000, blockCount: 30, embeddingLength: 576, headCount: 9, headCountKv: 3 }, [
        gguf('bartowski/SmolLM2-135M-Instruct-GGUF', 'SmolLM2-135M-Instruct-f16.gguf', 'f16'),
        gguf('bartowski/SmolLM2-135M-Instruct-GGUF', 'SmolLM2-135M-Instruct-Q8_0.gguf', 'q8_0'),
        gguf('bartowski/SmolLM2-135M-Instruct-GGUF', 'SmolLM2-135M-Instruct-Q4_K_M.gguf', 'q4_k_m'),
      ]),
    model('smollm2-360m-instruct', 'chat', 'apache-2.0', 'SmolLM2 360M Instruct (Hugging Face TB)',
      { ...SMOL, parameterCount: 362_000_000, blockCount: 32, embeddingLength: 960, headCount: 15, headCountKv: 5 }, [
        gguf('HuggingFaceTB/SmolLM2-360M-Instruct-GGUF', 'smollm2-360m-instruct-q8_0.gguf', 'q8_0'),
        gguf('bartowski/SmolLM2-360M-Instruct-GGUF', 'SmolLM2-360M-Instruct-Q4_K_M.gguf', 'q4_k_m'),
      ]),
    model('smollm2-1.7b-instruct', 'chat', 'apache-2.0', 'SmolLM2 1.7B Instruct (Hugging Face TB)',
      { ...SMOL, parameterCount: 1_711_000_000, blockCount: 24, embeddingLength: 2048, headCount: 32, headCountKv: 32 }, [
        gguf('HuggingFaceTB/SmolLM2-1.7B-Instruct-GGUF', 'smollm2-1.7b-instruct-q4_k_m.gguf', 'q4_k_m'),
      ]),
    model('qwen2.5-0.5b-instruct', 'chat', 'apache-2.0', 'Qwen2.5 0.5B Instruct (Alibaba Qwen)',
      { ...QWEN, parameterCount: 494_000_000, blockCount: 24, embeddingLength: 896, headCount: 14, headCountKv: 2, headDim: 64 }, [
        gguf('Qwen/Qwen2.5-0.5B-Instruct-GGUF', 'qwen2.5-0.5b-instruct-fp16.gguf', 'f16'),
        gguf('Qwen/Qwen2.5-0.5B-Instruct-GGUF', 'qwen2.5-0.5b-instruct-q8_0.gguf', 'q8_0'),
        gguf('Qwen/Qwen2.5-0.5B-Instruct-GGUF', 'qwen2.5-0.5b-instruct-q4_k_m.gguf', 'q4_k_m'),
      ]),
    model('qwen2.5-1.5b-instruct', 'chat', 'apache-2.0', 'Qwen2.5 1.5B Instruct (Alibaba Qwen)',
      { ...QWEN, parameterCount: 1_540_000_000, blockCount: 28, embeddingLength: 1536, headCount: 12, headCountKv: 2, headDim: 128 }, [
        gguf('Qwen/Qwen2.5-1.5B-Instruct-GGUF', 'qwen2.5-1.5b-instruct-q8_0.gguf', 'q8_0'),
        gguf('Qwen/Qwen2.5-1.5B-Instruct-GGUF', 'qwen2.5-1.5b-instruct-q4_k_m.gguf', 'q4_k_m'),
      ]),
    model('llama-3.2-1b-instruct', 'chat', 'llama3.2', 'Llama 3.2 1B Instruct (Meta), quantized by bartowski',
      { ...LLAMA32, parameterCount: 1_236_000_000, blockCount: 16, embeddingLength: 2048, headCount: 32, headCountKv: 8, headDim: 64 }, [
        gguf('bartowski/Llama-3.2-1B-Instruct-GGUF', 'Llama-3.2-1B-Instruct-Q8_0.gguf', 'q8_0'),
        gguf('bartowski/Llama-3.2-1B-Instruct-GGUF', 'Llama-3.2-1B-Instruct-Q4_K_M.gguf', 'q4_k_m'),
      ]),
    model('llama-3.2-3b-instruct', 'chat', 'llama3.2', 'Llama 3.2 3B Instruct (Meta), quantized by bartowski',
      { ...LLAMA32, parameterCount: 3_213_000_000, blockCount: 28, embeddingLength: 3072, headCount: 24, headCountKv: 8, headDim: 128 }, [
        gguf('bartowski/Llama-3.2-3B-Instruct-GGUF', 'Llama-3.2-3B-Instruct-Q8_0.gguf', 'q8_0'),
        gguf('bartowski/Llama-3.2-3B-Instruct-GGUF', 'Llama-3.2-3B-Instruct-Q6_K.gguf', 'q6_k'),
        gguf('bartowski/Llama-3.2-3B-Instruct-GGUF', 'Llama-3.2-3B-Instruct-Q5_K_M.gguf', 'q5_k_m'),
        gguf('bartowski/Llama-3.2-3B-Instruct-GGUF', 'Llama-3.2-3B-Instruct-Q4_K_M.gguf', 'q4_k_m'),
      ]),
    model('nomic-embed-text-v1.5', 'embedding', 'apache-2.0', 'Nomic Embed Text v1.5: 768-dimension text embeddings',
      { architecture: 'nomic-bert', parameterCount: 137_000_000, blockCount: 12, embeddingLength: 768, headCount: 12, headCountKv: 12, headDim: 64, vocabSize: 30_522, contextLength: 2048 }, [
        gguf('nomic-ai/nomic-embed-text-v1.5-GGUF', 'nomic-embed-text-v1.5.f16.gguf', 'f16'),
        gguf('nomic-ai/nomic-embed-text-v1.5-GGUF', 'nomic-embed-text-v1.5.Q8_0.gguf', 'q8_0'),
      ]),
  ],
};
