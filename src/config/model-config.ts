/**
 * Triton's `ModelConfig` (model_config.proto) as TypeScript types. Field names are Triton's own
 * snake_case names so a parsed `config.pbtxt` and the `/config` JSON share one shape; 64-bit
 * integers are plain numbers (Triton's JSON prints them as numbers too).
 */

/** Triton's `DataType` enum names (`TYPE_FP32`, ...). */
export type ConfigDataType =
  | 'TYPE_INVALID'
  | 'TYPE_BOOL'
  | 'TYPE_UINT8'
  | 'TYPE_UINT16'
  | 'TYPE_UINT32'
  | 'TYPE_UINT64'
  | 'TYPE_INT8'
  | 'TYPE_INT16'
  | 'TYPE_INT32'
  | 'TYPE_INT64'
  | 'TYPE_FP16'
  | 'TYPE_FP32'
  | 'TYPE_FP64'
  | 'TYPE_STRING'
  | 'TYPE_BF16';

/** `version_policy`: exactly one of the three policies is set. */
export interface VersionPolicy {
  latest?: { num_versions: number };
  all?: Record<string, never>;
  specific?: { versions: number[] };
}

/** `ModelTensorReshape`. */
export interface TensorReshape {
  shape: number[];
}

/** `ModelInput`. */
export interface ModelInput {
  name: string;
  data_type: ConfigDataType;
  format?: 'FORMAT_NONE' | 'FORMAT_NHWC' | 'FORMAT_NCHW';
  dims: number[];
  reshape?: TensorReshape;
  is_shape_tensor?: boolean;
  is_non_linear_format_io?: boolean;
  allow_ragged_batch?: boolean;
  optional?: boolean;
}

/** `ModelOutput`. */
export interface ModelOutput {
  name: string;
  data_type: ConfigDataType;
  dims: number[];
  reshape?: TensorReshape;
  label_filename?: string;
  is_shape_tensor?: boolean;
  is_non_linear_format_io?: boolean;
}

/** `ModelRateLimiter` of an instance group. */
export interface RateLimiter {
  resources: { name: string; global?: boolean; count: number }[];
  priority?: number;
}

/** `ModelInstanceGroup`. */
export interface InstanceGroup {
  name?: string;
  kind?: 'KIND_AUTO' | 'KIND_GPU' | 'KIND_CPU' | 'KIND_MODEL';
  count?: number;
  gpus?: number[];
  rate_limiter?: RateLimiter;
  profile?: string[];
  passive?: boolean;
  host_policy?: string;
}

/** `ModelQueuePolicy`. */
export interface QueuePolicy {
  timeout_action?: 'REJECT' | 'DELAY';
  default_timeout_microseconds?: number;
  allow_timeout_override?: boolean;
  max_queue_size?: number;
}

/** `ModelDynamicBatching`. */
export interface DynamicBatching {
  preferred_batch_size?: number[];
  max_queue_delay_microseconds?: number;
  preserve_ordering?: boolean;
  priority_levels?: number;
  default_priority_level?: number;
  default_queue_policy?: QueuePolicy;
  /** Keyed by priority level (1-based), as in Triton's map<uint64, ModelQueuePolicy>. */
  priority_queue_policy?: Record<string, QueuePolicy>;
}

/** `ModelSequenceBatching.Control`. */
export interface SequenceControl {
  kind:
    | 'CONTROL_SEQUENCE_START'
    | 'CONTROL_SEQUENCE_READY'
    | 'CONTROL_SEQUENCE_END'
    | 'CONTROL_SEQUENCE_CORRID';
  int32_false_true?: number[];
  fp32_false_true?: number[];
  bool_false_true?: boolean[];
  data_type?: ConfigDataType;
}

/** `ModelSequenceBatching.State.InitialState`. */
export interface InitialState {
  data_type: ConfigDataType;
  dims: number[];
  zero_data?: boolean;
  data_file?: string;
  name: string;
}

/** `ModelSequenceBatching.State`. */
export interface SequenceState {
  input_name: string;
  output_name: string;
  data_type: ConfigDataType;
  dims: number[];
  initial_state?: InitialState[];
  use_same_buffer_for_input_output?: boolean;
  use_growable_memory?: boolean;
}

/** `ModelSequenceBatching`. */
export interface SequenceBatching {
  direct?: { max_queue_delay_microseconds?: number; minimum_slot_utilization?: number };
  oldest?: {
    max_candidate_sequences?: number;
    preferred_batch_size?: number[];
    max_queue_delay_microseconds?: number;
    preserve_ordering?: boolean;
  };
  max_sequence_idle_microseconds?: number;
  control_input?: { name: string; control: SequenceControl[] }[];
  state?: SequenceState[];
  iterative_sequence?: boolean;
}

/** `ModelEnsembling.Step`. */
export interface EnsembleStep {
  model_name: string;
  model_version: number;
  input_map: Record<string, string>;
  output_map: Record<string, string>;
  model_namespace?: string;
}

/** `ModelEnsembling`. */
export interface EnsembleScheduling {
  step: EnsembleStep[];
}

/** `ModelParameter`. */
export interface ModelParameter {
  string_value: string;
}

/** `ModelWarmup`. */
export interface ModelWarmup {
  name: string;
  batch_size?: number;
  inputs: Record<
    string,
    { data_type: ConfigDataType; dims: number[]; zero_data?: boolean; random_data?: boolean; input_data_file?: string }
  >;
  count?: number;
}

/** Triton's `ModelConfig`. Optional fields are filled with Triton's defaults by normalization. */
export interface ModelConfig {
  name: string;
  platform?: string;
  backend?: string;
  runtime?: string;
  version_policy?: VersionPolicy;
  max_batch_size?: number;
  input?: ModelInput[];
  output?: ModelOutput[];
  batch_input?: unknown[];
  batch_output?: unknown[];
  optimization?: Record<string, unknown>;
  dynamic_batching?: DynamicBatching;
  sequence_batching?: SequenceBatching;
  ensemble_scheduling?: EnsembleScheduling;
  instance_group?: InstanceGroup[];
  default_model_filename?: string;
  cc_model_filenames?: Record<string, string>;
  metric_tags?: Record<string, string>;
  parameters?: Record<string, ModelParameter>;
  model_warmup?: ModelWarmup[];
  model_operations?: Record<string, unknown>;
  model_transaction_policy?: { decoupled?: boolean };
  model_repository_agents?: Record<string, unknown>;
  response_cache?: { enable?: boolean };
}
