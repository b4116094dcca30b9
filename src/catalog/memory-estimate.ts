/**
 * Memory a model needs to serve, before it is loaded: weights + KV cache for the configured
 * context and sequences + compute buffers. The figures are estimates shaped on llama.cpp's
 * allocations (f16 KV cache, one 512-token micro-batch, no flash attention); they feed profile
 * selection and the server's memory budget, never correctness.
 */
import { DEFAULT_MAX_CONTEXT } from '../backends/llamacpp/llamacpp-settings.js';
import type { ModelArchitecture, ModelTask } from './catalog-types.js';

/** Sequences per instance when none are configured (NOTE: the llamacpp backend's default). */
export const DEFAULT_MAX_SEQUENCES = 4;

/** llama.cpp's default micro-batch: activations and attention scores are sized on it. */
const MICRO_BATCH = 512;
/** Runtime, graph and allocator slack that does not scale with the model. */
const FIXED_OVERHEAD_BYTES = 64 * 1024 * 1024;
/** Bytes per KV-cache element (f16). */
const KV_ELEMENT_BYTES = 2;

/**
 * Effective bits per weight of GGUF file types, whole-file averages (mixed quants keep some
 * tensors at higher precision). Unknown precisions count as 16 bits, erring on the large side.
 */
const BITS_PER_WEIGHT: Readonly<Record<string, number>> = {
  f32: 32, f16: 16, bf16: 16, q8_0: 8.5, q6_k: 6.56, q5_k_m: 5.69, q5_k_s: 5.54, q5_0: 5.5, q5_1: 6,
  q4_k_m: 4.85, q4_k_s: 4.58, q4_0: 4.5, q4_1: 5, iq4_xs: 4.25, iq4_nl: 4.5, q3_k_l: 4.27, q3_k_m: 3.91,
  q3_k_s: 3.5, q2_k: 3.35,
};

/** Effective bits per weight of `precision` (lower-case GGUF type name). */
export function bitsPerWeight(precision: string): number {
  return BITS_PER_WEIGHT[precision.toLowerCase()] ?? 16;
}

/** Context and sequence settings an estimate is made for. */
export interface MemoryRequest {
  /** Tokens per sequence; defaults to the model's context capped at the backend default (4096). */
  readonly contextSize?: number;
  /** Parallel sequences (KV slots); defaults to 4. */
  readonly maxSequences?: number;
}

/** An estimate's parts, in bytes. */
export interface MemoryEstimate {
  readonly weightsBytes: number;
  readonly kvCacheBytes: number;
  readonly computeBytes: number;
  readonly totalBytes: number;
  /** The context and sequence count the estimate assumed. */
  readonly contextSize: number;
  readonly maxSequences: number;
  /** Where the weight size came from: real file sizes, or parameters × bits per weight. */
  readonly weightsFrom: 'file-size' | 'parameters';
}

/** The context a model runs with when none is configured: its training context, at most 4096. */
export function defaultContextSize(contextLength: number): number {
  return Math.min(contextLength, DEFAULT_MAX_CONTEXT);
}

/** Weight bytes from a parameter count and precision. */
export function weightsFromParameters(parameterCount: number, precision: string): number {
  return Math.ceil((parameterCount * bitsPerWeight(precision)) / 8);
}

/** KV-cache bytes for `contextSize` tokens in each of `maxSequences` sequences (none for embedding models). */
export function kvCacheBytes(arch: ModelArchitecture, task: ModelTask, contextSize: number, maxSequences: number): number {
  if (task === 'embedding') return 0;
  return 2 * arch.blockCount * arch.headCountKv * arch.headDim * contextSize * maxSequences * KV_ELEMENT_BYTES;
}

/** Compute-buffer bytes: one micro-batch of logits and attention scores over the context, plus fixed slack. */
export function computeBytes(arch: ModelArchitecture, contextSize: number): number {
  const logits = MICRO_BATCH * arch.vocabSize * 4;
  const scores = MICRO_BATCH * contextSize * arch.headCount * 4;
  return FIXED_OVERHEAD_BYTES + logits + scores;
}

/**
 * Estimates the memory to serve a model. `weightsBytes` (real file sizes) wins over the
 * parameter-count estimate; `minMemoryBytes` (a catalog author's measurement) is a floor.
 */
export function estimateMemory(
  arch: ModelArchitecture,
  options: MemoryRequest & { readonly task: ModelTask; readonly precision: string; readonly weightsBytes?: number; readonly minMemoryBytes?: number; readonly contextLimit?: number },
): MemoryEstimate {
  const contextSize = options.contextSize ?? defaultContextSize(options.contextLimit ?? arch.contextLength);
  const maxSequences = options.task === 'embedding' ? 1 : (options.maxSequences ?? DEFAULT_MAX_SEQUENCES);
  const weightsBytes = options.weightsBytes ?? weightsFromParameters(arch.parameterCount, options.precision);
  const kv = kvCacheBytes(arch, options.task, contextSize, maxSequences);
  const compute = computeBytes(arch, contextSize);
  return {
    weightsBytes,
    kvCacheBytes: kv,
    computeBytes: compute,
    totalBytes: Math.max(weightsBytes + kv + compute, options.minMemoryBytes ?? 0),
    contextSize,
    maxSequences,
    weightsFrom: options.weightsBytes === undefined ? 'parameters' : 'file-size',
  };
}

/** Formats bytes for people: `1.5 GiB`, `320 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
