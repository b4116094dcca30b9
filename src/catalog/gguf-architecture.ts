/**
 * Reads a GGUF file's shape (the numbers the memory estimate needs) and precision from its
 * validated header, so local files and direct Hub references get the same estimate as catalog
 * models, from the real file.
 */
import { readGgufHeader, ggufArray, ggufNumber, ggufString, type GgufHeader } from '../formats/gguf/index.js';
import type { ModelArchitecture, ModelTask } from './catalog-types.js';
import { estimateMemory, type MemoryEstimate, type MemoryRequest } from './memory-estimate.js';

/** llama.cpp's `general.file_type` codes (llama_ftype) → precision names. */
const FILE_TYPES: Readonly<Record<number, string>> = {
  0: 'f32', 1: 'f16', 2: 'q4_0', 3: 'q4_1', 7: 'q8_0', 8: 'q5_0', 9: 'q5_1', 10: 'q2_k', 11: 'q3_k_s', 12: 'q3_k_m',
  13: 'q3_k_l', 14: 'q4_k_s', 15: 'q4_k_m', 16: 'q5_k_s', 17: 'q5_k_m', 18: 'q6_k', 25: 'iq4_nl', 30: 'iq4_xs', 32: 'bf16',
};

/** What a GGUF header says about serving the model. */
export interface GgufModelFacts {
  readonly architecture: ModelArchitecture;
  /** Precision name from `general.file_type`, or `unknown`. */
  readonly precision: string;
  /** `embedding` for encoder-only architectures and files with a pooling type; else `chat`. */
  readonly task: ModelTask;
  /** Bytes of tensor data (the weights). */
  readonly weightsBytes: number;
  /** `general.name`, when present. */
  readonly name?: string;
}

/** Largest value of a per-layer array, or the scalar itself. */
function numberOrMax(header: GgufHeader, key: string): number | undefined {
  const scalar = ggufNumber(header, key);
  if (scalar !== undefined) return scalar;
  const arr = ggufArray(header, key);
  return arr && arr.length > 0 ? Math.max(...arr.map(Number)) : undefined;
}

const ENCODER_ARCHITECTURES = new Set(['bert', 'nomic-bert', 'jina-bert-v2', 'nomic-bert-moe', 'modern-bert']);

/** Extracts the serving facts from a parsed header; throws when a required key is missing. */
export function ggufModelFacts(header: GgufHeader): GgufModelFacts {
  const arch = ggufString(header, 'general.architecture');
  if (!arch) throw new Error('GGUF file has no general.architecture');
  const need = (key: string): number => {
    const v = numberOrMax(header, `${arch}.${key}`);
    if (v === undefined || !Number.isFinite(v) || v <= 0) throw new Error(`GGUF file has no ${arch}.${key}`);
    return v;
  };
  const embeddingLength = need('embedding_length');
  const headCount = need('attention.head_count');
  const headCountKv = numberOrMax(header, `${arch}.attention.head_count_kv`) ?? headCount;
  const vocabSize = ggufArray(header, 'tokenizer.ggml.tokens')?.length ?? numberOrMax(header, `${arch}.vocab_size`) ?? 0;
  const parameterCount = header.tensors.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
  const fileType = ggufNumber(header, 'general.file_type');
  const pooled = ggufNumber(header, `${arch}.pooling_type`) !== undefined;
  return {
    architecture: {
      architecture: arch,
      parameterCount,
      blockCount: need('block_count'),
      embeddingLength,
      headCount,
      headCountKv,
      headDim: numberOrMax(header, `${arch}.attention.key_length`) ?? Math.floor(embeddingLength / headCount),
      vocabSize,
      contextLength: need('context_length'),
    },
    precision: fileType === undefined ? 'unknown' : (FILE_TYPES[fileType] ?? 'unknown'),
    task: ENCODER_ARCHITECTURES.has(arch) || pooled ? 'embedding' : 'chat',
    weightsBytes: header.tensors.reduce((n, t) => n + t.byteSize, 0),
    name: ggufString(header, 'general.name'),
  };
}

/** Reads `file`'s header and estimates the memory to serve it with `request`'s context and sequences. */
export async function estimateGgufFileMemory(file: string, request: MemoryRequest = {}): Promise<MemoryEstimate & { readonly facts: GgufModelFacts }> {
  const facts = ggufModelFacts(await readGgufHeader(file));
  const estimate = estimateMemory(facts.architecture, { ...request, task: facts.task, precision: facts.precision, weightsBytes: facts.weightsBytes });
  return { ...estimate, facts };
}
