/**
 * Conversions between Triton's config datatype names (`TYPE_FP32`) and the KServe datatype
 * names (`FP32`) the rest of inferd uses. Triton calls the variable-length type TYPE_STRING in
 * configs and BYTES on the wire.
 */
import { ELEMENT_SIZE, isDataType as isTensorDataType } from '../core/tensor-storage.js';
import type { DataType } from '../core/types.js';
import type { ConfigDataType } from './model-config.js';

const CONFIG_TO_DATA: Readonly<Record<Exclude<ConfigDataType, 'TYPE_INVALID'>, DataType>> = {
  TYPE_BOOL: 'BOOL',
  TYPE_UINT8: 'UINT8',
  TYPE_UINT16: 'UINT16',
  TYPE_UINT32: 'UINT32',
  TYPE_UINT64: 'UINT64',
  TYPE_INT8: 'INT8',
  TYPE_INT16: 'INT16',
  TYPE_INT32: 'INT32',
  TYPE_INT64: 'INT64',
  TYPE_FP16: 'FP16',
  TYPE_BF16: 'BF16',
  TYPE_FP32: 'FP32',
  TYPE_FP64: 'FP64',
  TYPE_STRING: 'BYTES',
};

const DATA_TO_CONFIG = Object.fromEntries(
  Object.entries(CONFIG_TO_DATA).map(([config, data]) => [data, config]),
) as Readonly<Record<DataType, ConfigDataType>>;

/** Every config datatype name except TYPE_INVALID. */
export const CONFIG_DATA_TYPES: readonly ConfigDataType[] = Object.keys(CONFIG_TO_DATA) as ConfigDataType[];

/** Maps `TYPE_FP32` to `FP32` (and `TYPE_STRING` to `BYTES`); throws for TYPE_INVALID or unknown names. */
export function configDataTypeToDataType(t: ConfigDataType): DataType {
  const dt = Object.hasOwn(CONFIG_TO_DATA, t) ? (CONFIG_TO_DATA as Record<string, DataType>)[t] : undefined;
  if (dt === undefined) throw new Error(`datatype '${t}' has no tensor datatype`);
  return dt;
}

/** Maps `FP32` to `TYPE_FP32` (and `BYTES` to `TYPE_STRING`); throws for unknown names. */
export function dataTypeToConfigDataType(dt: DataType): ConfigDataType {
  const t = Object.hasOwn(DATA_TO_CONFIG, dt) ? DATA_TO_CONFIG[dt] : undefined;
  if (t === undefined) throw new Error(`unknown datatype '${dt}'`);
  return t;
}

/** Bytes per element of a fixed-size datatype; 0 for BYTES, whose elements vary in size. */
export function dataTypeByteSize(dt: DataType): number {
  const size = Object.hasOwn(ELEMENT_SIZE, dt) ? ELEMENT_SIZE[dt] : undefined;
  if (size === undefined) throw new Error(`unknown datatype '${dt}'`);
  return size;
}

/** True when `s` is a KServe datatype name. */
export function isDataType(s: string): s is DataType {
  return isTensorDataType(s);
}
