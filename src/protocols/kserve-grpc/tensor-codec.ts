/**
 * Tensor data on the gRPC wire ⇄ core TensorData. Inputs arrive either as one raw byte string per
 * input (`raw_input_contents`: little-endian, row-major, BYTES elements with 4-byte length
 * prefixes) or as the typed repeated field matching the datatype (`InferTensorContents`); outputs
 * always leave raw, as Triton sends them. Sizes are checked against the shape without overflow.
 */
import { InferError, invalidArgument } from '../../core/errors.js';
import { TYPED_ARRAY, type FixedDataType, type FixedTensorData } from '../../core/tensor-storage.js';
import type { DataType, Tensor, TensorData } from '../../core/types.js';
import { dataTypeByteSize } from '../../config/datatypes.js';
import type { Int64, TensorContentsMessage } from './messages.js';

/** Which typed-contents field carries each datatype (FP16/BF16 have none: raw only). */
const CONTENTS_FIELD: Readonly<Record<DataType, keyof TensorContentsMessage | undefined>> = {
  BOOL: 'bool_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  FP16: undefined,
  BF16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

/** Datatype each typed field stands for in Triton's mismatch message. */
const FIELD_TYPE_NAME: Readonly<Record<keyof TensorContentsMessage, string>> = {
  bool_contents: 'BOOL',
  int_contents: 'INT32',
  int64_contents: 'INT64',
  uint_contents: 'UINT32',
  uint64_contents: 'UINT64',
  fp32_contents: 'FP32',
  fp64_contents: 'FP64',
  bytes_contents: 'BYTES',
};

const INT_RANGE: Readonly<Partial<Record<DataType, readonly [number, number]>>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
};

/** Where a tensor comes from, for error messages. */
export interface TensorSource {
  readonly tensorName: string;
  readonly modelName: string;
}

/** Parses a wire shape (int64 values, as strings or numbers) into non-negative safe integers. */
export function parseShape(shape: readonly Int64[], tensorName: string): number[] {
  const out = new Array<number>(shape.length);
  for (let i = 0; i < shape.length; i++) {
    const d = Number(shape[i]);
    if (!Number.isSafeInteger(d) || d < 0) {
      throw invalidArgument(
        `invalid shape for input '${tensorName}': dimension ${String(shape[i])} must be a non-negative integer below 2^53`,
      );
    }
    out[i] = d;
  }
  return out;
}

/**
 * Number of elements a shape holds; INVALID_ARGUMENT when the product passes 2^53 − 1, so a shape
 * like [16, 2^60] is refused before anything is allocated for it.
 */
export function elementCount(shape: readonly number[], tensorName: string): number {
  let count = 1;
  let overflow = false;
  for (const d of shape) {
    if (d === 0) return 0;
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) overflow = true;
  }
  if (overflow) throw invalidArgument(`shape [${shape.join(',')}] of input '${tensorName}' holds too many elements`);
  return count;
}

/**
 * Interprets one raw_input_contents entry as `count` elements of `datatype`. Returns a view over
 * the message buffer when the typed array's alignment allows, else an aligned copy.
 * NOTE: assumes a little-endian host (x86-64, arm64), as the wire format is little-endian.
 */
export function decodeRawTensor(datatype: DataType, count: number, raw: Uint8Array, src: TensorSource): TensorData {
  if (datatype === 'BYTES') return decodeRawBytes(count, raw, src);
  const size = dataTypeByteSize(datatype);
  // NOTE: compare by division, not count * size, which can pass 2^53 and round.
  if (raw.byteLength % size !== 0 || raw.byteLength / size !== count) {
    throw invalidArgument(
      `input byte size mismatch for input '${src.tensorName}' for model '${src.modelName}'. ` +
        `Expected ${BigInt(count) * BigInt(size)}, got ${raw.byteLength}`,
    );
  }
  const Ctor = TYPED_ARRAY[datatype];
  if (raw.byteOffset % size === 0) return new Ctor(raw.buffer, raw.byteOffset, count);
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  return new Ctor(copy.buffer, 0, count);
}

function decodeRawBytes(count: number, raw: Uint8Array, src: TensorSource): Uint8Array[] {
  // Every element needs at least its 4-byte prefix, so a huge shape is refused before allocating.
  if (count > raw.byteLength / 4) {
    throw invalidArgument(
      `input byte size mismatch for input '${src.tensorName}' for model '${src.modelName}': ` +
        `${count} BYTES elements cannot fit in ${raw.byteLength} bytes`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const elements = new Array<Uint8Array>(count);
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 4 > raw.byteLength) {
      throw invalidArgument(`input '${src.tensorName}': BYTES element ${i} has no room for its 4-byte length prefix`);
    }
    const len = view.getUint32(p, true);
    p += 4;
    if (len > raw.byteLength - p) {
      throw invalidArgument(
        `input '${src.tensorName}': BYTES element ${i} declares ${len} bytes but only ${raw.byteLength - p} remain`,
      );
    }
    elements[i] = raw.subarray(p, p + len);
    p += len;
  }
  if (p !== raw.byteLength) {
    throw invalidArgument(
      `input byte size mismatch for input '${src.tensorName}' for model '${src.modelName}': ` +
        `${raw.byteLength - p} bytes left after ${count} BYTES elements`,
    );
  }
  return elements;
}

/**
 * Reads an input's typed contents. Exactly the field matching `datatype` may be set (Triton's
 * rule), its length must equal `count`, and integer values must fit the datatype.
 */
export function decodeTypedTensor(
  datatype: DataType,
  count: number,
  contents: TensorContentsMessage,
  src: TensorSource,
): TensorData {
  const field = CONTENTS_FIELD[datatype];
  let values: readonly unknown[] = [];
  for (const key of Object.keys(FIELD_TYPE_NAME) as (keyof TensorContentsMessage)[]) {
    const list = contents[key];
    if (!Array.isArray(list) || list.length === 0) continue;
    if (key !== field) {
      throw invalidArgument(
        field === undefined
          ? `${datatype} input '${src.tensorName}' for model '${src.modelName}' must be sent in raw_input_contents`
          : `unexpected explicit tensor data for input tensor '${src.tensorName}' for model '${src.modelName}' of ` +
              `type '${FIELD_TYPE_NAME[key]}', expected datatype '${datatype}'`,
      );
    }
    values = list;
  }
  if (values.length !== count) {
    throw invalidArgument(
      `unexpected number of elements for input '${src.tensorName}' for model '${src.modelName}': ` +
        `shape holds ${count}, contents hold ${values.length}`,
    );
  }
  if (datatype === 'BYTES') return values as Uint8Array[];
  // NOTE: FP16/BF16 get here only for an empty tensor, as any typed value was refused above.
  if (datatype === 'FP16' || datatype === 'BF16') return new Uint16Array(0);
  return fillTyped(datatype, values, src);
}

function fillTyped(datatype: FixedDataType, values: readonly unknown[], src: TensorSource): FixedTensorData {
  const n = values.length;
  if (datatype === 'BOOL') return Uint8Array.from(values as boolean[], (v) => (v ? 1 : 0));
  if (datatype === 'INT64' || datatype === 'UINT64') {
    const out = datatype === 'INT64' ? new BigInt64Array(n) : new BigUint64Array(n);
    for (let i = 0; i < n; i++) out[i] = BigInt(values[i] as Int64);
    return out;
  }
  const out = new TYPED_ARRAY[datatype](n) as Exclude<FixedTensorData, BigInt64Array | BigUint64Array>;
  const range = INT_RANGE[datatype];
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (range && (v < range[0] || v > range[1])) {
      throw invalidArgument(`value ${v} of input '${src.tensorName}' is out of range for ${datatype}`);
    }
    out[i] = v;
  }
  return out;
}

/** Byte length of a tensor in raw form (BYTES elements with their 4-byte prefixes). */
function rawByteSize(tensor: Tensor): number {
  if (tensor.datatype !== 'BYTES') return (tensor.data as FixedTensorData).byteLength;
  let total = 0;
  for (const el of tensor.data as readonly Uint8Array[]) total += 4 + el.byteLength;
  return total;
}

/**
 * A tensor as one raw_output_contents entry: a view for fixed-size types, a new length-prefixed
 * buffer for BYTES. INTERNAL when the data does not hold exactly the shape's element count.
 */
export function encodeRawTensor(tensor: Tensor): Uint8Array {
  const count = elementCount(tensor.shape, tensor.name);
  const isBytes = tensor.datatype === 'BYTES';
  if (tensor.data.length !== count || isBytes !== Array.isArray(tensor.data)) {
    throw new InferError('INTERNAL', `output tensor shape does not match size of output for '${tensor.name}'`);
  }
  if (!isBytes) {
    const typed = tensor.data as FixedTensorData;
    return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  const out = Buffer.allocUnsafe(rawByteSize(tensor));
  let p = 0;
  for (const el of tensor.data as readonly Uint8Array[]) {
    out.writeUInt32LE(el.byteLength, p);
    out.set(el, p + 4);
    p += 4 + el.byteLength;
  }
  return out;
}
