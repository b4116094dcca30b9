/**
 * Triton's ModelConfig message tree (triton-inference-server/common protobuf/model_config.proto)
 * as data. The pbtxt reader, the JSON reader and the pbtxt writer all walk this one schema, so
 * field names, scalar types, enums, maps and oneofs are defined exactly once.
 */

/** Protobuf scalar types used by model_config.proto. */
export type ScalarType = 'string' | 'bool' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float' | 'double';

/** A protobuf enum; value names are listed in numeric order (every Triton enum starts at 0 without gaps). */
export interface EnumSchema {
  readonly name: string;
  readonly values: readonly string[];
}

/** A protobuf message: field name → field. */
export interface MessageSchema {
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldSchema>>;
}

/** What a single field holds. */
export type ValueType = ScalarType | EnumSchema | MessageSchema;

/** One field of a message. */
export interface FieldSchema {
  readonly type: ValueType;
  /** 'repeated' gives an array, 'map' an object keyed by `key` (as decimal text for integer keys). */
  readonly label?: 'repeated' | 'map';
  readonly key?: ScalarType;
  /** Name of the oneof this field belongs to; at most one member may be set. */
  readonly oneof?: string;
}

/** True when `t` is an enum type. */
export function isEnum(t: ValueType): t is EnumSchema {
  return typeof t === 'object' && 'values' in t;
}

/** True when `t` is a message type. */
export function isMessage(t: ValueType): t is MessageSchema {
  return typeof t === 'object' && 'fields' in t;
}

const one = (type: ValueType, oneof?: string): FieldSchema => (oneof ? { type, oneof } : { type });
const many = (type: ValueType): FieldSchema => ({ type, label: 'repeated' });
const map = (key: ScalarType, type: ValueType): FieldSchema => ({ type, label: 'map', key });
const message = (name: string, fields: Record<string, FieldSchema>): MessageSchema => ({ name, fields });
const enumOf = (name: string, values: string[]): EnumSchema => ({ name, values });

/** The `DataType` enum. */
export const DATA_TYPE_ENUM = enumOf('DataType', [
  'TYPE_INVALID', 'TYPE_BOOL', 'TYPE_UINT8', 'TYPE_UINT16', 'TYPE_UINT32', 'TYPE_UINT64', 'TYPE_INT8', 'TYPE_INT16',
  'TYPE_INT32', 'TYPE_INT64', 'TYPE_FP16', 'TYPE_FP32', 'TYPE_FP64', 'TYPE_STRING', 'TYPE_BF16',
]);

const rateLimiter = message('ModelRateLimiter', {
  resources: many(message('Resource', { name: one('string'), global: one('bool'), count: one('uint32') })),
  priority: one('uint32'),
});

const instanceGroup = message('ModelInstanceGroup', {
  name: one('string'),
  kind: one(enumOf('Kind', ['KIND_AUTO', 'KIND_GPU', 'KIND_CPU', 'KIND_MODEL'])),
  count: one('int32'),
  rate_limiter: one(rateLimiter),
  gpus: many('int32'),
  secondary_devices: many(
    message('SecondaryDevice', { kind: one(enumOf('SecondaryDeviceKind', ['KIND_NVDLA'])), device_id: one('int64') }),
  ),
  profile: many('string'),
  passive: one('bool'),
  host_policy: one('string'),
});

const reshape = message('ModelTensorReshape', { shape: many('int64') });

const modelInput = message('ModelInput', {
  name: one('string'),
  data_type: one(DATA_TYPE_ENUM),
  format: one(enumOf('Format', ['FORMAT_NONE', 'FORMAT_NHWC', 'FORMAT_NCHW'])),
  dims: many('int64'),
  reshape: one(reshape),
  is_shape_tensor: one('bool'),
  allow_ragged_batch: one('bool'),
  optional: one('bool'),
  is_non_linear_format_io: one('bool'),
});

const modelOutput = message('ModelOutput', {
  name: one('string'),
  data_type: one(DATA_TYPE_ENUM),
  dims: many('int64'),
  reshape: one(reshape),
  label_filename: one('string'),
  is_shape_tensor: one('bool'),
  is_non_linear_format_io: one('bool'),
});

const batchInput = message('BatchInput', {
  kind: one(
    enumOf('Kind', [
      'BATCH_ELEMENT_COUNT', 'BATCH_ACCUMULATED_ELEMENT_COUNT', 'BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO',
      'BATCH_MAX_ELEMENT_COUNT_AS_SHAPE', 'BATCH_ITEM_SHAPE', 'BATCH_ITEM_SHAPE_FLATTEN',
    ]),
  ),
  target_name: many('string'),
  data_type: one(DATA_TYPE_ENUM),
  source_input: many('string'),
});

const batchOutput = message('BatchOutput', {
  target_name: many('string'),
  kind: one(enumOf('Kind', ['BATCH_SCATTER_WITH_INPUT_SHAPE'])),
  source_input: many('string'),
});

const versionPolicy = message('ModelVersionPolicy', {
  latest: one(message('Latest', { num_versions: one('uint32') }), 'policy_choice'),
  all: one(message('All', {}), 'policy_choice'),
  specific: one(message('Specific', { versions: many('int64') }), 'policy_choice'),
});

const graphShape = message('Shape', { dim: many('int64') });
const accelerator = message('Accelerator', { name: one('string'), parameters: map('string', 'string') });
const pinnedBuffer = message('PinnedMemoryBuffer', { enable: one('bool') });

const optimization = message('ModelOptimizationPolicy', {
  graph: one(message('Graph', { level: one('int32') })),
  priority: one(enumOf('ModelPriority', ['PRIORITY_DEFAULT', 'PRIORITY_MAX', 'PRIORITY_MIN'])),
  cuda: one(
    message('Cuda', {
      graphs: one('bool'),
      busy_wait_events: one('bool'),
      graph_spec: many(
        message('GraphSpec', {
          batch_size: one('int32'),
          input: map('string', graphShape),
          graph_lower_bound: one(message('LowerBound', { batch_size: one('int32'), input: map('string', graphShape) })),
        }),
      ),
      output_copy_stream: one('bool'),
    }),
  ),
  execution_accelerators: one(
    message('ExecutionAccelerators', {
      gpu_execution_accelerator: many(accelerator),
      cpu_execution_accelerator: many(accelerator),
    }),
  ),
  input_pinned_memory: one(pinnedBuffer),
  output_pinned_memory: one(pinnedBuffer),
  gather_kernel_buffer_threshold: one('uint32'),
  eager_batching: one('bool'),
});

const queuePolicy = message('ModelQueuePolicy', {
  timeout_action: one(enumOf('TimeoutAction', ['REJECT', 'DELAY'])),
  default_timeout_microseconds: one('uint64'),
  allow_timeout_override: one('bool'),
  max_queue_size: one('uint32'),
});

const dynamicBatching = message('ModelDynamicBatching', {
  preferred_batch_size: many('int32'),
  max_queue_delay_microseconds: one('uint64'),
  preserve_ordering: one('bool'),
  priority_levels: one('uint64'),
  default_priority_level: one('uint64'),
  default_queue_policy: one(queuePolicy),
  priority_queue_policy: map('uint64', queuePolicy),
});

const control = message('Control', {
  kind: one(enumOf('Kind', ['CONTROL_SEQUENCE_START', 'CONTROL_SEQUENCE_READY', 'CONTROL_SEQUENCE_END', 'CONTROL_SEQUENCE_CORRID'])),
  int32_false_true: many('int32'),
  fp32_false_true: many('float'),
  bool_false_true: many('bool'),
  data_type: one(DATA_TYPE_ENUM),
});

const sequenceState = message('State', {
  input_name: one('string'),
  output_name: one('string'),
  data_type: one(DATA_TYPE_ENUM),
  dims: many('int64'),
  initial_state: many(
    message('InitialState', {
      data_type: one(DATA_TYPE_ENUM),
      dims: many('int64'),
      zero_data: one('bool', 'state_data'),
      data_file: one('string', 'state_data'),
      name: one('string'),
    }),
  ),
  use_same_buffer_for_input_output: one('bool'),
  use_growable_memory: one('bool'),
});

const sequenceBatching = message('ModelSequenceBatching', {
  direct: one(
    message('StrategyDirect', { max_queue_delay_microseconds: one('uint64'), minimum_slot_utilization: one('float') }),
    'strategy_choice',
  ),
  oldest: one(
    message('StrategyOldest', {
      max_candidate_sequences: one('int32'),
      preferred_batch_size: many('int32'),
      max_queue_delay_microseconds: one('uint64'),
      preserve_ordering: one('bool'),
    }),
    'strategy_choice',
  ),
  max_sequence_idle_microseconds: one('uint64'),
  control_input: many(message('ControlInput', { name: one('string'), control: many(control) })),
  state: many(sequenceState),
  iterative_sequence: one('bool'),
});

const ensembling = message('ModelEnsembling', {
  step: many(
    message('Step', {
      model_name: one('string'),
      model_version: one('int64'),
      input_map: map('string', 'string'),
      output_map: map('string', 'string'),
      model_namespace: one('string'),
    }),
  ),
  max_inflight_responses: one('uint32'),
});

const warmup = message('ModelWarmup', {
  name: one('string'),
  batch_size: one('uint32'),
  inputs: map(
    'string',
    message('Input', {
      data_type: one(DATA_TYPE_ENUM),
      dims: many('int64'),
      zero_data: one('bool', 'input_data_type'),
      random_data: one('bool', 'input_data_type'),
      input_data_file: one('string', 'input_data_type'),
    }),
  ),
  count: one('uint32'),
});

const metrics = message('ModelMetrics', {
  metric_control: many(
    message('MetricControl', {
      metric_identifier: one(message('MetricIdentifier', { family: one('string') })),
      histogram_options: one(message('HistogramOptions', { buckets: many('double') }), 'metric_options'),
    }),
  ),
});

/** The root `ModelConfig` message. */
export const MODEL_CONFIG_SCHEMA: MessageSchema = message('ModelConfig', {
  name: one('string'),
  platform: one('string'),
  backend: one('string'),
  runtime: one('string'),
  version_policy: one(versionPolicy),
  max_batch_size: one('int32'),
  input: many(modelInput),
  output: many(modelOutput),
  batch_input: many(batchInput),
  batch_output: many(batchOutput),
  optimization: one(optimization),
  dynamic_batching: one(dynamicBatching, 'scheduling_choice'),
  sequence_batching: one(sequenceBatching, 'scheduling_choice'),
  ensemble_scheduling: one(ensembling, 'scheduling_choice'),
  instance_group: many(instanceGroup),
  default_model_filename: one('string'),
  cc_model_filenames: map('string', 'string'),
  metric_tags: map('string', 'string'),
  parameters: map('string', message('ModelParameter', { string_value: one('string') })),
  model_warmup: many(warmup),
  model_operations: one(message('ModelOperations', { op_library_filename: many('string') })),
  model_transaction_policy: one(message('ModelTransactionPolicy', { decoupled: one('bool') })),
  model_repository_agents: one(
    message('ModelRepositoryAgents', {
      agents: many(message('Agent', { name: one('string'), parameters: map('string', 'string') })),
    }),
  ),
  response_cache: one(message('ModelResponseCache', { enable: one('bool') })),
  model_metrics: one(metrics),
});

/** Sets `obj[key]` as an own data property, so keys such as `__proto__` from user text stay plain keys. */
export function setEntry(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
