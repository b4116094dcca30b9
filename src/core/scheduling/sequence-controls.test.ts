import { describe, expect, it } from 'vitest';
import type { ConfigDataType, ModelConfig } from '../../config/model-config.js';
import { controlTensors, sequenceControlPlan, sequenceInternalInputs, sequenceStateOutputs } from './sequence-controls.js';

function config(corridType: ConfigDataType, maxBatch = 4): ModelConfig {
  return {
    name: 'm',
    max_batch_size: maxBatch,
    sequence_batching: {
      control_input: [
        { name: 'S', control: [{ kind: 'CONTROL_SEQUENCE_START', int32_false_true: [7, 9] }] },
        { name: 'E', control: [{ kind: 'CONTROL_SEQUENCE_END', fp32_false_true: [0.5, 1.5] }] },
        { name: 'R', control: [{ kind: 'CONTROL_SEQUENCE_READY', bool_false_true: [false, true] }] },
        { name: 'C', control: [{ kind: 'CONTROL_SEQUENCE_CORRID', data_type: corridType }] },
      ],
      state: [{ input_name: 'IS', output_name: 'OS', data_type: 'TYPE_FP32', dims: [2] }],
    },
  };
}

/** Control name → [datatype, shape, first element]. */
function values(cfg: ModelConfig, flags: { start: boolean; end: boolean; ready: boolean }, id = '12') {
  const tensors = controlTensors(sequenceControlPlan(cfg), flags, id, 'm');
  return Object.fromEntries(tensors.map((t) => [t.name, [t.datatype, t.shape, (t.data as ArrayLike<unknown>)[0]]]));
}

describe('sequence control tensors', () => {
  it('fills START/END/READY with the configured false/true values per flag, shaped [1, 1] when batching', () => {
    const cfg = config('TYPE_UINT64');
    expect(values(cfg, { start: true, end: false, ready: true })).toEqual({
      S: ['INT32', [1, 1], 9],
      E: ['FP32', [1, 1], 0.5],
      R: ['BOOL', [1, 1], 1],
      C: ['UINT64', [1, 1], 12n],
    });
    expect(values(cfg, { start: false, end: true, ready: true })).toMatchObject({ S: ['INT32', [1, 1], 7], E: ['FP32', [1, 1], 1.5] });
    expect(values(cfg, { start: true, end: true, ready: true })).toMatchObject({ S: ['INT32', [1, 1], 9], E: ['FP32', [1, 1], 1.5] });
    expect(values(cfg, { start: false, end: false, ready: true })).toMatchObject({ S: ['INT32', [1, 1], 7], E: ['FP32', [1, 1], 0.5], R: ['BOOL', [1, 1], 1] });
    // Not ready (padding): every flag false, whatever the request said.
    expect(values(cfg, { start: true, end: true, ready: false })).toMatchObject({ S: ['INT32', [1, 1], 7], E: ['FP32', [1, 1], 0.5], R: ['BOOL', [1, 1], 0] });
  });

  it('shapes controls [1] for a model without batching', () => {
    expect(values(config('TYPE_UINT64', 0), { start: true, end: false, ready: true }).S).toEqual(['INT32', [1], 9]);
  });

  it('encodes CORRID per data_type: uint64, int64 bits, low 32 bits, or the id text', () => {
    const max = '18446744073709551615';
    expect(values(config('TYPE_UINT64'), { start: true, end: false, ready: true }, max).C).toEqual(['UINT64', [1, 1], 2n ** 64n - 1n]);
    expect(values(config('TYPE_INT64'), { start: true, end: false, ready: true }, max).C).toEqual(['INT64', [1, 1], -1n]);
    expect(values(config('TYPE_INT32'), { start: true, end: false, ready: true }, String(2 ** 32 + 5)).C).toEqual(['INT32', [1, 1], 5]);
    const text = values(config('TYPE_STRING'), { start: true, end: false, ready: true }, 'user-42').C;
    expect(text?.[0]).toBe('BYTES');
    expect(Buffer.from(text?.[2] as Uint8Array).toString()).toBe('user-42');
  });

  it('refuses a non-numeric id for a numeric CORRID', () => {
    expect(() => values(config('TYPE_UINT64'), { start: true, end: false, ready: true }, 'abc')).toThrow(/must be an unsigned 64-bit integer/);
    expect(() => values(config('TYPE_UINT64'), { start: true, end: false, ready: true }, '18446744073709551616')).toThrow(/unsigned 64-bit/);
  });

  it('names the inputs the batcher provides and the state outputs it keeps', () => {
    expect([...sequenceInternalInputs(config('TYPE_UINT64'))]).toEqual(['S', 'E', 'R', 'C', 'IS']);
    expect([...sequenceStateOutputs(config('TYPE_UINT64'))]).toEqual(['OS']);
  });
});
