/**
 * The facade every front-end (KServe HTTP, KServe gRPC, OpenAI) calls. Front-ends translate wire
 * formats into these types and back; they never reach past this interface into schedulers or
 * backends. Every method reports failures as InferError.
 */
import type { ModelConfig } from '../config/model-config.js';
import type { LlmModel } from './llm/types.js';
import type { InferenceRequest, InferenceResult, TensorSpec } from './types.js';

/** Lifecycle state of one model version, with Triton's names. */
export type ModelState = 'LOADING' | 'READY' | 'UNLOADING' | 'UNAVAILABLE';

/** One row of the repository index. */
export interface RepositoryIndexEntry {
  readonly name: string;
  /** Absent for a model that has never been loaded (no version known yet). */
  readonly version?: string;
  readonly state?: ModelState;
  readonly reason?: string;
}

/** Model metadata as KServe defines it (`GET /v2/models/{m}`). */
export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** Server metadata (`GET /v2`). */
export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** A count and total duration in nanoseconds, Triton's StatisticDuration. */
export interface StatDuration {
  count: number;
  ns: number;
}

/** Per-version statistics in Triton's statistics-extension shape. */
export interface ModelStatistics {
  readonly name: string;
  readonly version: string;
  /** Milliseconds since the epoch of the last inference; 0 when none. */
  readonly last_inference: number;
  readonly inference_count: number;
  readonly execution_count: number;
  readonly inference_stats: {
    readonly success: StatDuration;
    readonly fail: StatDuration;
    readonly queue: StatDuration;
    readonly compute_input: StatDuration;
    readonly compute_infer: StatDuration;
    readonly compute_output: StatDuration;
    readonly cache_hit: StatDuration;
    readonly cache_miss: StatDuration;
  };
  readonly batch_stats: readonly {
    readonly batch_size: number;
    readonly compute_input: StatDuration;
    readonly compute_infer: StatDuration;
    readonly compute_output: StatDuration;
  }[];
}

/** Options of a load request (Triton's repository extension `load` parameters). */
export interface LoadOptions {
  /** A full model config as JSON text that replaces config.pbtxt for this load. */
  readonly config?: string;
  /** `file:<version>/<name>` overrides: relative path → file content. Requires `config`. */
  readonly files?: ReadonlyMap<string, Uint8Array>;
}

/** One LLM the server knows: loaded (newest ready version, with its model), loading, or loadable on demand. */
export interface ListedLlm {
  readonly name: string;
  readonly state: 'loaded' | 'loading' | 'unloaded';
  readonly version?: number;
  readonly model?: LlmModel;
}

/** Per-request options of `llmModel`. */
export interface LlmAcquireOptions {
  /** How long the model stays loaded after this request when idle (Ollama's `keep_alive`); negative = forever. */
  readonly keepAliveMs?: number;
}

/** The core's surface towards all front-ends. */
export interface InferenceServer {
  /** True while the process serves requests at all. */
  isLive(): boolean;
  /** True when the server accepts inference (with strict readiness: all models ready). */
  isReady(): boolean;
  serverMetadata(): ServerMetadata;
  /** Throws NOT_FOUND for unknown models/versions. */
  modelMetadata(name: string, version?: number): ModelMetadata;
  /** False for unknown or not-ready models; never throws. */
  isModelReady(name: string, version?: number): boolean;
  /** The normalized config of a ready version; throws NOT_FOUND / MODEL_NOT_READY. */
  modelConfig(name: string, version?: number): ModelConfig;
  /** Runs one request through the model's scheduler; resolves with its single (final) result. */
  infer(request: InferenceRequest): Promise<InferenceResult>;
  /** Runs one request of a decoupled model, yielding 0..N results; the last has `final: true`. */
  inferStream(request: InferenceRequest): AsyncIterable<InferenceResult>;
  repositoryIndex(options?: { readyOnly?: boolean }): Promise<readonly RepositoryIndexEntry[]>;
  /** Loads or reloads a model (explicit model control); resolves when it is READY. */
  loadModel(name: string, options?: LoadOptions): Promise<void>;
  /** Unloads a model; resolves when in-flight requests have finished. */
  unloadModel(name: string, options?: { unloadDependents?: boolean }): Promise<void>;
  /** Statistics for all models, one model, or one version. */
  modelStatistics(name?: string, version?: number): readonly ModelStatistics[];
  /**
   * The ready LLM `name` (its newest ready version), loaded on demand within the memory budget
   * when it is known but unloaded; throws NOT_FOUND, INVALID_ARGUMENT (not an LLM),
   * INSUFFICIENT_MEMORY (can never fit) or UNAVAILABLE (no room now).
   */
  llmModel(name: string, options?: LlmAcquireOptions): Promise<LlmModel>;
  /** Every LLM the server knows, loaded or loadable, by name. */
  listLlmModels(): Promise<readonly ListedLlm[]>;
}
