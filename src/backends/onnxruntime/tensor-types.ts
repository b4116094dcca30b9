/**
 * Datatype mapping between inferd tensors, Triton config types and onnxruntime-node tensor types,
 * plus typed-array helpers for the batch codec.
 */
import type { ConfigDataType } from '../../config/model-config.js';
import type { DataType, TensorData } from '../../core/types.js';

/** onnxruntime-node tensor type names this backend exchanges. */
export type OrtTensorType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'string';

/** Numeric typed arrays that carry tensor elements (BYTES travels as string[] instead). */
export type NumericData = Exclude<TensorData, readonly Uint8Array[]>;

/** Tensor data as it crosses to and from the worker: typed arrays, or strings for ORT 'string'. */
export type WireData = NumericData | string[];

// NOTE: onnxruntime-node has no bfloat16 tensors, so BF16 models cannot be served by this backend.
const ORT_TYPE: Readonly<Record<DataType, OrtTensorType | undefined>> = {
  BOOL: 'bool',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
  BF16: undefined,
};

const FROM_ORT = new Map<string, DataType>(
  Object.entries(ORT_TYPE).flatMap(([dt, ort]) => (ort ? [[ort, dt as DataType] as const] : [])),
);

/** The ORT tensor type for a datatype; undefined for BF16. */
export function ortTypeOf(datatype: DataType): OrtTensorType | undefined {
  return ORT_TYPE[datatype];
}

/** The datatype for an ORT tensor type name; undefined for types this backend cannot carry. */
export function dataTypeFromOrt(ortType: string): DataType | undefined {
  return FROM_ORT.get(ortType);
}

/** Triton config type (`TYPE_FP32`) to datatype (`FP32`); undefined for TYPE_INVALID. */
export function dataTypeFromConfig(t: ConfigDataType): DataType | undefined {
  if (t === 'TYPE_STRING') return 'BYTES';
  if (t === 'TYPE_INVALID') return undefined;
  return t.slice('TYPE_'.length) as DataType;
}

/** Datatype (`FP32`) to Triton config type (`TYPE_FP32`). */
export function configTypeOf(datatype: DataType): ConfigDataType {
  return datatype === 'BYTES' ? 'TYPE_STRING' : (`TYPE_${datatype}` as ConfigDataType);
}

type NumericCtor = { new (length: number): NumericData; readonly BYTES_PER_ELEMENT: number };

const ARRAY_OF: Readonly<Record<Exclude<DataType, 'BYTES'>, NumericCtor>> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  INT8: Int8Array,
  UINT16: Uint16Array,
  INT16: Int16Array,
  FP16: Uint16Array,
  BF16: Uint16Array,
  UINT32: Uint32Array,
  INT32: Int32Array,
  FP32: Float32Array,
  UINT64: BigUint64Array,
  INT64: BigInt64Array,
  FP64: Float64Array,
};

/** A new zeroed typed array of the datatype's element storage. */
export function allocateNumeric(datatype: Exclude<DataType, 'BYTES'>, length: number): NumericData {
  return new ARRAY_OF[datatype](length);
}

/** True when `data` is the storage class inferd uses for `datatype` (e.g. Uint16Array for FP16). */
export function hasStorageOf(datatype: DataType, data: TensorData): boolean {
  if (datatype === 'BYTES') return Array.isArray(data);
  return data instanceof ARRAY_OF[datatype];
}

/**
 * Views ORT output data as inferd storage without copying: float16 may come back as a
 * Float16Array where the runtime has one, and inferd carries FP16 as Uint16Array bit patterns.
 */
export function asInferdStorage(datatype: DataType, data: WireData): TensorData {
  if (datatype === 'FP16' && !(data instanceof Uint16Array) && ArrayBuffer.isView(data)) {
    return new Uint16Array(data.buffer, data.byteOffset, data.length);
  }
  return data as TensorData;
}
