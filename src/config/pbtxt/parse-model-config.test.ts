import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from './parse-model-config.js';
import { PbtxtError } from './pbtxt-error.js';

const fixture = (name: string) => readFileSync(new URL(`../testdata/${name}.pbtxt`, import.meta.url), 'utf8');

function errorOf(text: string, source = 'm/config.pbtxt'): PbtxtError {
  try {
    parseModelConfig(text, source);
  } catch (err) {
    expect(err).toBeInstanceOf(PbtxtError);
    return err as PbtxtError;
  }
  throw new Error('expected a parse error');
}

describe('parseModelConfig on real Triton configs', () => {
  it('reads `simple`', () => {
    expect(parseModelConfig(fixture('simple'))).toEqual({
      name: 'simple',
      platform: 'onnxruntime_onnx',
      max_batch_size: 8,
      input: [
        { name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] },
        { name: 'INPUT1', data_type: 'TYPE_INT32', dims: [16] },
      ],
      output: [
        { name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [16] },
        { name: 'OUTPUT1', data_type: 'TYPE_INT32', dims: [16] },
      ],
    });
  });

  it('reads sequence batching with the oldest strategy and all four controls', () => {
    const c = parseModelConfig(fixture('simple_dyna_sequence'));
    expect(c.sequence_batching).toEqual({
      max_sequence_idle_microseconds: 10_000_000,
      oldest: { max_candidate_sequences: 1024, max_queue_delay_microseconds: 10_000 },
      control_input: [
        { name: 'START', control: [{ kind: 'CONTROL_SEQUENCE_START', int32_false_true: [0, 1] }] },
        { name: 'END', control: [{ kind: 'CONTROL_SEQUENCE_END', int32_false_true: [0, 1] }] },
        { name: 'READY', control: [{ kind: 'CONTROL_SEQUENCE_READY', int32_false_true: [0, 1] }] },
        { name: 'CORRID', control: [{ kind: 'CONTROL_SEQUENCE_CORRID', data_type: 'TYPE_UINT64' }] },
      ],
    });
    expect(c.parameters).toEqual({ execute_delay_ms: { string_value: '3' } });
    expect(c.instance_group).toEqual([{ count: 2, kind: 'KIND_CPU' }]);
    expect(c.default_model_filename).toBe('libdyna_sequence.so');
  });

  it('reads implicit state with initial_state and fp32 controls', () => {
    const c = parseModelConfig(fixture('implicit_state'));
    expect(c.sequence_batching?.direct).toEqual({ max_queue_delay_microseconds: 100, minimum_slot_utilization: 0.5 });
    expect(c.sequence_batching?.control_input?.[0]?.control[0]?.fp32_false_true).toEqual([0, 1]);
    expect(c.sequence_batching?.state).toEqual([
      {
        input_name: 'INPUT_STATE',
        output_name: 'OUTPUT_STATE',
        data_type: 'TYPE_INT32',
        dims: [-1],
        initial_state: [{ data_type: 'TYPE_INT32', dims: [1], zero_data: true, name: 'initial state' }],
      },
    ]);
  });

  it('reads dynamic batching with priority queue policies keyed by level, and warmup maps', () => {
    const c = parseModelConfig(fixture('priority_batching'));
    expect(c.dynamic_batching).toEqual({
      preferred_batch_size: [8, 16],
      max_queue_delay_microseconds: 500,
      priority_levels: 2,
      default_priority_level: 2,
      default_queue_policy: {
        max_queue_size: 256,
        timeout_action: 'DELAY',
        default_timeout_microseconds: 20000,
        allow_timeout_override: true,
      },
      priority_queue_policy: {
        '1': { max_queue_size: 64, default_timeout_microseconds: 5000 },
        '2': { timeout_action: 'REJECT', allow_timeout_override: true, default_timeout_microseconds: 11_000_000 },
      },
    });
    expect(c.model_warmup).toEqual([
      { name: 'sample', batch_size: 1, inputs: { INPUT0: { data_type: 'TYPE_FP32', dims: [4], zero_data: true } } },
    ]);
  });

  it('reads an ensemble with input_map/output_map as objects', () => {
    const c = parseModelConfig(fixture('preprocess_resnet50_ensemble'));
    expect(c.platform).toBe('ensemble');
    expect(c.output?.[0]?.label_filename).toBe('resnet50_labels.txt');
    expect(c.ensemble_scheduling?.step).toEqual([
      {
        model_name: 'image_preprocess_nchw_3x224x224_inception',
        model_version: -1,
        input_map: { INPUT: 'INPUT' },
        output_map: { OUTPUT: 'preprocessed_image' },
      },
      {
        model_name: 'resnet50_netdef',
        model_version: -1,
        input_map: { 'gpu_0/data': 'preprocessed_image' },
        output_map: { 'gpu_0/softmax': 'OUTPUT' },
      },
    ]);
  });
});

describe('parseModelConfig value rules', () => {
  it('gives name "" when absent and keeps only fields that are set', () => {
    expect(parseModelConfig('')).toEqual({ name: '' });
    expect(parseModelConfig('backend: "identity"')).toEqual({ name: '', backend: 'identity' });
  });

  it('accepts every boolean spelling and 0/1', () => {
    const c = parseModelConfig(
      'input [{ optional: true }, { optional: True }, { optional: t }, { optional: 1 }, { optional: false }, { optional: False }, { optional: f }, { optional: 0 }]',
    );
    expect(c.input?.map((i) => i.optional)).toEqual([true, true, true, true, false, false, false, false]);
    expect(errorOf('input { optional: yes }').reason).toMatch(/expected bool/);
    expect(errorOf('input { optional: 2 }').reason).toMatch(/expected bool/);
  });

  it('reads hex, octal and signed integers, and range-checks them', () => {
    expect(parseModelConfig('max_batch_size: 0x10').max_batch_size).toBe(16);
    expect(parseModelConfig('max_batch_size: 010').max_batch_size).toBe(8);
    expect(parseModelConfig('input { dims: [ -1, - 3 ] }').input?.[0]?.dims).toEqual([-1, -3]);
    expect(parseModelConfig('version_policy { specific { versions: 9007199254740991 } }').version_policy).toEqual({
      specific: { versions: [Number.MAX_SAFE_INTEGER] },
    });
    expect(errorOf('max_batch_size: 2147483648').message).toBe(
      "m/config.pbtxt:1:17: field 'max_batch_size' in ModelConfig: value 2147483648 is out of range for int32",
    );
    expect(errorOf('input { dims: 9007199254740992 }').message).toMatch(/1:15: .*int64 value 9007199254740992 is beyond ±2\^53-1/);
    expect(errorOf('dynamic_batching { max_queue_delay_microseconds: -1 }').reason).toMatch(/out of range for uint64/);
    expect(errorOf('max_batch_size: 09').reason).toMatch(/expected int32/);
    expect(errorOf('max_batch_size: 1e3').reason).toMatch(/expected int32/);
    expect(errorOf('max_batch_size: "8"').reason).toMatch(/expected int32/);
  });

  it('reads floats with exponents, suffixes, inf and nan', () => {
    const c = parseModelConfig(
      'model_metrics { metric_control { metric_identifier { family: "x" } histogram_options { buckets: [ -5.0, -2, 0, 3.5e0, .5, 1f, inf, -Infinity, nan, 0x10 ] } } }',
    );
    const buckets = (c as unknown as { model_metrics: { metric_control: { histogram_options: { buckets: number[] } }[] } })
      .model_metrics.metric_control[0]!.histogram_options.buckets;
    expect(buckets).toEqual([-5, -2, 0, 3.5, 0.5, 1, Infinity, -Infinity, NaN, 16]);
    expect(errorOf('sequence_batching { direct { minimum_slot_utilization: high } }').reason).toMatch(/expected float/);
  });

  it('reads enums by name or number and rejects unknown names', () => {
    expect(parseModelConfig('input { data_type: 11 format: FORMAT_NCHW }').input?.[0]).toEqual({
      data_type: 'TYPE_FP32',
      format: 'FORMAT_NCHW',
    });
    const err = errorOf('input {\n  data_type: TYPE_FLOAT\n}');
    expect(err.message).toMatch(/^m\/config\.pbtxt:2:14: invalid value 'TYPE_FLOAT' for field 'data_type' in ModelInput: expected one of TYPE_INVALID, /);
    expect(errorOf('input { data_type: 99 }').reason).toMatch(/invalid value '99'/);
    expect(errorOf('input { data_type: "TYPE_FP32" }').reason).toMatch(/invalid value a string/);
  });

  it('names the unknown field and its message, with line:column', () => {
    expect(errorOf('input {\n  name: "a"\n  foo: 1\n}').message).toBe("m/config.pbtxt:3:3: unknown field 'foo' in ModelInput");
    expect(errorOf('bogus: 1', 'x.pbtxt').message).toBe("x.pbtxt:1:1: unknown field 'bogus' in ModelConfig");
    expect(() => parseModelConfig('bogus: 1')).toThrow(/^1:1: unknown field 'bogus' in ModelConfig$/);
    expect(errorOf('dynamic_batching { priority_queue_policy { default_priority_level: 1 } }').reason).toMatch(
      /unknown field 'default_priority_level' in map entry of field 'priority_queue_policy'/,
    );
  });

  it('rejects repeated singular fields, lists for singular fields and oneof conflicts', () => {
    expect(errorOf('name: "a"\nname: "b"').message).toBe("m/config.pbtxt:2:1: field 'name' in ModelConfig is specified more than once");
    expect(errorOf('max_batch_size: [1]').reason).toMatch(/is not repeated and cannot take a list/);
    expect(errorOf('version_policy { latest {} all {} }').reason).toMatch(/conflicts with 'latest': both belong to oneof 'policy_choice'/);
    expect(errorOf('dynamic_batching {}\nensemble_scheduling {}').message).toMatch(/2:1: field 'ensemble_scheduling' .* oneof 'scheduling_choice'/);
  });

  it('checks message versus scalar shapes', () => {
    expect(errorOf('input: 1').reason).toMatch(/field 'input' in ModelConfig expects a message/);
    expect(errorOf('name { }').reason).toMatch(/expects a scalar value, not a message/);
    expect(errorOf('parameters: "x"').reason).toMatch(/is a map/);
  });

  it('reads every map form: repeated entries, lists of entries, scalar values, missing parts, later keys winning', () => {
    const c = parseModelConfig(`
      parameters { key: "a" value { string_value: "1" } }
      parameters [ { key: "b" value: { string_value: "2" } }, { key: "a" value { string_value: "3" } } ]
      parameters { key: "empty" }
      cc_model_filenames { key: "7.5" value: "model_75.plan" }
      metric_tags { key: "team" value: "search" }
      metric_tags { value: "no key" }
    `);
    expect(c.parameters).toEqual({ a: { string_value: '3' }, b: { string_value: '2' }, empty: {} });
    expect(c.cc_model_filenames).toEqual({ '7.5': 'model_75.plan' });
    expect(c.metric_tags).toEqual({ team: 'search', '': 'no key' });
    expect(errorOf('metric_tags { key: "a" key: "b" }').reason).toMatch(/specified more than once/);
    expect(errorOf('metric_tags { key: ["a"] }').reason).toMatch(/takes a single value/);
    expect(errorOf('dynamic_batching { priority_queue_policy { key: "1" value {} } }').reason).toMatch(/expected uint64/);
  });

  it('collects repeated scalars from repeated keys and lists alike', () => {
    expect(parseModelConfig('input { dims: 1 dims: [2, 3] dims: 4 }').input?.[0]?.dims).toEqual([1, 2, 3, 4]);
    expect(parseModelConfig('input { dims: [] }').input?.[0]?.dims).toEqual([]);
  });

  it('decodes strings as UTF-8 and rejects invalid UTF-8', () => {
    expect(parseModelConfig('name: "caf\\303\\251"').name).toBe('café');
    expect(errorOf('name: "\\xff"').reason).toMatch(/not valid UTF-8/);
  });

  it('reads fields added in recent Triton releases', () => {
    const c = parseModelConfig(`
      runtime: "model.py"
      instance_group { kind: KIND_GPU gpus: [0] secondary_devices { kind: KIND_NVDLA device_id: 1 } host_policy: "gpu_0" passive: false }
      ensemble_scheduling { max_inflight_responses: 4 }
      model_repository_agents { agents { name: "checksum" parameters { key: "MD5:1/model.onnx" value: "abc" } } }
      response_cache { enable: true }
      model_transaction_policy { decoupled: True }
      optimization { cuda { graphs: true graph_spec { batch_size: 4 input { key: "x" value { dim: [1, 2] } } } } }
    `);
    expect(c.instance_group?.[0]).toMatchObject({ secondary_devices: [{ kind: 'KIND_NVDLA', device_id: 1 }], host_policy: 'gpu_0' });
    expect(c.model_repository_agents).toEqual({ agents: [{ name: 'checksum', parameters: { 'MD5:1/model.onnx': 'abc' } }] });
    expect(c.model_transaction_policy).toEqual({ decoupled: true });
    expect(c.optimization).toEqual({ cuda: { graphs: true, graph_spec: [{ batch_size: 4, input: { x: { dim: [1, 2] } } }] } });
  });
});
