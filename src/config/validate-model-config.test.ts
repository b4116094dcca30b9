import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InferError } from '../core/errors.js';
import type { ModelConfig } from './model-config.js';
import { normalizeModelConfig } from './normalize-model-config.js';
import { parseModelConfig } from './pbtxt/parse-model-config.js';
import { validateModelConfig, type ValidateOptions } from './validate-model-config.js';

const FIXTURES = ['simple', 'simple_dyna_sequence', 'implicit_state', 'priority_batching', 'preprocess_resnet50_ensemble'];

function normalized(text: string, name = 'm'): ModelConfig {
  return normalizeModelConfig(parseModelConfig(text), { modelName: name });
}
const fixture = (name: string) => normalized(readFileSync(new URL(`./testdata/${name}.pbtxt`, import.meta.url), 'utf8'), name);

function rejects(config: ModelConfig, message: RegExp, opts?: ValidateOptions): void {
  try {
    validateModelConfig(config, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(InferError);
    expect((err as InferError).code).toBe('INVALID_ARGUMENT');
    expect((err as InferError).message).toMatch(message);
    return;
  }
  throw new Error(`expected validation to fail with ${message}`);
}

const base = `name: "m" backend: "identity" max_batch_size: 8
  input [ { name: "I0", data_type: TYPE_FP32, dims: [ -1 ] } ]
  output [ { name: "O0", data_type: TYPE_FP32, dims: [ -1 ] } ]`;
const withBase = (extra: string) => normalized(`${base}\n${extra}`);

describe('validateModelConfig', () => {
  it.each(FIXTURES.filter((f) => f !== 'simple_dyna_sequence'))('accepts the normalized real config %s', (name) => {
    expect(() => validateModelConfig(fixture(name))).not.toThrow();
  });

  it("rejects the legacy platform \"custom\" as current Triton does, and accepts the config with a backend", () => {
    const legacy = fixture('simple_dyna_sequence');
    rejects(legacy, /unexpected platform type 'custom' for simple_dyna_sequence/);
    expect(() => validateModelConfig({ ...legacy, platform: '', backend: 'dyna_sequence' })).not.toThrow();
  });

  describe('model level', () => {
    it.each([
      [{ name: '' }, /must specify 'name'/],
      [{ backend: '', platform: '' }, /must specify 'platform' or 'backend' for 'm'/],
      [{ backend: '', platform: 'caffe2_netdef' }, /unexpected platform type 'caffe2_netdef' for m/],
      [{ backend: 'identity', platform: 'ensemble' }, /Ensemble model 'm' must have platform type 'ensemble' and empty backend type/],
      [{ backend: 'onnxruntime', platform: 'tensorrt_plan' }, /unexpected 'platform' and 'backend' pair, got:tensorrt_plan, onnxruntime/],
      [{ max_batch_size: -1 }, /'max_batch_size' must be non-negative value for m/],
      [{ version_policy: { latest: { num_versions: 1 }, all: {} } }, /exactly one of 'latest', 'all' or 'specific'/],
      [{ version_policy: {} }, /exactly one of/],
      [{ dynamic_batching: {}, sequence_batching: {} }, /only one of 'dynamic_batching', 'sequence_batching'/],
      [{ model_transaction_policy: { decoupled: true }, response_cache: { enable: true } }, /Response Cache does not currently support .* 'decoupled'/],
    ] as [Partial<ModelConfig>, RegExp][])('rejects %j', (patch, message) => {
      rejects({ ...withBase(''), ...patch }, message);
    });
  });

  describe('inputs and outputs', () => {
    it.each([
      ['input [ { name: "I0", data_type: TYPE_FP32, dims: [ 1 ] } ]', /duplicate input name 'I0' for m/],
      ['output [ { name: "O0", data_type: TYPE_FP32, dims: [ 1 ] } ]', /duplicate output name 'O0' for m/],
      ['input [ { name: "X", data_type: TYPE_FP32, dims: [ 0 ] } ]', /model input 'X' dimension must be integer >= 1, or -1 .* for m/],
      ['input [ { name: "X", data_type: TYPE_FP32, dims: [ -2 ] } ]', /dimension must be integer >= 1/],
      ['input [ { name: "X", data_type: TYPE_FP32 } ]', /model input 'X' must specify 'dims'/],
      ['input [ { name: "X", dims: [ 1 ] } ]', /model input 'X' must specify 'data_type'/],
      ['output [ { data_type: TYPE_FP32, dims: [ 1 ] } ]', /model output must specify 'name'/],
      ['input [ { name: "X", data_type: TYPE_FP32, dims: [ 2, 3 ], reshape { shape: [ 5 ] } } ]', /has different size for dims and reshape/],
      ['input [ { name: "X", data_type: TYPE_FP32, dims: [ 2, -1 ], reshape { shape: [ 3, -1 ] } } ]', /has different size for dims and reshape/],
      ['input [ { name: "X", data_type: TYPE_FP32, dims: [ -1, -1 ], reshape { shape: [ -1 ] } } ]', /different number of variable-size dimensions/],
      ['input [ { name: "X", data_type: TYPE_FP32, dims: [ 4 ], reshape { shape: [ 0, 4 ] } } ]', /reshape dimensions must be integer >= 1/],
      ['input [ { name: "X", data_type: TYPE_FP32, dims: [ 4 ], format: FORMAT_NCHW } ]', /NHWC\/NCHW require 3 dims/],
      ['input [ { name: "X", data_type: TYPE_INT32, dims: [ 2 ], is_shape_tensor: true } ]', /shape tensors are only supported for TensorRT/],
      ['output [ { name: "Y", data_type: TYPE_FP32, dims: [ 2 ], is_non_linear_format_io: true } ]', /Non-linear IO format is only supported/],
      ['batch_input [ { kind: BATCH_ELEMENT_COUNT, target_name: "C", data_type: TYPE_INT32, source_input: [ "I0", "I0" ] } ]', /expects 1 source input, got 2/],
      ['batch_input [ { target_name: "C", data_type: TYPE_INT64, source_input: "I0" } ]', /batch input data type must be TYPE_INT32 or TYPE_FP32/],
      ['batch_input [ { target_name: "C", data_type: TYPE_INT32, source_input: "NOPE" } ]', /unknown source input name 'NOPE'/],
      ['batch_output [ { target_name: [ "O0", "O0" ], source_input: "I0" } ]', /target output name 'O0' can only be specified once/],
      ['batch_output [ { target_name: "ZZ", source_input: "I0" } ]', /unknown target output name 'ZZ'/],
    ])('rejects %s', (extra, message) => {
      rejects(withBase(extra), message);
    });

    it('accepts reshapes Triton accepts', () => {
      for (const io of [
        'dims: [ 1 ] reshape { shape: [ ] }',
        'dims: [ 2, 4, -1, 6 ] reshape { shape: [ 8, -1, 1, 6 ] }',
        'dims: [ 2, 3 ] reshape { shape: [ 6 ] }',
        'dims: [ 3, 4, 5 ] format: FORMAT_NHWC',
      ]) {
        expect(() => validateModelConfig(withBase(`input [ { name: "X", data_type: TYPE_FP32, ${io} } ]`))).not.toThrow();
      }
      expect(() =>
        validateModelConfig(normalized('name: "t" platform: "tensorrt_plan" input [{ name: "S" data_type: TYPE_INT32 dims: [2] is_shape_tensor: true }]')),
      ).not.toThrow();
      rejects(normalized('name: "m" backend: "identity" input [{ name: "X" data_type: TYPE_FP32 dims: [1] reshape { } }]'), /cannot have empty reshape for non-batching model/);
    });
  });

  describe('dynamic batching', () => {
    it.each([
      ['dynamic_batching { preferred_batch_size: [ 4, 16 ] }', /dynamic batching preferred size must be <= max batch size for m/],
      ['dynamic_batching { preferred_batch_size: [ 0 ] }', /dynamic batching preferred size must be positive/],
      ['dynamic_batching { priority_levels: 2 }', /default priority level must be in range \[1, 2\] for m/],
      ['dynamic_batching { priority_levels: 2 default_priority_level: 3 }', /default priority level must be in range \[1, 2\]/],
      [
        'dynamic_batching { priority_levels: 2 default_priority_level: 1 priority_queue_policy { key: 3 value { } } }',
        /priority queue policy must have priority level in range \[1, 2\]/,
      ],
      [
        'dynamic_batching { priority_levels: 2 default_priority_level: 1 priority_queue_policy { key: 0 value { } } }',
        /priority queue policy must have priority level in range/,
      ],
      ['dynamic_batching { preserve_ordering: true priority_levels: 2 default_priority_level: 1 }', /Only one priority level is allowed when 'preserve_ordering'/],
      [
        'dynamic_batching { preserve_ordering: true default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 5 } }',
        /can not have DELAY as timeout action when 'preserve_ordering'/,
      ],
    ])('rejects %s', (extra, message) => {
      rejects(withBase(extra), message);
    });

    it('rejects preferred sizes when the model does not batch, as Triton does', () => {
      rejects(normalized('name: "m" backend: "identity" dynamic_batching { preferred_batch_size: 1 }'), /must be <= max batch size/);
      expect(() => validateModelConfig(normalized('name: "m" backend: "identity" dynamic_batching { }'))).not.toThrow();
    });
  });

  describe('sequence batching', () => {
    const control = (body: string) => `sequence_batching { control_input [ ${body} ] }`;
    it.each([
      [control('{ control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [0, 1] } ] }'), /control tensor must have a name for m/],
      [
        control('{ name: "S" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [0, 1] } ] }, { name: "S" control [ { kind: CONTROL_SEQUENCE_END int32_false_true: [0, 1] } ] }'),
        /control tensor 'S' is specified for multiple control kinds/,
      ],
      [
        control('{ name: "A" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [0, 1] } ] }, { name: "B" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [0, 1] } ] }'),
        /specifies multiple CONTROL_SEQUENCE_START tensors/,
      ],
      [control('{ name: "S" control [ { kind: CONTROL_SEQUENCE_END } ] }'), /must specify either 'int32_false_true', 'fp32_false_true' or 'bool_false_true' for CONTROL_SEQUENCE_END/],
      [control('{ name: "S" control [ { kind: CONTROL_SEQUENCE_READY int32_false_true: [0, 1] fp32_false_true: [0, 1] } ] }'), /specifies more than one from/],
      [control('{ name: "S" control [ { kind: CONTROL_SEQUENCE_START bool_false_true: [ true ] } ] }'), /'bool_false_true' must have exactly 2 entries/],
      [control('{ name: "C" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_FP32 } ] }'), /unexpected data type for control CONTROL_SEQUENCE_CORRID/],
      [control('{ name: "C" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 int32_false_true: [0, 1] } ] }'), /must not specify either/],
      ['sequence_batching { oldest { preferred_batch_size: [ 9 ] } }', /sequence batching preferred batch size must be <= max batch size/],
      ['sequence_batching { direct { minimum_slot_utilization: 1.5 } }', /minimum slot utilization must be in range/],
      ['sequence_batching { state [ { input_name: "S" data_type: TYPE_INT32 dims: [1] } ] }', /state must specify 'input_name' and 'output_name'/],
      ['sequence_batching { } response_cache { enable: true }', /Response Cache does not currently support model m with sequence batching/],
    ])('rejects %s', (extra, message) => {
      rejects(withBase(extra), message);
    });
  });

  describe('ensembles', () => {
    const ensemble = (steps: string, io = 'input [{ name: "IN" data_type: TYPE_FP32 dims: [1] }] output [{ name: "OUT" data_type: TYPE_FP32 dims: [1] }]') =>
      normalized(`name: "e" platform: "ensemble" ${io} ensemble_scheduling { step [ ${steps} ] }`, 'e');
    const step = (model: string, inMap: string, outMap: string) =>
      `{ model_name: "${model}" model_version: -1 input_map { key: "x" value: "${inMap}" } output_map { key: "y" value: "${outMap}" } }`;

    it('accepts a two-step chain', () => {
      expect(() => validateModelConfig(ensemble(`${step('a', 'IN', 'mid')}, ${step('b', 'mid', 'OUT')}`))).not.toThrow();
    });

    it.each([
      [() => ensemble(''), /must specify 'step' for ensemble 'e'/],
      [() => ensemble('{ model_name: "a" output_map { key: "y" value: "OUT" } }'), /must specify 'input_map' in step 0 of ensemble 'e'/],
      [() => ensemble('{ input_map { key: "x" value: "IN" } output_map { key: "y" value: "OUT" } }'), /must specify 'model_name' in step 0/],
      [() => ensemble(`${step('a', 'IN', 'OUT')}, ${step('b', 'IN', 'OUT')}`), /ensemble tensor 'OUT' can appear in an output map only once/],
      [() => ensemble(step('a', 'OTHER', 'OUT')), /ensemble input 'IN' for ensemble 'e' is not used/],
      [() => ensemble(step('a', 'IN', 'mid')), /ensemble output 'OUT' for ensemble 'e' is not used/],
      [() => ensemble(`${step('a', 'IN', 'mid')}, ${step('b', 'ghost', 'OUT')}`), /output 'OUT' for ensemble 'e' is not written: at least one of its depending tensors, 'ghost', is not connected/],
      [() => ensemble(`${step('a', 'IN', 'OUT')}, ${step('b', 'IN', 'spare')}`), /ensemble tensor 'spare' is unused in ensemble 'e'/],
      [() => ({ ...ensemble(step('a', 'IN', 'OUT')), instance_group: [{ count: 1 }] }), /instance group should not be specified for ensemble 'e'/],
      [() => ({ ...ensemble(step('a', 'IN', 'OUT')), optimization: {} }), /optimization should not be specified/],
      [() => ({ ...ensemble(step('a', 'IN', 'OUT')), model_warmup: [{ name: 'w', inputs: {} }] }), /model_warmup can not be specified/],
      [() => normalized('name: "e" platform: "ensemble"', 'e'), /ensemble scheduling must be set for ensemble e/],
      [() => ({ ...withBase(''), ensemble_scheduling: { step: [] } }), /ensemble scheduling cannot be set for model 'm' whose platform is not ensemble/],
    ] as [() => ModelConfig, RegExp][])('rejects case %#', (make, message) => {
      rejects(make(), message);
    });
  });

  describe('instance groups', () => {
    it.each([
      ['instance_group [ { kind: KIND_CPU gpus: [ 0 ] } ]', /instance group m_0 of model m has kind KIND_CPU but specifies one or more GPUs/, {}],
      ['instance_group [ { kind: KIND_MODEL gpus: [ 0 ] } ]', /has kind KIND_MODEL but specifies one or more GPUs/, {}],
      ['instance_group [ { kind: KIND_GPU } ]', /has kind KIND_GPU but no GPUs are available/, { gpuCount: 0 }],
      ['instance_group [ { kind: KIND_GPU gpus: [ 5 ] } ]', /specifies invalid or unsupported gpu id 5/, { gpuCount: 2 }],
      ['instance_group [ { kind: KIND_CPU profile: "0" } ]', /specifies profile field which is only supported for TensorRT models/, {}],
      ['instance_group [ { name: "g" kind: KIND_CPU }, { name: "g" kind: KIND_CPU } ]', /instance group name 'g' is used more than once/, {}],
    ] as [string, RegExp, ValidateOptions][])('rejects %s', (extra, message, opts) => {
      rejects(withBase(extra), message, opts);
    });

    it('accepts GPU groups on present GPUs and TensorRT profiles', () => {
      const gpu = normalizeModelConfig(parseModelConfig(`${base} instance_group [ { kind: KIND_GPU } ]`), { modelName: 'm', gpuCount: 2 });
      expect(() => validateModelConfig(gpu, { gpuCount: 2 })).not.toThrow();
      const trt = normalized('name: "t" platform: "tensorrt_plan" instance_group [ { kind: KIND_CPU profile: [ "0", "1" ] } ]');
      expect(() => validateModelConfig(trt)).not.toThrow();
      rejects({ ...trt, instance_group: [{ name: 'x', kind: 'KIND_CPU', profile: ['fast'] }] }, /specifies invalid profile fast/);
    });
  });

  it('checks model_metrics completeness', () => {
    rejects(withBase('model_metrics { metric_control { } }'), /metric control must specify 'metric_identifier'/);
    rejects(withBase('model_metrics { metric_control { metric_identifier { } } }'), /non-empty 'family'/);
    rejects(withBase('model_metrics { metric_control { metric_identifier { family: "f" } } }'), /must specify 'histogram_options'/);
    rejects(withBase('model_metrics { metric_control { metric_identifier { family: "f" } histogram_options { } } }'), /non-empty 'buckets'/);
  });
});
