import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InferError } from '../../core/errors.js';
import type { DataType, Tensor } from '../../core/types.js';
import { decodeRawTensor, decodeTypedTensor, elementCount, encodeRawTensor, parseShape } from './tensor-codec.js';

const src = { tensorName: 'X', modelName: 'm' };
const FIXED: readonly Exclude<DataType, 'BYTES'>[] = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'BF16', 'FP32', 'FP64',
];
const SIZE: Record<string, number> = { BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, BF16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8 };

/** `bytes` copied to `offset` inside a larger buffer, to exercise unaligned views. */
function at(bytes: Uint8Array, offset: number): Uint8Array {
  const host = new Uint8Array(offset + bytes.length);
  host.set(bytes, offset);
  return host.subarray(offset);
}

describe('raw contents', () => {
  it('decode then encode gives back the same bytes for every fixed datatype, at any offset', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIXED), fc.nat(16), fc.integer({ min: 0, max: 7 }), fc.infiniteStream(fc.integer({ min: 0, max: 255 })), (dt, n, offset, stream) => {
        const bytes = Uint8Array.from(stream.take(n * SIZE[dt]!));
        const data = decodeRawTensor(dt, n, at(bytes, offset), src);
        expect(data.length).toBe(n);
        const back = encodeRawTensor({ name: 'X', datatype: dt, shape: [n], data });
        expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('BYTES elements round-trip through length-prefixed raw form', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 10 }), fc.nat(3), (elements, offset) => {
        const raw = encodeRawTensor({ name: 'S', datatype: 'BYTES', shape: [elements.length], data: elements });
        const back = decodeRawTensor('BYTES', elements.length, at(raw, offset), src) as Uint8Array[];
        expect(back.map((e) => Buffer.from(e))).toEqual(elements.map((e) => Buffer.from(e)));
      }),
    );
  });

  it('returns a view when aligned and a copy when not', () => {
    const host = new Uint8Array(12);
    const aligned = decodeRawTensor('FP32', 2, host.subarray(4), src) as Float32Array;
    expect(aligned.buffer).toBe(host.buffer);
    const unaligned = decodeRawTensor('FP32', 2, host.subarray(1, 9), src) as Float32Array;
    expect(unaligned.buffer).not.toBe(host.buffer);
  });

  it('refuses byte counts that are not exactly count × element size', () => {
    expect(() => decodeRawTensor('INT64', 2, new Uint8Array(15), src)).toThrow(/Expected 16, got 15/);
    expect(() => decodeRawTensor('INT64', 2, new Uint8Array(24), src)).toThrow(InferError);
    expect(() => decodeRawTensor('FP64', Number.MAX_SAFE_INTEGER, new Uint8Array(8), src)).toThrow(/Expected 72057594037927928/);
  });
});

describe('shapes', () => {
  it('parses int64 strings and refuses negative or unsafe dimensions', () => {
    expect(parseShape(['1', 2, '0'], 'X')).toEqual([1, 2, 0]);
    expect(() => parseShape(['-1'], 'X')).toThrow(/non-negative/);
    expect(() => parseShape(['9007199254740993'], 'X')).toThrow(/below 2\^53/);
  });

  it('counts elements without overflow; a zero dimension empties any shape', () => {
    expect(elementCount([], 'X')).toBe(1);
    expect(elementCount([2, 3, 4], 'X')).toBe(24);
    expect(elementCount([2 ** 40, 2 ** 40, 0], 'X')).toBe(0);
    expect(() => elementCount([2 ** 40, 2 ** 40], 'X')).toThrow(/too many elements/);
  });
});

describe('typed contents', () => {
  const empty = () => ({
    bool_contents: [], int_contents: [], int64_contents: [], uint_contents: [], uint64_contents: [],
    fp32_contents: [], fp64_contents: [], bytes_contents: [],
  });

  it('checks integer ranges per datatype', () => {
    expect(decodeTypedTensor('UINT16', 1, { ...empty(), uint_contents: [65535] }, src)).toEqual(Uint16Array.of(65535));
    expect(() => decodeTypedTensor('UINT16', 1, { ...empty(), uint_contents: [65536] }, src)).toThrow(/out of range/);
    expect(() => decodeTypedTensor('INT16', 1, { ...empty(), int_contents: [-32769] }, src)).toThrow(/out of range/);
  });

  it('refuses two typed fields at once', () => {
    const both = { ...empty(), int_contents: [1], fp32_contents: [1] };
    expect(() => decodeTypedTensor('INT32', 1, both, src)).toThrow(/type 'FP32', expected datatype 'INT32'/);
  });
});

describe('output encoding', () => {
  it('refuses outputs whose data does not hold the shape, as INTERNAL', () => {
    const bad: Tensor = { name: 'O', datatype: 'FP32', shape: [3], data: new Float32Array(2) };
    expect(() => encodeRawTensor(bad)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    const kind: Tensor = { name: 'O', datatype: 'BYTES', shape: [2], data: new Uint8Array(2) };
    expect(() => encodeRawTensor(kind)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});
