/**
 * Wire-level facts about KServe datatypes: element sizes, typed-array storage and overflow-safe
 * element counts. Shared by the JSON and binary codecs so both agree on every size.
 */
import { invalidArgument } from '../../core/errors.js';
import type { DataType } from '../../core/types.js';

/** Bytes per element on the wire; 0 for BYTES, whose elements carry their own length. */
export const ELEMENT_SIZE: Readonly<Record<DataType, number>> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  BF16: 2,
  FP32: 4,
  FP64: 8,
  BYTES: 0,
};

/** A fixed-size datatype: every one but BYTES. */
export type FixedDataType = Exclude<DataType, 'BYTES'>;

/** Constructor of the typed array that stores a fixed-size datatype (core/types.ts TensorData). */
export interface TypedArrayCtor {
  new (length: number): FixedTensorData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): FixedTensorData;
}

/** Typed-array storage of a fixed-size datatype. */
export type FixedTensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** Typed array per fixed-size datatype; BOOL is one byte per element, FP16/BF16 raw 16-bit patterns. */
export const TYPED_ARRAY: Readonly<Record<FixedDataType, TypedArrayCtor>> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  BF16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/** True when `s` names a KServe datatype. */
export function isDataType(s: unknown): s is DataType {
  return typeof s === 'string' && Object.hasOwn(ELEMENT_SIZE, s);
}

/**
 * Number of elements a shape holds. Throws INVALID_ARGUMENT when the product exceeds 2^53 − 1,
 * so a shape like [16, 2^60] is refused before anything is allocated for it.
 */
export function elementCount(shape: readonly number[], inputName: string): number {
  let count = 1;
  let overflow = false;
  for (const dim of shape) {
    if (dim === 0) return 0;
    count *= dim;
    if (count > Number.MAX_SAFE_INTEGER) overflow = true;
  }
  // NOTE: a zero dimension anywhere makes the tensor empty, so overflow is only reported after
  // the whole shape has been seen.
  if (overflow) {
    throw invalidArgument(`shape [${shape.join(',')}] of input '${inputName}' holds too many elements`);
  }
  return count;
}

/**
 * Parses a JSON `shape` value: an array of non-negative safe integers. Throws INVALID_ARGUMENT
 * with Triton's message otherwise.
 */
export function parseShape(value: unknown, tensorName: string): number[] {
  if (!Array.isArray(value)) throw invalidArgument(`Unable to parse 'shape' of input '${tensorName}'`);
  const shape = new Array<number>(value.length);
  for (let i = 0; i < value.length; i++) {
    const d: unknown = value[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw invalidArgument(
        `Unable to parse 'shape' of input '${tensorName}': dimensions must be non-negative integers below 2^53`,
      );
    }
    shape[i] = d;
  }
  return shape;
}
