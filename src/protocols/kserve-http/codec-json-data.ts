/**
 * Tensor `data` in KServe JSON form, both ways: JSON values (flat or nested arrays) into typed
 * storage, and typed storage back into JSON text. Only element counts are checked here; the core
 * validates shapes and datatypes against the model.
 */
import { invalidArgument } from '../../core/errors.js';
import type { DataType, TensorData } from '../../core/types.js';
import { exactIntegerText, readExactInteger } from './exact-json.js';
import { TYPED_ARRAY, type FixedDataType } from './tensor-layout.js';

/** Deepest `data` nesting accepted; deeper arrays are refused without recursing into them. */
export const MAX_DATA_DEPTH = 64;

const INT_RANGE: Readonly<Partial<Record<DataType, readonly [number, number]>>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Converts an input's JSON `data` into tensor storage holding exactly `count` elements.
 * `exact` is true after the body was re-parsed with long integers preserved (see exact-json.ts).
 */
export function decodeJsonData(
  name: string,
  datatype: DataType,
  data: unknown,
  count: number,
  exact: boolean,
): TensorData {
  if (datatype === 'FP16' || datatype === 'BF16') {
    throw invalidArgument(
      `receiving ${datatype} data via JSON is not supported. Please use the binary data format for input ${name}`,
    );
  }
  if (!Array.isArray(data)) throw invalidArgument(`Unable to parse 'data' of input '${name}': expected an array`);
  const flat = flatten(data, name);
  if (flat.length !== count) {
    throw invalidArgument(
      `Unable to parse 'data': Shape does not match true shape of 'data' field for input '${name}': ` +
        `expected ${count} elements, got ${flat.length}`,
    );
  }
  switch (datatype) {
    case 'BOOL':
      return decodeBool(name, flat);
    case 'BYTES':
      return decodeBytes(name, flat);
    case 'INT64':
    case 'UINT64':
      return decodeInt64(name, datatype, flat, exact);
    case 'FP32':
    case 'FP64':
      return decodeFloat(name, datatype, flat);
    default:
      return decodeSmallInt(name, datatype, flat);
  }
}

function flatten(data: readonly unknown[], name: string): readonly unknown[] {
  for (let i = 0; i < data.length; i++) {
    if (Array.isArray(data[i])) {
      const out: unknown[] = [];
      collect(data, out, 1, name);
      return out;
    }
  }
  return data;
}

function collect(arr: readonly unknown[], out: unknown[], depth: number, name: string): void {
  if (depth > MAX_DATA_DEPTH) {
    throw invalidArgument(`Unable to parse 'data' of input '${name}': nested deeper than ${MAX_DATA_DEPTH} levels`);
  }
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (Array.isArray(v)) collect(v, out, depth + 1, name);
    else out.push(v);
  }
}

function badElement(name: string, datatype: DataType, index: number): never {
  throw invalidArgument(`Unable to parse 'data' of input '${name}': element ${index} is not a valid ${datatype} value`);
}

function decodeBool(name: string, flat: readonly unknown[]): Uint8Array {
  const out = new Uint8Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'boolean') badElement(name, 'BOOL', i);
    out[i] = v ? 1 : 0;
  }
  return out;
}

function decodeBytes(name: string, flat: readonly unknown[]): Uint8Array[] {
  const out = new Array<Uint8Array>(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'string') badElement(name, 'BYTES', i);
    out[i] = Buffer.from(v, 'utf8');
  }
  return out;
}

function decodeSmallInt(name: string, datatype: FixedDataType, flat: readonly unknown[]): TensorData {
  const [min, max] = INT_RANGE[datatype] ?? [0, -1];
  const out = new TYPED_ARRAY[datatype](flat.length) as Exclude<TensorData, BigInt64Array | BigUint64Array | readonly Uint8Array[]>;
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) badElement(name, datatype, i);
    out[i] = v;
  }
  return out;
}

function decodeInt64(name: string, datatype: 'INT64' | 'UINT64', flat: readonly unknown[], exact: boolean): TensorData {
  const signed = datatype === 'INT64';
  const out = signed ? new BigInt64Array(flat.length) : new BigUint64Array(flat.length);
  const min = signed ? INT64_MIN : 0n;
  const max = signed ? INT64_MAX : UINT64_MAX;
  for (let i = 0; i < flat.length; i++) {
    const v = readExactInteger(flat[i], exact);
    if (v === undefined || v < min || v > max) badElement(name, datatype, i);
    out[i] = v;
  }
  return out;
}

function decodeFloat(name: string, datatype: 'FP32' | 'FP64', flat: readonly unknown[]): TensorData {
  const out = datatype === 'FP32' ? new Float32Array(flat.length) : new Float64Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v === 'number') {
      out[i] = v;
    } else {
      const digits = exactIntegerText(v);
      if (digits === undefined) badElement(name, datatype, i);
      out[i] = Number(digits);
    }
  }
  return out;
}

/**
 * Writes tensor storage as a JSON array literal (flat, row-major). FP16/BF16 have no JSON form
 * (Triton refuses them too); non-finite floats become `null` so the body stays valid JSON.
 */
export function encodeJsonData(name: string, datatype: DataType, data: TensorData): string {
  switch (datatype) {
    case 'FP16':
    case 'BF16':
      throw invalidArgument(
        `sending ${datatype} data via JSON is not supported. Please use the binary data format for output ${name}`,
      );
    case 'BYTES':
      return encodeBytes(data as readonly Uint8Array[]);
    case 'BOOL':
      return encodeBool(data as Uint8Array);
    case 'FP32':
    case 'FP64':
      return encodeFloat(data as Float32Array | Float64Array);
    default:
      // Integer typed arrays (BigInt ones included) join as plain decimal numbers.
      return `[${(data as Int32Array).join(',')}]`;
  }
}

function encodeBool(data: Uint8Array): string {
  let s = '[';
  for (let i = 0; i < data.length; i++) s += (i === 0 ? '' : ',') + (data[i] === 0 ? 'false' : 'true');
  return s + ']';
}

function encodeFloat(data: Float32Array | Float64Array): string {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      let s = '[';
      for (let j = 0; j < data.length; j++) {
        const v = data[j] as number;
        s += (j === 0 ? '' : ',') + (Number.isFinite(v) ? String(v) : 'null');
      }
      return s + ']';
    }
  }
  return `[${data.join(',')}]`;
}

function encodeBytes(data: readonly Uint8Array[]): string {
  let s = '[';
  for (let i = 0; i < data.length; i++) {
    const el = data[i] as Uint8Array;
    s += (i === 0 ? '' : ',') + JSON.stringify(Buffer.from(el.buffer, el.byteOffset, el.byteLength).toString('utf8'));
  }
  return s + ']';
}
