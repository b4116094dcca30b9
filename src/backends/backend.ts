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
export const BACKEND_API_VERSION = { major: 1, minor: 0 } as const;

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

/** A model instance: either answers each request once (batch) or streams 0..N responses (decoupled). */
export type ModelInstance = BatchInstance | DecoupledInstance;

/**
 * Runs a batch of requests. The scheduler has already validated every request against the
 * model config, and for batching models all requests share non-batch dimensions. Returns
 * exactly one response per request, in request order.
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
