import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../config/model-config.js';
import { completeConfig, DEFAULT_MAX_BATCH_SIZE, interfaceFromOrt, type ModelInterface } from './config-completion.js';

const ortOutputs = [
  { name: 'y', isTensor: true, type: 'int64', shape: ['batch'] },
  { name: 'z', isTensor: true, type: 'string', shape: ['batch', 'n'] },
];
const batched: ModelInterface = interfaceFromOrt([{ name: 'x', isTensor: true, type: 'float32', shape: ['batch', 3] }], ortOutputs);

describe('interfaceFromOrt', () => {
  it('turns symbolic dims into -1 and ORT types into datatypes', () => {
    expect(batched.inputs).toEqual([{ name: 'x', datatype: 'FP32', typeName: 'float32', dims: [-1, 3] }]);
    expect(batched.outputs[1]).toEqual({ name: 'z', datatype: 'BYTES', typeName: 'string', dims: [-1, -1] });
  });
});

describe('completeConfig', () => {
  it('fills everything from a batching model', () => {
    const config = completeConfig({ name: 'm' }, batched, true);
    expect(config).toEqual({
      name: 'm',
      max_batch_size: DEFAULT_MAX_BATCH_SIZE,
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3] }],
      output: [
        { name: 'y', data_type: 'TYPE_INT64', dims: [] },
        { name: 'z', data_type: 'TYPE_STRING', dims: [-1] },
      ],
      dynamic_batching: {},
    });
  });

  it('keeps an existing scheduler and max_batch_size 1 without adding dynamic batching', () => {
    const seq = completeConfig({ name: 'm', sequence_batching: {} }, batched, true);
    expect(seq.dynamic_batching).toBeUndefined();
    const one = completeConfig({ name: 'm', max_batch_size: 1 }, batched, true);
    expect(one.max_batch_size).toBe(1);
    expect(one.dynamic_batching).toBeUndefined();
  });

  it('reads full-rank declared dims as a request not to batch', () => {
    const config = completeConfig({ name: 'm', input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [-1, 3] }] }, batched, true);
    expect(config.max_batch_size).toBe(0);
    expect(config.output?.[0]).toEqual({ name: 'y', data_type: 'TYPE_INT64', dims: [-1] });
  });

  it('checks without completing when auto-complete is off', () => {
    expect(() => completeConfig({ name: 'm' }, batched, false)).toThrow(/model input 'x' missing from the config/);
    const full: ModelConfig = {
      name: 'm',
      max_batch_size: 2,
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3] }],
      output: [{ name: 'y', data_type: 'TYPE_INT64', dims: [] }],
    };
    expect(completeConfig(full, batched, false)).toEqual(full);
  });

  it('names both sides of a type mismatch, and unsupported model types', () => {
    const config: ModelConfig = {
      name: 'm',
      max_batch_size: 2,
      input: [{ name: 'x', data_type: 'TYPE_FP16', dims: [3] }],
      output: [{ name: 'y', data_type: 'TYPE_INT64', dims: [] }],
    };
    expect(() => completeConfig(config, batched, false)).toThrow("model 'm': input 'x' has data type TYPE_FP16 in the config but TYPE_FP32 in the model");
    const odd = interfaceFromOrt([{ name: 'x', isTensor: false }], ortOutputs);
    expect(() => completeConfig({ name: 'm' }, odd, true)).toThrow(/input 'x' has type non-tensor/);
  });

  it('accepts fixed config dims for symbolic model dims and rejects rank changes', () => {
    const ok = completeConfig({ name: 'm', max_batch_size: 2, output: [{ name: 'z', data_type: 'TYPE_STRING', dims: [5] }] }, batched, true);
    expect(ok.output?.find((o) => o.name === 'z')?.dims).toEqual([5]);
    expect(() =>
      completeConfig({ name: 'm', max_batch_size: 2, output: [{ name: 'z', data_type: 'TYPE_STRING', dims: [5, 1] }] }, batched, true),
    ).toThrow(/output 'z' has shape \[-1, 5, 1\] in the config \(with the batch dimension\) but \[-1, -1\] in the model/);
  });
});

describe('completeConfig with sequence control inputs', () => {
  const model = interfaceFromOrt(
    [
      { name: 'x', isTensor: true, type: 'float32', shape: ['batch', 3] },
      { name: 'START', isTensor: true, type: 'int32', shape: ['batch', 1] },
    ],
    [{ name: 'y', isTensor: true, type: 'float32', shape: ['batch', 3] }],
  );
  const sequence = (kind: 'int32' | 'fp32') => ({
    control_input: [
      {
        name: 'START',
        control: [{ kind: 'CONTROL_SEQUENCE_START' as const, ...(kind === 'int32' ? { int32_false_true: [0, 1] } : { fp32_false_true: [0, 1] }) }],
      },
    ],
  });

  it('treats control tensors as inputs the core provides, not config inputs', () => {
    const config = completeConfig({ name: 'seq', sequence_batching: sequence('int32') }, model, true);
    expect(config.input?.map((i) => i.name)).toEqual(['x']);
  });

  it('checks the control tensor type against the model', () => {
    expect(() => completeConfig({ name: 'seq', sequence_batching: sequence('fp32') }, model, true)).toThrow(
      /input 'START' has data type TYPE_FP32 in the config but TYPE_INT32 in the model/,
    );
  });
});
