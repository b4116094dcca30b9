import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InferError } from '../core/errors.js';
import { modelConfigFromJson, modelConfigFromJsonText } from './model-config-json.js';
import { normalizeModelConfig } from './normalize-model-config.js';
import { parseModelConfig } from './pbtxt/parse-model-config.js';

/** Triton 24.x `GET /v2/models/densenet_onnx/config`, verbatim. */
const DENSENET_CONFIG_JSON =
  '{"name":"densenet_onnx","platform":"onnxruntime_onnx","backend":"onnxruntime","runtime":"","version_policy":{"latest":{"num_versions":1}},"max_batch_size":0,"input":[{"name":"data_0","data_type":"TYPE_FP32","format":"FORMAT_NONE","dims":[1,3,224,224],"is_shape_tensor":false,"allow_ragged_batch":false,"optional":false,"is_non_linear_format_io":false}],"output":[{"name":"fc6_1","data_type":"TYPE_FP32","dims":[1,1000,1,1],"label_filename":"","is_shape_tensor":false,"is_non_linear_format_io":false}],"batch_input":[],"batch_output":[],"optimization":{"priority":"PRIORITY_DEFAULT","input_pinned_memory":{"enable":true},"output_pinned_memory":{"enable":true},"gather_kernel_buffer_threshold":0,"eager_batching":false},"instance_group":[{"name":"densenet_onnx","kind":"KIND_CPU","count":2,"gpus":[],"secondary_devices":[],"profile":[],"passive":false,"host_policy":""}],"default_model_filename":"model.onnx","cc_model_filenames":{},"metric_tags":{},"parameters":{},"model_warmup":[]}';

function errorOf(value: unknown): InferError {
  try {
    modelConfigFromJson(value, 'load');
  } catch (err) {
    expect(err).toBeInstanceOf(InferError);
    expect((err as InferError).code).toBe('INVALID_ARGUMENT');
    return err as InferError;
  }
  throw new Error('expected an error');
}

describe('modelConfigFromJson', () => {
  it("reads Triton's own /config output", () => {
    const c = modelConfigFromJsonText(DENSENET_CONFIG_JSON);
    expect(c.instance_group?.[0]).toMatchObject({ kind: 'KIND_CPU', count: 2, gpus: [] });
    expect(JSON.stringify(c)).toBe(DENSENET_CONFIG_JSON);
  });

  it('reads back the normalized form of every real fixture', () => {
    const dir = new URL('./testdata/', import.meta.url);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.pbtxt'))) {
      const normalized = normalizeModelConfig(parseModelConfig(readFileSync(new URL(f, dir), 'utf8')), { modelName: 'm' });
      expect(modelConfigFromJson(JSON.parse(JSON.stringify(normalized)))).toEqual(normalized);
    }
  });

  it('accepts lowerCamelCase keys, int64 as decimal strings, enums by number or any case, null as unset', () => {
    const c = modelConfigFromJson({
      name: 'm',
      maxBatchSize: '8',
      input: [{ name: 'a', dataType: 11, dims: ['-1', 16], allowRaggedBatch: true, reshape: null }],
      dynamicBatching: {
        maxQueueDelayMicroseconds: '100',
        priorityQueuePolicy: { '1': { timeoutAction: 'delay', defaultTimeoutMicroseconds: 5 } },
      },
      sequence_batching: null,
      metric_tags: JSON.parse('{"__proto__":"x"}'),
    });
    expect(c).toEqual({
      name: 'm',
      max_batch_size: 8,
      input: [{ name: 'a', data_type: 'TYPE_FP32', dims: [-1, 16], allow_ragged_batch: true }],
      dynamic_batching: {
        max_queue_delay_microseconds: 100,
        priority_queue_policy: { '1': { timeout_action: 'DELAY', default_timeout_microseconds: 5 } },
      },
      metric_tags: JSON.parse('{"__proto__":"x"}'),
    });
    expect(Object.getPrototypeOf(c.metric_tags)).toBe(Object.prototype);
    expect(Object.keys(c.metric_tags ?? {})).toEqual(['__proto__']);
  });

  it('reads floats given as numbers or protobuf JSON strings', () => {
    const c = modelConfigFromJson({
      name: 'm',
      sequence_batching: {
        control_input: [{ name: 'S', control: [{ kind: 'CONTROL_SEQUENCE_START', fp32FalseTrue: [0, '1.5', 'NaN', 'Infinity', '-Infinity'] }] }],
      },
    });
    expect(c.sequence_batching?.control_input?.[0]?.control[0]?.fp32_false_true).toEqual([0, 1.5, NaN, Infinity, -Infinity]);
    expect(errorOf({ sequence_batching: { direct: { minimum_slot_utilization: 'half' } } }).message).toMatch(/expected a number \(float\)/);
  });

  it('names the JSON path of unknown fields and wrong types', () => {
    expect(errorOf({ name: 'm', input: [{ name: 'a' }, { name: 'b', foo: 1 }] }).message).toBe(
      "load: config.input[1].foo: unknown field 'foo' in ModelInput",
    );
    expect(errorOf({ name: 3 }).message).toBe('load: config.name: expected a string');
    expect(errorOf({ input: {} }).message).toMatch(/config\.input: expected a JSON array/);
    expect(errorOf({ input: [{ data_type: 'TYPE_FLOAT' }] }).message).toMatch(/config\.input\[0\]\.data_type: invalid value "TYPE_FLOAT"/);
    expect(errorOf({ input: [{ optional: 'true' }] }).message).toMatch(/expected true or false/);
    expect(errorOf([]).message).toMatch(/config: expected a JSON object for ModelConfig/);
    expect(() => modelConfigFromJson({ bogus: 1 })).toThrow(/^config\.bogus: unknown field 'bogus' in ModelConfig$/);
  });

  it('range-checks integers and refuses imprecise 64-bit numbers', () => {
    expect(errorOf({ max_batch_size: 1.5 }).message).toMatch(/expected an integer \(int32\)/);
    expect(errorOf({ max_batch_size: 2 ** 31 }).message).toMatch(/out of range for int32/);
    expect(errorOf({ input: [{ dims: [2 ** 60] }] }).message).toMatch(/beyond 2\^53-1 and cannot be read exactly; send it as a string/);
    expect(errorOf({ input: [{ dims: ['9007199254740993'] }] }).message).toMatch(/int64 value 9007199254740993 is beyond/);
    expect(errorOf({ dynamic_batching: { priority_levels: -1 } }).message).toMatch(/out of range for uint64/);
    expect(errorOf({ dynamic_batching: { priority_queue_policy: { high: {} } } }).message).toMatch(/priority_queue_policy key 'high'/);
  });

  it('rejects a field given in both spellings and two members of a oneof', () => {
    expect(errorOf({ max_batch_size: 1, maxBatchSize: 1 }).message).toMatch(/config\.maxBatchSize: field 'max_batch_size' .* more than once/);
    expect(errorOf({ dynamic_batching: {}, sequence_batching: {} }).message).toMatch(/oneof 'scheduling_choice'/);
  });

  it('reports malformed JSON text as INVALID_ARGUMENT', () => {
    expect(() => modelConfigFromJsonText('{', 'load')).toThrow(/^load: invalid JSON: /);
  });

  it('never throws anything but INVALID_ARGUMENT on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ input: fc.array(fc.dictionary(fc.constantFrom('name', 'dims', 'data_type', 'x'), fc.jsonValue())) })), (v) => {
        try {
          modelConfigFromJson(v);
        } catch (err) {
          expect(err).toBeInstanceOf(InferError);
          expect((err as InferError).code).toBe('INVALID_ARGUMENT');
        }
      }),
      { numRuns: 500 },
    );
  });
});
