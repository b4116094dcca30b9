/**
 * The backend API: the only seam between inferd's core and an inference engine.
 *
 * Ownership: the repository manager calls `loadModel` once per model version and owns the
 * returned LoadedModel; the instance pool calls `createInstance` once per configured instance
 * and owns each instance. Concurrency: at most one `execute` is in flight per instance; the
 * scheduler guarantees it, so instances need no locking. Errors: an instance reports a failure
 * of one request as a per-request error response and throws only when the whole batch failed.
 * Backends never see HTTP or gRPC and import only this file, core/types and core/errors.
 */
import type { ModelConfig } from '../config/model-config.js';
import type { InferenceRequest, InstanceResponse, Tensor } from '../core/types.js';

/** Versioned like TRITONBACKEND_API_VERSION: a major bump breaks backends, a minor bump adds optional members. */
export const BACKEND_API_VERSION = { major: 1, minor: 1 } as const;

/** Where an instance runs. */
export type InstanceDevice = 'cpu' | `gpu:${number}`;

/** Minimal structured logger handed to backends. */
export interface BackendLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Everything a backend needs to load one version of a model. */
export interface ModelLoadContext {
  /** The model's config as parsed from config.pbtxt (plus overrides); may be partial. */
  readonly config: ModelConfig;
  /** Absolute path of `<repo>/<model>`. */
  readonly modelDir: string;
  /** Absolute path of `<repo>/<model>/<version>`. */
  readonly versionDir: string;
  readonly version: number;
  /** When true the backend fills missing inputs/outputs/max_batch_size from the model file. */
  readonly autoCompleteConfig: boolean;
  readonly log: BackendLogger;
}

/** A backend: a named factory of loaded models. */
export interface Backend {
  /** Matches the model config's `backend` field (or the platform it implies). */
  readonly name: string;
  readonly apiVersion: { readonly major: number; readonly minor: number };
  /** Loads one model version. Throws an Error whose message explains why the model is unavailable. */
  loadModel(ctx: ModelLoadContext): Promise<LoadedModel>;
}

/** One loaded model version, shared by its instances. */
export interface LoadedModel {
  /** The config after the backend's auto-completion; the core validates requests against it. */
  readonly config: ModelConfig;
  /** Creates one instance; `index` counts instances across all instance groups of this version. */
  createInstance(slot: InstanceSlot): Promise<ModelInstance>;
  /** Releases everything the model holds; called after all instances are disposed. */
  unload(): Promise<void>;
}

/** Identifies one instance of a model version. */
export interface InstanceSlot {
  readonly index: number;
  readonly groupName: string;
  readonly device: InstanceDevice;
}

/**
 * A model instance: answers each request once (batch), streams 0..N responses (decoupled), or
 * advances LLM sequences one step at a time under the core's continuous batcher (iterative, API 1.1).
 */
export type ModelInstance = BatchInstance | DecoupledInstance | IterativeInstance;

/**
 * Runs a batch of requests. The scheduler has already validated every request against the
 * model config, and for batching models all requests share non-batch dimensions. Returns
 * exactly one response per request, in request order. An `execute` that rejects with an
 * UNAVAILABLE InferError declares the instance lost for good (schedulers retire it).
 */
export interface BatchInstance {
  readonly kind: 'batch';
  execute(batch: readonly InferenceRequest[]): Promise<readonly InstanceResponse[]>;
  dispose(): Promise<void>;
}

/**
 * Runs one request of a decoupled model (`model_transaction_policy { decoupled: true }`),
 * calling `emit` for each response; resolves when the request is complete.
 */
export interface DecoupledInstance {
  readonly kind: 'decoupled';
  execute(request: InferenceRequest, emit: (outputs: readonly Tensor[]) => void): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * An LLM instance (API 1.1): one engine context holding `maxSequences` KV-cache slots that the
 * core's continuous batcher drives step by step. Ownership: the batcher owns the instance
 * exclusively and decides everything a scheduler decides (admission, which tokens each slot
 * evaluates per step, prefix reuse, stop strings, token limits); the instance only evaluates a
 * plan and samples. Concurrency: at most one `step` is in flight; `finish`, `tokenize` and
 * `prepareConstraint` are called between steps, `embed` at any time. Errors: `step` throws only
 * when the whole step failed; the batcher then fails every request in the plan and treats the KV
 * contents of those slots as lost. Units: tokens are vocabulary ids; positions count tokens.
 */
export interface IterativeInstance {
  readonly kind: 'iterative';
  /** Parallel sequences (KV-cache slots), numbered 0..maxSequences-1. */
  readonly maxSequences: number;
  /** Tokens one sequence can hold: prompt plus generated output. */
  readonly contextSize: number;
  /** Most tokens one step may evaluate, summed over all entries of the plan. */
  readonly maxBatchTokens: number;
  readonly vocabulary: LlmVocabulary;
  /** Length of the vectors `embed` returns; 0 when the instance cannot embed. */
  readonly embeddingSize: number;
  /** Tokenizes text without adding BOS; `special` lets control-token text (e.g. `<|im_end|>`) become control tokens. */
  tokenize(text: string, special: boolean): number[];
  /** Compiles a constraint ahead of the step that uses it; throws an Error whose message says why it is invalid. */
  prepareConstraint(constraint: SamplingConstraint): Promise<ConstraintInfo>;
  /** Runs one forward pass over every entry of the plan; returns a sample for each entry that asked for one. */
  step(plan: StepPlan): Promise<StepResult>;
  /** Ends the generation running on `slot`. The slot's KV cache keeps its tokens for prefix reuse. */
  finish(slot: number): void;
  /** One pooled embedding of `tokens`; throws when `embeddingSize` is 0. */
  embed(tokens: readonly number[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** What the core needs to know about a model's tokens. */
export interface LlmVocabulary {
  readonly size: number;
  readonly bos?: number;
  readonly eos?: number;
  /** End-of-generation tokens (EOS, end-of-turn, ...). */
  readonly eog: readonly number[];
  /** Whether prompts start with BOS. */
  readonly addBos: boolean;
  /** The model's Jinja chat template (from GGUF metadata or a config override), if any. */
  readonly chatTemplate?: string;
  /** Bytes a token contributes to generated text; empty for control tokens. May be part of a UTF-8 character. */
  piece(token: number): Uint8Array;
  /** A token's text as written in prompts and templates (e.g. `<s>`, `<|im_end|>`). */
  text(token: number): string;
}

/** A constraint on what may be sampled, enforced by a grammar. */
export type SamplingConstraint =
  | { readonly kind: 'json' }
  | { readonly kind: 'json_schema'; readonly schema: unknown }
  | { readonly kind: 'gbnf'; readonly grammar: string };

/** How a compiled constraint ends: text that completes it (a stop string) and whether trailing whitespace is noise. */
export interface ConstraintInfo {
  readonly stop: readonly string[];
  readonly trimTrailingWhitespace: boolean;
}

/** Sampling settings of one sequence, fixed for its whole generation. */
export interface SamplingParams {
  /** 0 means greedy. */
  readonly temperature: number;
  readonly topP: number;
  /** 0 means no top-k cut. */
  readonly topK: number;
  readonly minP: number;
  readonly seed?: number;
  /** Multiplicative penalty on repeated tokens; 1 disables. */
  readonly repetitionPenalty: number;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  /** Additive logit offsets per token; -Infinity bans a token. */
  readonly logitBias: ReadonlyMap<number, number>;
  readonly constraint?: SamplingConstraint;
  /** Alternatives to report per sampled token; undefined reports no log-probabilities at all. */
  readonly topLogprobs?: number;
}

/** One step: what each participating slot evaluates. */
export interface StepPlan {
  readonly entries: readonly StepEntry[];
}

/**
 * `prefill` evaluates prompt tokens into `slot` starting at position `startPos` (the instance
 * first drops any cached tokens at or after it); with `sampling` it is the prompt's last chunk and
 * starts the generation, sampling its first token. `decode` evaluates the slot's previous sample
 * and samples the next token. `banEog` forbids end-of-generation tokens for this sample.
 */
export type StepEntry =
  | {
      readonly kind: 'prefill';
      readonly slot: number;
      readonly startPos: number;
      readonly tokens: readonly number[];
      readonly sampling?: SamplingParams;
      readonly banEog: boolean;
    }
  | { readonly kind: 'decode'; readonly slot: number; readonly banEog: boolean };

/** A sampled token with optional log-probabilities (natural log). */
export interface TokenSample {
  readonly token: number;
  readonly logprob?: number;
  readonly top?: readonly { readonly token: number; readonly logprob: number }[];
}

/** Samples of one step, keyed by slot. */
export interface StepResult {
  readonly samples: ReadonlyMap<number, TokenSample>;
}
