/**
 * The InferenceServer facade: validates requests against the model config, hands them to the
 * version's scheduler, and shapes results (requested outputs, classification). Front-ends call
 * only this; it owns no wire format and no engine.
 */
import { configDataTypeToDataType } from '../config/datatypes.js';
import type { ConfigDataType, ModelConfig } from '../config/model-config.js';
import { classify } from './classification.js';
import type { LlmResidency } from './llm/llm-residency.js';
import type { RepositoryLlmPort } from './llm/repository-llm-port.js';
import type { LlmModel } from './llm/types.js';
import { InferError } from './errors.js';
import type {
  InferenceServer,
  ListedLlm,
  LlmAcquireOptions,
  LoadOptions,
  ModelMetadata,
  ModelStatistics,
  RepositoryIndexEntry,
  ServerMetadata,
} from './inference-server.js';
import type { ModelVersion } from './repository/model-version.js';
import type { RepositoryManager } from './repository/repository-manager.js';
import { validateRequest } from './request-validation.js';
import { sequenceInternalInputs, sequenceStateOutputs } from './scheduling/sequence-controls.js';
import type { InferenceRequest, InferenceResult, Tensor, TensorSpec } from './types.js';

/** Options of the model server. */
export interface ModelServerOptions {
  readonly repository: RepositoryManager;
  readonly serverName?: string;
  readonly serverVersion: string;
  /** Protocol extensions the composed front-ends really implement. */
  readonly extensions: readonly string[];
  /** Triton's --strict-readiness: ready only when every model is ready. */
  readonly strictReadiness: boolean;
  /** Model control mode; load/unload APIs work only in explicit mode. */
  readonly explicitControl: boolean;
  /** On-demand loading of LLMs within a memory budget; absent, only loaded LLMs serve. */
  readonly llm?: { readonly residency: LlmResidency; readonly port: RepositoryLlmPort };
}

/** The one implementation of InferenceServer. */
export class ModelServer implements InferenceServer {
  private started = false;
  private stopping = false;

  constructor(private readonly opts: ModelServerOptions) {}

  /** Marks the initial model load as finished; readiness may turn true from now on. */
  markStarted(): void {
    this.started = true;
  }

  /** Turns readiness off at once (graceful shutdown); liveness stays on. */
  markStopping(): void {
    this.stopping = true;
  }

  isLive(): boolean {
    return true;
  }

  isReady(): boolean {
    if (!this.started || this.stopping) return false;
    return !this.opts.strictReadiness || this.opts.repository.allReady();
  }

  serverMetadata(): ServerMetadata {
    return { name: this.opts.serverName ?? 'inferd', version: this.opts.serverVersion, extensions: this.opts.extensions };
  }

  modelMetadata(name: string, version?: number): ModelMetadata {
    const v = this.opts.repository.getReady(name, version);
    const versions =
      version !== undefined
        ? [String(version)]
        : this.opts.repository.versionsOf(name).filter((x) => x.lifecycle.state === 'READY').map((x) => String(x.version));
    const batching = (v.config.max_batch_size ?? 0) > 0;
    const spec = (t: { name: string; data_type: ConfigDataType; dims: number[] }): TensorSpec => ({
      name: t.name,
      datatype: configDataTypeToDataType(t.data_type),
      shape: batching ? [-1, ...t.dims] : [...t.dims],
    });
    return {
      name,
      versions,
      platform: v.config.platform ?? v.config.backend ?? '',
      // NOTE: sequence controls and implicit state are the batcher's business, not the client's.
      inputs: (v.config.input ?? []).filter((t) => !sequenceInternalInputs(v.config).has(t.name)).map(spec),
      outputs: (v.config.output ?? []).filter((t) => !sequenceStateOutputs(v.config).has(t.name)).map(spec),
    };
  }

  isModelReady(name: string, version?: number): boolean {
    try {
      this.opts.repository.getReady(name, version);
      return true;
    } catch {
      return false;
    }
  }

  modelConfig(name: string, version?: number): ModelConfig {
    return this.opts.repository.getReady(name, version).config;
  }

  async infer(request: InferenceRequest): Promise<InferenceResult> {
    const v = this.prepare(request);
    if (v.config.model_transaction_policy?.decoupled) {
      throw new InferError('UNSUPPORTED', `model '${v.name}' is decoupled: use a streaming API (ModelStreamInfer or generate_stream)`);
    }
    const outputs = await (v.scheduler as NonNullable<ModelVersion['scheduler']>).enqueue(request);
    return { id: request.id, model: { name: v.name, version: v.version }, outputs: shapeOutputs(request, v, outputs), final: true };
  }

  async *inferStream(request: InferenceRequest): AsyncIterable<InferenceResult> {
    const v = this.prepare(request);
    const scheduler = v.scheduler as NonNullable<ModelVersion['scheduler']>;
    const model = { name: v.name, version: v.version };
    if (!v.config.model_transaction_policy?.decoupled) {
      const outputs = await scheduler.enqueue(request);
      yield { id: request.id, model, outputs: shapeOutputs(request, v, outputs), final: true };
      return;
    }
    const parts: InferenceResult[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    const done = scheduler
      .enqueueStream(request, (outputs) => {
        parts.push({ id: request.id, model, outputs: shapeOutputs(request, v, outputs), final: false });
        wake?.();
      })
      .then(
        () => (finished = true),
        (err: unknown) => {
          failure = err;
          finished = true;
        },
      )
      .finally(() => wake?.());
    while (!finished || parts.length > 0) {
      const next = parts.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    await done;
    if (failure) throw failure;
    yield { id: request.id, model, outputs: [], final: true };
  }

  repositoryIndex(options: { readyOnly?: boolean } = {}): Promise<readonly RepositoryIndexEntry[]> {
    return this.opts.repository.index(options.readyOnly ?? false);
  }

  loadModel(name: string, options?: LoadOptions): Promise<void> {
    this.requireExplicit('load');
    return this.opts.repository.load(name, options);
  }

  unloadModel(name: string, options?: { unloadDependents?: boolean }): Promise<void> {
    this.requireExplicit('unload');
    return this.opts.repository.unload(name, options);
  }

  modelStatistics(name?: string, version?: number): readonly ModelStatistics[] {
    if (name === undefined) {
      return this.opts.repository
        .allVersions()
        .filter((v) => v.lifecycle.state === 'READY')
        .sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version)
        .map((v) => v.stats.snapshot());
    }
    if (version !== undefined) return [this.opts.repository.getReady(name, version).stats.snapshot()];
    const ready = this.opts.repository.versionsOf(name).filter((v) => v.lifecycle.state === 'READY');
    if (ready.length === 0) throw new InferError('NOT_FOUND', `requested model '${name}' has no available versions`);
    return ready.map((v) => v.stats.snapshot());
  }

  async llmModel(name: string, options: LlmAcquireOptions = {}): Promise<LlmModel> {
    const ready = this.readyVersion(name);
    if (ready && !ready.llm) {
      throw new InferError('INVALID_ARGUMENT', `model '${name}' is not an LLM (backend '${ready.config.backend ?? ready.config.platform ?? ''}'); use the KServe infer API`);
    }
    if (this.opts.llm) await this.opts.llm.residency.acquire(name, options.keepAliveMs);
    const v = this.readyVersion(name);
    // NOTE: OpenAI clients expect 404 for any model they cannot use now, loaded or not.
    if (!v?.llm) throw new InferError('NOT_FOUND', `The model '${name}' is not loaded`);
    return v.llm;
  }

  async listLlmModels(): Promise<readonly ListedLlm[]> {
    const listed = new Map<string, ListedLlm>();
    for (const v of this.opts.repository.allVersions()) {
      if (v.lifecycle.state !== 'READY' || !v.llm) continue;
      const seen = listed.get(v.name);
      if (!seen || (seen.version ?? 0) < v.version) listed.set(v.name, { name: v.name, state: 'loaded', version: v.version, model: v.llm });
    }
    if (this.opts.llm) {
      for (const name of await this.opts.llm.port.knownLlms()) {
        if (!listed.has(name)) listed.set(name, { name, state: this.opts.llm.residency.state(name) === 'loading' ? 'loading' : 'unloaded' });
      }
    }
    return [...listed.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private readyVersion(name: string): ModelVersion | undefined {
    try {
      return this.opts.repository.getReady(name);
    } catch {
      return undefined;
    }
  }

  private prepare(request: InferenceRequest): ModelVersion {
    const v = this.opts.repository.getReady(request.model.name, request.model.version);
    validateRequest(request, v.config, sequenceInternalInputs(v.config));
    if (!v.scheduler) throw new InferError('MODEL_NOT_READY', `model '${v.name}' has no scheduler`);
    return v;
  }

  private requireExplicit(op: string): void {
    if (!this.opts.explicitControl) {
      throw new InferError('UNAVAILABLE', `explicit model ${op} is not allowed if polling is enabled or model control is off (use --model-control-mode=explicit)`);
    }
  }
}

/** Keeps only requested outputs (all when none requested) and applies classification. */
function shapeOutputs(request: InferenceRequest, v: ModelVersion, outputs: readonly Tensor[]): Tensor[] {
  if (!request.outputs) return [...outputs];
  const byName = new Map(outputs.map((t) => [t.name, t]));
  const batching = (v.config.max_batch_size ?? 0) > 0;
  const shaped: Tensor[] = [];
  for (const want of request.outputs) {
    const tensor = byName.get(want.name);
    if (!tensor) continue;
    shaped.push(want.classification !== undefined ? classify(tensor, want.classification, batching, v.labels.get(want.name)) : tensor);
  }
  return shaped;
}
