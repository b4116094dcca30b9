/**
 * Tensor data in the binary tensor data extension's form: little-endian, row-major, no padding;
 * BYTES elements each carry a 4-byte little-endian length prefix. Decoding returns views over the
 * request body wherever the typed array's alignment allows, and copies only when it does not.
 */
import { invalidArgument } from '../../core/errors.js';
import type { DataType, TensorData } from '../../core/types.js';
import { ELEMENT_SIZE, TYPED_ARRAY } from './tensor-layout.js';

/** Where one input's raw bytes sit in the body, and the context for error messages. */
export interface BinarySlice {
  readonly body: Buffer;
  readonly offset: number;
  readonly byteSize: number;
  readonly modelName: string;
}

/**
 * Interprets `byteSize` bytes at `offset` of `body` as `count` elements of `datatype`.
 * NOTE: assumes a little-endian host, as x86-64 and arm64 are; the wire format is little-endian.
 */
export function decodeBinaryData(name: string, datatype: DataType, count: number, slice: BinarySlice): TensorData {
  if (datatype === 'BYTES') return decodeBytes(name, count, slice);
  const { body, offset, byteSize } = slice;
  const size = ELEMENT_SIZE[datatype];
  if (count * size !== byteSize) {
    throw invalidArgument(
      `input byte size mismatch for input '${name}' for model '${slice.modelName}'. ` +
        `Expected ${count * size}, got ${byteSize}`,
    );
  }
  const Ctor = TYPED_ARRAY[datatype];
  const start = body.byteOffset + offset;
  if (start % size === 0) return new Ctor(body.buffer, start, count);
  const copy = new Uint8Array(byteSize);
  copy.set(body.subarray(offset, offset + byteSize));
  return new Ctor(copy.buffer, 0, count);
}

function decodeBytes(name: string, count: number, slice: BinarySlice): Uint8Array[] {
  const { body, offset, byteSize } = slice;
  // Every element needs at least its 4-byte prefix, so a huge shape is refused before allocating.
  if (count * 4 > byteSize) {
    throw invalidArgument(
      `input byte size mismatch for input '${name}' for model '${slice.modelName}': ` +
        `${count} BYTES elements cannot fit in ${byteSize} bytes`,
    );
  }
  const end = offset + byteSize;
  const elements = new Array<Uint8Array>(count);
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) {
      throw invalidArgument(`input '${name}': BYTES element ${i} has no room for its 4-byte length prefix`);
    }
    const len = body.readUInt32LE(p);
    p += 4;
    if (len > end - p) {
      throw invalidArgument(
        `input '${name}': BYTES element ${i} declares ${len} bytes but only ${end - p} remain in its binary data`,
      );
    }
    elements[i] = body.subarray(p, p + len);
    p += len;
  }
  if (p !== end) {
    throw invalidArgument(
      `input byte size mismatch for input '${name}' for model '${slice.modelName}': ` +
        `${end - p} bytes left after ${count} BYTES elements`,
    );
  }
  return elements;
}

/** Byte length of tensor storage in binary form (BYTES elements with their prefixes). */
export function binaryByteSize(datatype: DataType, data: TensorData): number {
  if (datatype !== 'BYTES') return (data as Exclude<TensorData, readonly Uint8Array[]>).byteLength;
  let total = 0;
  for (const el of data as readonly Uint8Array[]) total += 4 + el.byteLength;
  return total;
}

/** Tensor storage as wire bytes: a view for fixed-size types, a new length-prefixed buffer for BYTES. */
export function encodeBinaryData(datatype: DataType, data: TensorData): Uint8Array {
  if (datatype !== 'BYTES') {
    const typed = data as Exclude<TensorData, readonly Uint8Array[]>;
    return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  const elements = data as readonly Uint8Array[];
  const out = Buffer.allocUnsafe(binaryByteSize(datatype, data));
  let p = 0;
  for (const el of elements) {
    out.writeUInt32LE(el.byteLength, p);
    out.set(el, p + 4);
    p += 4 + el.byteLength;
  }
  return out;
}
