/**
 * Writes GGUF v3 files: header, metadata key/values, tensor infos, then the aligned data
 * section. Tensor data is produced lazily, one tensor at a time, so a file far larger than
 * the memory one tensor needs can be streamed to disk.
 */
import { open } from 'node:fs/promises';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VALUE_TYPE_CODE,
  GGUF_VERSION,
  type GgufScalar,
  type GgufScalarType,
  type GgufValue,
  type GgufWritableTensorType,
  tensorByteSize,
  writableTypeInfo,
} from './gguf-types.js';
import { encodeTensorData } from './tensor-encoding.js';

/** One tensor to write. `dims` are in ggml order: `dims[0]` is the contiguous (row) dimension. */
export interface GgufTensorSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: GgufWritableTensorType;
  /** The tensor's values in row-major order; called once, when the tensor is written. */
  readonly values: () => Float32Array;
}

/** A whole file: ordered metadata and tensors. */
export interface GgufFileSpec {
  readonly metadata: readonly (readonly [string, GgufValue])[];
  readonly tensors: readonly GgufTensorSpec[];
}

/** A growable little-endian byte buffer for the header part. */
class ByteBuilder {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void { this.reserve(1); this.view.setUint8(this.length, v); this.length += 1; }
  i8(v: number): void { this.reserve(1); this.view.setInt8(this.length, v); this.length += 1; }
  u16(v: number): void { this.reserve(2); this.view.setUint16(this.length, v, true); this.length += 2; }
  i16(v: number): void { this.reserve(2); this.view.setInt16(this.length, v, true); this.length += 2; }
  u32(v: number): void { this.reserve(4); this.view.setUint32(this.length, v, true); this.length += 4; }
  i32(v: number): void { this.reserve(4); this.view.setInt32(this.length, v, true); this.length += 4; }
  f32(v: number): void { this.reserve(4); this.view.setFloat32(this.length, v, true); this.length += 4; }
  f64(v: number): void { this.reserve(8); this.view.setFloat64(this.length, v, true); this.length += 8; }
  u64(v: number | bigint): void { this.reserve(8); this.view.setBigUint64(this.length, BigInt(v), true); this.length += 8; }
  i64(v: number | bigint): void { this.reserve(8); this.view.setBigInt64(this.length, BigInt(v), true); this.length += 8; }
  bytes(b: Uint8Array): void { this.reserve(b.length); this.buf.set(b, this.length); this.length += b.length; }
  string(s: string): void { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.bytes(b); }
  padTo(alignment: number): void { while (this.length % alignment !== 0) this.u8(0); }
  result(): Uint8Array { return this.buf.slice(0, this.length); }
}

function writeScalar(out: ByteBuilder, type: GgufScalarType, v: GgufScalar): void {
  switch (type) {
    case 'uint8': return out.u8(Number(v));
    case 'int8': return out.i8(Number(v));
    case 'uint16': return out.u16(Number(v));
    case 'int16': return out.i16(Number(v));
    case 'uint32': return out.u32(Number(v));
    case 'int32': return out.i32(Number(v));
    case 'float32': return out.f32(Number(v));
    case 'float64': return out.f64(Number(v));
    case 'uint64': return out.u64(typeof v === 'bigint' ? v : BigInt(Number(v)));
    case 'int64': return out.i64(typeof v === 'bigint' ? v : BigInt(Number(v)));
    case 'bool': return out.u8(v ? 1 : 0);
    case 'string': return out.string(String(v));
  }
}

function writeValueBody(out: ByteBuilder, value: GgufValue): void {
  if (value.type !== 'array') return writeScalar(out, value.type, value.value);
  out.u32(GGUF_VALUE_TYPE_CODE[value.itemType]);
  out.u64(value.values.length);
  const items = value.values as ArrayLike<GgufScalar | GgufValue>;
  for (let i = 0; i < items.length; i++) {
    if (value.itemType === 'array') writeValueBody(out, items[i] as GgufValue);
    else writeScalar(out, value.itemType, items[i] as GgufScalar);
  }
}

function alignmentOf(spec: GgufFileSpec): number {
  const entry = spec.metadata.find(([k]) => k === 'general.alignment');
  return entry && entry[1].type !== 'array' ? Number(entry[1].value) : GGUF_DEFAULT_ALIGNMENT;
}

interface TensorLayout {
  readonly spec: GgufTensorSpec;
  readonly offset: number;
  readonly size: number;
}

function layoutTensors(spec: GgufFileSpec, alignment: number): TensorLayout[] {
  const names = new Set<string>();
  let offset = 0;
  return spec.tensors.map((t) => {
    if (names.has(t.name)) throw new Error(`duplicate tensor name '${t.name}'`);
    names.add(t.name);
    const size = tensorByteSize(writableTypeInfo(t.type), t.dims);
    if (size === undefined) throw new Error(`tensor '${t.name}': dims[0]=${t.dims[0]} is not a multiple of the ${t.type} block size`);
    const layout = { spec: t, offset, size };
    offset += Math.ceil(size / alignment) * alignment;
    return layout;
  });
}

/** Encodes everything before the data section (header, metadata, tensor infos, padding). */
function encodeHeader(spec: GgufFileSpec, layout: readonly TensorLayout[], alignment: number): Uint8Array {
  const out = new ByteBuilder();
  out.u32(GGUF_MAGIC);
  out.u32(GGUF_VERSION);
  out.u64(spec.tensors.length);
  out.u64(spec.metadata.length);
  for (const [key, value] of spec.metadata) {
    out.string(key);
    out.u32(GGUF_VALUE_TYPE_CODE[value.type]);
    writeValueBody(out, value);
  }
  for (const { spec: t, offset } of layout) {
    out.string(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(writableTypeInfo(t.type).code);
    out.u64(offset);
  }
  out.padTo(alignment);
  return out.result();
}

function encodeTensor(t: TensorLayout): Uint8Array {
  const values = t.spec.values();
  const expected = t.spec.dims.reduce((a, b) => a * b, 1);
  if (values.length !== expected) throw new Error(`tensor '${t.spec.name}': ${values.length} values for ${expected} elements`);
  return encodeTensorData(t.spec.type, values);
}

function paddingAfter(t: TensorLayout, alignment: number): number {
  return Math.ceil(t.size / alignment) * alignment - t.size;
}

/** Encodes a whole GGUF file in memory (small models and tests). */
export function encodeGguf(spec: GgufFileSpec): Uint8Array {
  const alignment = alignmentOf(spec);
  const layout = layoutTensors(spec, alignment);
  const header = encodeHeader(spec, layout, alignment);
  const last = layout[layout.length - 1];
  const dataSize = last ? last.offset + last.size + paddingAfter(last, alignment) : 0;
  const out = new Uint8Array(header.length + dataSize);
  out.set(header);
  for (const t of layout) out.set(encodeTensor(t), header.length + t.offset);
  return out;
}

/** Streams a GGUF file to `path`, holding one tensor's data in memory at a time. Returns the file size. */
export async function writeGgufFile(path: string, spec: GgufFileSpec): Promise<number> {
  const alignment = alignmentOf(spec);
  const layout = layoutTensors(spec, alignment);
  const handle = await open(path, 'w');
  try {
    let position = 0;
    const write = async (bytes: Uint8Array): Promise<void> => {
      await handle.write(bytes, 0, bytes.length, position);
      position += bytes.length;
    };
    await write(encodeHeader(spec, layout, alignment));
    for (const t of layout) {
      await write(encodeTensor(t));
      const pad = paddingAfter(t, alignment);
      if (pad > 0) await write(new Uint8Array(pad));
    }
    return position;
  } finally {
    await handle.close();
  }
}
