/**
 * The llamacpp backend's model-config parameters (all `string_value`), parsed and checked once
 * at load time so a bad value makes the model unavailable with a clear reason:
 *
 * - `context_size`: tokens per sequence (default: the model's training context, at most 4096).
 * - `max_sequences`: parallel sequences (KV-cache slots) per instance (default 4).
 * - `batch_size`: most tokens evaluated per step across sequences (default 512).
 * - `prefill_chunk`: most prompt tokens one sequence evaluates per step (default 256 or
 *   `batch_size` if smaller): a long prompt is spread over steps so running streams keep flowing.
 * - `threads`: CPU threads per instance (default 1; measured faster than 2 on a 2-core VM).
 * - `gpu_layers`: layers to offload, a number or `auto` (default `auto`; 0 without a GPU).
 * - `gpu`: `auto` (use a GPU build when one works) or `false`.
 * - `chat_template`: Jinja chat template overriding the GGUF's `tokenizer.chat_template`.
 * - `embedding`: `true` for embedding models (generation is then refused).
 * - `owned_by`: shown by `/v1/models` (default `inferd`).
 */
import type { ModelConfig } from '../../config/model-config.js';

/** Parsed parameters. */
export interface LlamaCppSettings {
  /** Undefined means "from the model". */
  readonly contextSize?: number;
  readonly maxSequences: number;
  readonly batchSize: number;
  readonly prefillChunk: number;
  readonly threads: number;
  readonly gpuLayers: number | 'auto';
  readonly gpu: 'auto' | false;
  readonly chatTemplate?: string;
  readonly embedding: boolean;
  readonly ownedBy: string;
}

/** Default prompt chunk per sequence and step: on a CPU, 256 tokens cost a few hundred ms, which bounds the stall of running streams. */
export const DEFAULT_PREFILL_CHUNK = 256;

/** Default cap on the context when the config gives none (a model may train on 128k). */
export const DEFAULT_MAX_CONTEXT = 4096;

function positiveInt(params: Record<string, { string_value: string }>, key: string, fallback?: number): number | undefined {
  const raw = params[key]?.string_value;
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.trim());
  if (!Number.isInteger(n) || n < 1) throw new Error(`parameter ${key} must be a positive integer, got '${raw}'`);
  return n;
}

function gpuLayerCount(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`parameter gpu_layers must be auto or a non-negative integer, got '${raw}'`);
  return n;
}

function bool(params: Record<string, { string_value: string }>, key: string): boolean {
  const raw = params[key]?.string_value?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new Error(`parameter ${key} must be true or false, got '${raw}'`);
}

/** Reads the parameters of `config`; throws with the offending parameter named. */
export function llamaCppSettings(config: ModelConfig): LlamaCppSettings {
  const params = config.parameters ?? {};
  const gpuLayersRaw = params.gpu_layers?.string_value?.trim();
  const gpuRaw = params.gpu?.string_value?.trim().toLowerCase();
  if (gpuRaw !== undefined && gpuRaw !== '' && gpuRaw !== 'auto' && gpuRaw !== 'false') {
    throw new Error(`parameter gpu must be auto or false, got '${gpuRaw}'`);
  }
  const batchSize = positiveInt(params, 'batch_size', 512)!;
  const settings: LlamaCppSettings = {
    contextSize: positiveInt(params, 'context_size'),
    maxSequences: positiveInt(params, 'max_sequences', 4)!,
    batchSize,
    prefillChunk: Math.min(positiveInt(params, 'prefill_chunk', DEFAULT_PREFILL_CHUNK)!, batchSize),
    threads: positiveInt(params, 'threads', 1)!,
    gpuLayers: !gpuLayersRaw || gpuLayersRaw === 'auto' ? 'auto' : gpuLayerCount(gpuLayersRaw),
    gpu: gpuRaw === 'false' ? false : 'auto',
    chatTemplate: params.chat_template?.string_value || undefined,
    embedding: bool(params, 'embedding'),
    ownedBy: params.owned_by?.string_value || 'inferd',
  };
  if (settings.maxSequences > settings.batchSize) {
    throw new Error(`max_sequences (${settings.maxSequences}) cannot exceed batch_size (${settings.batchSize}): every running sequence decodes one token per step`);
  }
  return settings;
}
