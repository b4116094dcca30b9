/**
 * Completes an LLM's model config to the shape Triton gives LLM backends (vLLM, TensorRT-LLM):
 * a decoupled model with a `text_input` string, optional generation parameters, and a
 * `text_output` string. Fields the config already has are kept as written.
 */
import type { ModelConfig, ModelInput, ModelOutput } from '../../config/model-config.js';

const LLM_INPUTS: readonly ModelInput[] = [
  { name: 'text_input', data_type: 'TYPE_STRING', dims: [1] },
  { name: 'stream', data_type: 'TYPE_BOOL', dims: [1], optional: true },
  { name: 'sampling_parameters', data_type: 'TYPE_STRING', dims: [1], optional: true },
  { name: 'max_tokens', data_type: 'TYPE_INT32', dims: [1], optional: true },
  { name: 'temperature', data_type: 'TYPE_FP32', dims: [1], optional: true },
  { name: 'top_p', data_type: 'TYPE_FP32', dims: [1], optional: true },
  { name: 'top_k', data_type: 'TYPE_INT32', dims: [1], optional: true },
  { name: 'seed', data_type: 'TYPE_INT64', dims: [1], optional: true },
  { name: 'exclude_input_in_output', data_type: 'TYPE_BOOL', dims: [1], optional: true },
  { name: 'return_finish_reason', data_type: 'TYPE_BOOL', dims: [1], optional: true },
  { name: 'return_num_input_tokens', data_type: 'TYPE_BOOL', dims: [1], optional: true },
  { name: 'return_num_output_tokens', data_type: 'TYPE_BOOL', dims: [1], optional: true },
];

const LLM_OUTPUTS: readonly ModelOutput[] = [
  { name: 'text_output', data_type: 'TYPE_STRING', dims: [-1] },
  { name: 'finish_reason', data_type: 'TYPE_STRING', dims: [-1] },
  { name: 'num_input_tokens', data_type: 'TYPE_UINT32', dims: [1] },
  { name: 'num_output_tokens', data_type: 'TYPE_UINT32', dims: [1] },
];

/** `config` with the LLM inputs, outputs, decoupled policy and no Triton batching (the batcher batches). */
export function completeLlmConfig(config: ModelConfig): ModelConfig {
  return {
    ...config,
    backend: config.backend ?? 'llamacpp',
    max_batch_size: config.max_batch_size ?? 0,
    input: config.input && config.input.length > 0 ? config.input : LLM_INPUTS.map((i) => ({ ...i, dims: [...i.dims] })),
    output: config.output && config.output.length > 0 ? config.output : LLM_OUTPUTS.map((o) => ({ ...o, dims: [...o.dims] })),
    model_transaction_policy: { ...config.model_transaction_policy, decoupled: true },
  };
}
