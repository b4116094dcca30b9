/**
 * One loaded (or loading, or failed) version of a model: its backend model, instances,
 * scheduler, statistics and lifecycle. Loading is all-or-nothing: a version either becomes
 * READY with every instance created, or UNAVAILABLE with everything it created released.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Backend, BackendLogger, BatchInstance, DecoupledInstance, InstanceDevice, LoadedModel, ModelInstance } from '../../backends/backend.js';
import type { ModelConfig } from '../../config/model-config.js';
import { normalizeModelConfig } from '../../config/normalize-model-config.js';
import { validateModelConfig } from '../../config/validate-model-config.js';
import type { LlmModel } from '../llm/types.js';
import { requestBatchSize } from '../request-validation.js';
import type { InferenceRequest } from '../types.js';
import { DirectScheduler } from '../scheduling/direct-scheduler.js';
import { DynamicBatcher } from '../scheduling/dynamic-batcher.js';
import type { Scheduler } from '../scheduling/scheduler.js';
import { SequenceBatcher } from '../scheduling/sequence-batcher.js';
import { VersionStatistics } from '../statistics.js';
import { isEnsemble } from './ensemble-model.js';
import { VersionLifecycle } from './model-lifecycle.js';

/** Inputs needed to load one version. */
export interface VersionLoadSpec {
  readonly name: string;
  readonly version: number;
  readonly modelDir: string;
  readonly config: ModelConfig;
  readonly backend: Backend;
  readonly strictModelConfig: boolean;
  readonly gpuCount: number;
  readonly log: BackendLogger;
}

/** Builds the scheduler of a freshly loaded version; later schedulers plug in here. */
export type SchedulerFactory = (version: ModelVersion, instances: readonly ModelInstance[]) => Scheduler;

/** Picks the scheduler the config asks for: the sequence batcher, the dynamic batcher, else Triton's direct scheduler. */
export const defaultSchedulerFactory: SchedulerFactory = (v, instances) => {
  if (v.config.sequence_batching) {
    return new SequenceBatcher({ config: v.config, instances, stats: v.stats, modelDir: v.modelDir });
  }
  const batchSizeOf = (r: InferenceRequest): number => requestBatchSize(r, v.config);
  const maxBatchSize = v.config.max_batch_size ?? 0;
  // NOTE: a version is all-or-nothing, as at load: an instance lost for good takes it down, with the reason.
  const onInstanceLost = (reason: string): void => void v.unload(`instance lost: ${reason}`).catch(() => undefined);
  if (v.config.dynamic_batching && maxBatchSize > 0) {
    return new DynamicBatcher({ config: v.config.dynamic_batching, maxBatchSize, instances, stats: v.stats, batchSizeOf, onInstanceLost });
  }
  const direct = instances.filter((i): i is BatchInstance | DecoupledInstance => i.kind !== 'iterative');
  if (direct.length !== instances.length) throw new Error(`model '${v.name}' has iterative (LLM) instances but no LLM scheduler`);
  return new DirectScheduler({ instances: direct, stats: v.stats, batchSizeOf, onInstanceLost });
};

/** A model version and everything it owns. */
export class ModelVersion {
  readonly lifecycle = new VersionLifecycle();
  readonly stats: VersionStatistics;
  /** Normalized config; the raw one until loading finishes. */
  config: ModelConfig;
  /** Class labels per output name, from `label_filename`. */
  readonly labels = new Map<string, readonly string[]>();
  scheduler: Scheduler | undefined;
  /** The LLM surface (OpenAI, generate) of a version with iterative instances; set by the scheduler factory. */
  llm: LlmModel | undefined;
  /** Absolute path of `<repo>/<model>`; set when loading starts. */
  modelDir = '';
  private loaded: LoadedModel | undefined;
  private instances: ModelInstance[] = [];

  constructor(
    readonly name: string,
    readonly version: number,
    config: ModelConfig,
  ) {
    this.config = config;
    this.stats = new VersionStatistics(name, version);
  }

  /** Loads the version; on failure releases what it made and records the reason. Never throws. */
  async load(spec: VersionLoadSpec, schedulerFactory: SchedulerFactory): Promise<void> {
    try {
      this.modelDir = spec.modelDir;
      const versionDir = path.join(spec.modelDir, String(spec.version));
      this.loaded = await spec.backend.loadModel({
        config: spec.config,
        modelDir: spec.modelDir,
        versionDir,
        version: spec.version,
        autoCompleteConfig: !spec.strictModelConfig,
        log: spec.log,
      });
      const config = normalizeModelConfig(this.loaded.config, { modelName: spec.name, gpuCount: spec.gpuCount });
      validateModelConfig(config);
      this.config = config;
      await this.readLabels(spec.modelDir);
      // NOTE: an ensemble has no instances; its scheduler calls the composing models.
      this.instances = isEnsemble(config) ? [] : await createInstances(this.loaded, config, spec.gpuCount);
      this.scheduler = schedulerFactory(this, this.instances);
      this.lifecycle.transition('READY');
    } catch (err) {
      await this.release();
      this.lifecycle.transition('UNAVAILABLE', err instanceof Error ? err.message : String(err));
    }
  }

  /** Drains in-flight work, then releases instances and the backend model. */
  async unload(reason = 'unloaded'): Promise<void> {
    if (this.lifecycle.state !== 'READY') return;
    this.lifecycle.transition('UNLOADING');
    await this.scheduler?.drain();
    await this.release();
    this.lifecycle.transition('UNAVAILABLE', reason);
  }

  private async release(): Promise<void> {
    // NOTE: the batcher must stop stepping before its instances are disposed under it.
    const llm = this.llm;
    this.llm = undefined;
    await llm?.close().catch(() => undefined);
    const instances = this.instances;
    this.instances = [];
    await Promise.allSettled(instances.map((i) => i.dispose()));
    const loaded = this.loaded;
    this.loaded = undefined;
    await loaded?.unload().catch(() => undefined);
  }

  private async readLabels(modelDir: string): Promise<void> {
    for (const output of this.config.output ?? []) {
      if (!output.label_filename) continue;
      const file = path.basename(output.label_filename);
      const text = await readFile(path.join(modelDir, file), 'utf8');
      this.labels.set(output.name, text.split(/\r?\n/).filter((l, i, all) => l.length > 0 || i < all.length - 1));
    }
  }
}

/** One instance per `count` per device of every instance group, created in parallel. */
async function createInstances(loaded: LoadedModel, config: ModelConfig, gpuCount: number): Promise<ModelInstance[]> {
  const slots: { index: number; groupName: string; device: InstanceDevice }[] = [];
  for (const group of config.instance_group ?? []) {
    const count = group.count ?? 1;
    const devices = deviceList(group.kind, group.gpus, gpuCount);
    for (const device of devices) {
      for (let i = 0; i < count; i++) slots.push({ index: slots.length, groupName: group.name ?? config.name, device });
    }
  }
  const results = await Promise.allSettled(slots.map((slot) => loaded.createInstance(slot)));
  const made = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(made.map((i) => i.dispose()));
    throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  }
  if (made.length === 0) throw new Error('instance_group yields no instances');
  return made;
}

function deviceList(kind: string | undefined, gpus: readonly number[] | undefined, gpuCount: number): InstanceDevice[] {
  if (kind === 'KIND_GPU' || (kind === 'KIND_AUTO' && gpuCount > 0)) {
    const ids = gpus && gpus.length > 0 ? gpus : Array.from({ length: gpuCount }, (_, i) => i);
    if (ids.length === 0) throw new Error('instance_group KIND_GPU requested but no GPU is available');
    return ids.map((id) => `gpu:${id}` as const);
  }
  return ['cpu'];
}
