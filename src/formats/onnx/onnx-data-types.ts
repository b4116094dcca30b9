/**
 * ONNX `TensorProto.DataType` numbers and their mapping to inferd's tensor datatypes.
 */
import type { DataType } from '../../core/types.js';

/** `TensorProto.DataType` values (onnx.proto) that have an inferd DataType. */
export const ONNX_ELEM_TYPE: Readonly<Record<DataType, number>> = {
  FP32: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BYTES: 8,
  BOOL: 9,
  FP16: 10,
  FP64: 11,
  UINT32: 12,
  UINT64: 13,
  BF16: 16,
};

const BY_NUMBER = new Map<number, DataType>(
  Object.entries(ONNX_ELEM_TYPE).map(([name, num]) => [num, name as DataType]),
);

/** ONNX names of element types inferd cannot represent, for error messages. */
const OTHER_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
  23: 'FLOAT4E2M1',
};

/** The inferd DataType of an ONNX element type, or undefined when inferd has none. */
export function dataTypeFromOnnx(elemType: number): DataType | undefined {
  return BY_NUMBER.get(elemType);
}

/** A readable name for any ONNX element type number (`FLOAT`-style names for unknown ones). */
export function onnxElemTypeName(elemType: number): string {
  const known = BY_NUMBER.get(elemType);
  if (known) return known;
  return OTHER_NAMES[elemType] ?? `elem_type ${elemType}`;
}

/** Bytes per element of fixed-size types as stored in `raw_data`; undefined for BYTES. */
export function onnxElementSize(datatype: DataType): number | undefined {
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
    case 'INT8':
      return 1;
    case 'UINT16':
    case 'INT16':
    case 'FP16':
    case 'BF16':
      return 2;
    case 'UINT32':
    case 'INT32':
    case 'FP32':
      return 4;
    case 'UINT64':
    case 'INT64':
    case 'FP64':
      return 8;
    case 'BYTES':
      return undefined;
  }
}
