/**
 * Triton's model config normalization (core src/model_config_utils.cc: AutoCompleteBackendFields,
 * NormalizeModelConfig, NormalizeInstanceGroup), followed by protobuf's implicit defaults, so the
 * result matches what Triton's `GET /v2/models/{m}/config` returns. Pure: the input is not touched.
 */
import type { InstanceGroup, ModelConfig } from './model-config.js';
import { MODEL_CONFIG_SCHEMA } from './model-config-schema.js';
import { withSchemaDefaults } from './schema-defaults.js';
import { TRITON_PLATFORMS } from './triton-platforms.js';

/** Inputs to normalization that do not come from the config itself. */
export interface NormalizeOptions {
  /** The model's directory name; becomes `name` when the config has none. */
  readonly modelName: string;
  /** GPUs this server may use (ids 0..gpuCount-1); 0 or absent means CPU only. */
  readonly gpuCount?: number;
  /** The serving backend's model file name, used when Triton's own rules leave it empty. */
  readonly defaultModelFilename?: string;
}

/** Triton's default `max_sequence_idle_microseconds` (SEQUENCE_IDLE_DEFAULT_MICROSECONDS). */
export const SEQUENCE_IDLE_DEFAULT_MICROSECONDS = 1_000_000;

/** Backends whose CPU instance groups default to two instances (SetDefaultInstanceCount). */
const TWO_CPU_INSTANCE_BACKENDS = new Set(['tensorflow', 'onnxruntime']);

/** Fills `backend`, `platform` and `default_model_filename` from each other, as AutoCompleteBackendFields does. */
function completeBackendFields(c: ModelConfig): void {
  const platform = c.platform ?? '';
  const filename = c.default_model_filename ?? '';
  const backend = c.backend ?? '';
  if (!platform && (!backend || backend === 'tensorflow')) {
    if (filename === 'model.savedmodel') c.platform = 'tensorflow_savedmodel';
    else if (filename === 'model.graphdef') c.platform = 'tensorflow_graphdef';
  }
  if (c.platform === 'tensorflow_savedmodel' || c.platform === 'tensorflow_graphdef') {
    c.backend ||= 'tensorflow';
    c.default_model_filename ||= TRITON_PLATFORMS[c.platform]!.filename;
    return;
  }
  for (const plat of ['tensorrt_plan', 'onnxruntime_onnx']) {
    const own = TRITON_PLATFORMS[plat]!;
    if (!c.backend && (c.platform === plat || filename === own.filename)) c.backend = own.backend;
    if (c.backend === own.backend) {
      c.platform ||= plat;
      c.default_model_filename ||= own.filename;
      return;
    }
  }
  if (!c.backend && filename === 'model.xml') c.backend = 'openvino';
  if (c.backend === 'openvino') {
    c.default_model_filename ||= 'model.xml';
    return;
  }
  if (!c.backend) {
    if (c.platform === 'pytorch_libtorch' || c.platform === 'libtorch' || filename === 'model.pt') c.backend = 'pytorch';
    else if (c.platform === 'torch_aoti' || filename === 'model.pt2') c.backend = 'pytorch';
  }
  if (c.backend === 'pytorch') {
    if (!c.platform) {
      c.platform = 'pytorch_libtorch';
      c.default_model_filename ||= 'model.pt';
    } else if (c.platform === 'torch_aoti') {
      c.default_model_filename ||= 'model.pt2';
    }
    return;
  }
  if (!c.backend && filename === 'model.py') c.backend = 'python';
  if (c.backend === 'python') c.default_model_filename ||= 'model.py';
}

/** Resolves KIND_AUTO, count, name and gpus of each group, adding one group when there is none. */
function normalizeInstanceGroups(c: ModelConfig, gpuCount: number): void {
  const groups: InstanceGroup[] = c.instance_group?.length ? c.instance_group : [{ name: c.name }];
  groups.forEach((g, i) => {
    if (!g.name) g.name = `${c.name}_${i}`;
    if (!g.kind || g.kind === 'KIND_AUTO') {
      const allPresent = (g.gpus ?? []).every((id) => id >= 0 && id < gpuCount);
      g.kind = gpuCount > 0 && allPresent ? 'KIND_GPU' : 'KIND_CPU';
    }
    if (!g.count || g.count < 1) {
      g.count = g.kind === 'KIND_CPU' && TWO_CPU_INSTANCE_BACKENDS.has(c.backend ?? '') ? 2 : 1;
    }
    if (g.kind === 'KIND_GPU' && !g.gpus?.length) g.gpus = Array.from({ length: gpuCount }, (_, id) => id);
  });
  c.instance_group = groups;
}

/**
 * Returns `config` with Triton's defaults filled: name, backend/platform/default_model_filename,
 * version_policy, batching defaults, pinned-memory optimization, instance groups (not for
 * ensembles), then every implicit protobuf default, keys in proto declaration order.
 */
export function normalizeModelConfig(config: ModelConfig, opts: NormalizeOptions): ModelConfig {
  const c = structuredClone(config);
  if (!c.name) c.name = opts.modelName;
  completeBackendFields(c);
  if (!c.default_model_filename && opts.defaultModelFilename) c.default_model_filename = opts.defaultModelFilename;
  c.version_policy ??= { latest: { num_versions: 1 } };
  const maxBatch = c.max_batch_size ?? 0;
  if (c.dynamic_batching && !c.dynamic_batching.preferred_batch_size?.length && maxBatch > 0) {
    c.dynamic_batching.preferred_batch_size = [maxBatch];
  }
  if (c.sequence_batching) {
    if (!c.sequence_batching.max_sequence_idle_microseconds) {
      c.sequence_batching.max_sequence_idle_microseconds = SEQUENCE_IDLE_DEFAULT_MICROSECONDS;
    }
    const oldest = c.sequence_batching.oldest;
    if (oldest && !oldest.preferred_batch_size?.length && maxBatch > 0) oldest.preferred_batch_size = [maxBatch];
  }
  if (!c.ensemble_scheduling) {
    const optimization = (c.optimization ??= {});
    optimization.input_pinned_memory ??= { enable: true };
    optimization.output_pinned_memory ??= { enable: true };
    normalizeInstanceGroups(c, opts.gpuCount ?? 0);
  }
  return withSchemaDefaults(c as unknown as Record<string, unknown>, MODEL_CONFIG_SCHEMA) as unknown as ModelConfig;
}
