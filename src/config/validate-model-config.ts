/**
 * Semantic checks of a model config, after Triton's ValidateModelConfig, ValidateModelIOConfig and
 * ValidateInstanceGroup (core src/model_config_utils.cc). Meant for the normalized config (see
 * normalize-model-config.ts); Triton's messages are kept so operators recognise them.
 */
import { invalidArgument } from '../core/errors.js';
import type { DynamicBatching, ModelConfig } from './model-config.js';
import { validateEnsemble } from './validate-ensemble.js';
import { validateModelIo } from './validate-model-io.js';
import { TRITON_PLATFORMS, tritonPlatform } from './triton-platforms.js';
import { validateSequenceBatching } from './validate-sequence-batching.js';

/** Options of validateModelConfig. */
export interface ValidateOptions {
  /** GPUs the server may use; when given, KIND_GPU groups may only name ids below it. */
  readonly gpuCount?: number;
}

/** Backends Triton pairs with specific platforms; other backends accept any platform. */
const PLATFORM_BOUND_BACKENDS = new Set(Object.values(TRITON_PLATFORMS).map((p) => p.backend));

function validateBackendAndPlatform(c: ModelConfig): void {
  const backend = c.backend ?? '';
  const platform = c.platform ?? '';
  if (!backend && !platform) throw invalidArgument(`must specify 'platform' or 'backend' for '${c.name}'`);
  if (backend && platform === 'ensemble') {
    throw invalidArgument(`Ensemble model '${c.name}' must have platform type 'ensemble' and empty backend type`);
  }
  if (!backend && platform !== 'ensemble' && !tritonPlatform(platform)) {
    throw invalidArgument(`unexpected platform type '${platform}' for ${c.name}`);
  }
  if (PLATFORM_BOUND_BACKENDS.has(backend) && platform && tritonPlatform(platform)?.backend !== backend) {
    throw invalidArgument(`unexpected 'platform' and 'backend' pair, got:${platform}, ${backend}`);
  }
}

function countSet(...values: unknown[]): number {
  return values.filter((v) => v !== undefined).length;
}

function validateDynamicBatching(db: DynamicBatching, c: ModelConfig): void {
  const maxBatchSize = c.max_batch_size ?? 0;
  for (const size of db.preferred_batch_size ?? []) {
    if (size <= 0) throw invalidArgument(`dynamic batching preferred size must be positive for ${c.name}`);
    if (size > maxBatchSize) throw invalidArgument(`dynamic batching preferred size must be <= max batch size for ${c.name}`);
  }
  const levels = db.priority_levels ?? 0;
  if (levels !== 0) {
    const def = db.default_priority_level ?? 0;
    if (def === 0 || def > levels) throw invalidArgument(`default priority level must be in range [1, ${levels}] for ${c.name}`);
    for (const key of Object.keys(db.priority_queue_policy ?? {})) {
      const level = Number(key);
      if (!Number.isInteger(level) || level === 0 || level > levels) {
        throw invalidArgument(`priority queue policy must have priority level in range [1, ${levels}] for ${c.name}`);
      }
    }
  }
  if (db.preserve_ordering) {
    if (levels > 1) throw invalidArgument(`Only one priority level is allowed when 'preserve_ordering' is true for ${c.name}`);
    const policies = [db.default_queue_policy, ...Object.values(db.priority_queue_policy ?? {})];
    for (const p of policies) {
      if (p && (p.default_timeout_microseconds ?? 0) !== 0 && p.timeout_action === 'DELAY') {
        throw invalidArgument(`Queue policy can not have DELAY as timeout action when 'preserve_ordering' is true for ${c.name}`);
      }
    }
  }
}

function validateInstanceGroups(c: ModelConfig, opts: ValidateOptions): void {
  if (c.ensemble_scheduling || c.instance_group === undefined) return;
  if (c.instance_group.length === 0) throw invalidArgument(`must specify one or more 'instance group's for ${c.name}`);
  const names = new Set<string>();
  for (const g of c.instance_group) {
    const label = `instance group ${g.name ?? ''} of model ${c.name}`;
    if (g.name) {
      if (names.has(g.name)) throw invalidArgument(`instance group name '${g.name}' is used more than once in model ${c.name}`);
      names.add(g.name);
    }
    const gpus = g.gpus ?? [];
    const kind = g.kind ?? 'KIND_AUTO';
    if ((kind === 'KIND_MODEL' || kind === 'KIND_CPU') && gpus.length > 0) {
      throw invalidArgument(`${label} has kind ${kind} but specifies one or more GPUs`);
    }
    if (kind === 'KIND_GPU') {
      if (opts.gpuCount === 0) throw invalidArgument(`${label} has kind KIND_GPU but no GPUs are available`);
      if (gpus.length === 0 && opts.gpuCount !== undefined) throw invalidArgument(`${label} has kind KIND_GPU but specifies no GPUs`);
      const bad = opts.gpuCount === undefined ? undefined : gpus.find((id) => id < 0 || id >= opts.gpuCount!);
      if (bad !== undefined) throw invalidArgument(`${label} specifies invalid or unsupported gpu id ${bad}`);
    }
    if (g.count !== undefined && g.count < 0) throw invalidArgument(`${label} has negative count ${g.count}`);
    const profiles = g.profile ?? [];
    if (profiles.length > 0 && c.platform !== 'tensorrt_plan') {
      throw invalidArgument(`${label} and platform ${c.platform ?? ''} specifies profile field which is only supported for TensorRT models`);
    }
    for (const p of profiles) {
      if (!/^\d+$/.test(p)) throw invalidArgument(`${label} specifies invalid profile ${p}. The field should contain the string representation of a non-negative integer.`);
    }
  }
}

function validateMetrics(c: ModelConfig): void {
  const metrics = (c as { model_metrics?: { metric_control?: Record<string, unknown>[] } }).model_metrics;
  for (const control of metrics?.metric_control ?? []) {
    const id = control.metric_identifier as { family?: string } | undefined;
    const histogram = control.histogram_options as { buckets?: number[] } | undefined;
    if (!id) throw invalidArgument("metric control must specify 'metric_identifier'");
    if (!id.family) throw invalidArgument("metric identifier must specify non-empty 'family'");
    if (!histogram) throw invalidArgument("metric control must specify 'histogram_options'");
    if (!histogram.buckets?.length) throw invalidArgument("histogram options must specify non-empty 'buckets'");
  }
}

/** Throws InferError('INVALID_ARGUMENT') describing the first semantic error of `config`. */
export function validateModelConfig(config: ModelConfig, opts: ValidateOptions = {}): void {
  if (!config.name) throw invalidArgument("model configuration must specify 'name'");
  validateBackendAndPlatform(config);
  const maxBatchSize = config.max_batch_size ?? 0;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 0) {
    throw invalidArgument(`'max_batch_size' must be non-negative value for ${config.name}`);
  }
  const vp = config.version_policy;
  if (vp && countSet(vp.latest, vp.all, vp.specific) !== 1) {
    throw invalidArgument(`version_policy must set exactly one of 'latest', 'all' or 'specific' for ${config.name}`);
  }
  if (countSet(config.dynamic_batching, config.sequence_batching, config.ensemble_scheduling) > 1) {
    throw invalidArgument(
      `only one of 'dynamic_batching', 'sequence_batching' and 'ensemble_scheduling' may be set for ${config.name}`,
    );
  }
  if (config.dynamic_batching) validateDynamicBatching(config.dynamic_batching, config);
  validateSequenceBatching(config);
  validateEnsemble(config);
  if (config.model_transaction_policy?.decoupled && config.response_cache?.enable) {
    throw invalidArgument(
      `Response Cache does not currently support model ${config.name} with 'decoupled' transaction policy. Please disable the response cache.`,
    );
  }
  validateMetrics(config);
  validateModelIo(config);
  validateInstanceGroups(config, opts);
}
