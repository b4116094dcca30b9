/**
 * The one table of per-datatype storage facts every layer shares: bytes per element on the wire
 * and the typed array that holds a fixed-size datatype in a core Tensor (types.ts TensorData).
 * The config layer, both KServe codecs and the backends read sizes from here so they can never
 * disagree.
 */
import type { DataType, TensorData } from './types.js';

/** Bytes per element; 0 for BYTES, whose elements carry their own length. */
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

/** Typed-array storage of a fixed-size datatype. */
export type FixedTensorData = Exclude<TensorData, readonly Uint8Array[]>;

/** Constructor of the typed array that stores a fixed-size datatype. */
export interface TypedArrayCtor {
  new (length: number): FixedTensorData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): FixedTensorData;
}

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
