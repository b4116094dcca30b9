/**
 * Reads and validates the header of an untrusted GGUF file before any engine maps it: magic,
 * version, bounded counts and lengths, known value and tensor types, tensor shapes, and tensor
 * data ranges that are aligned, inside the file and not overlapping. Only the header is read.
 */
import { open } from 'node:fs/promises';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  type GgmlTypeInfo,
  type GgufScalar,
  type GgufValue,
  type GgufValueType,
  ggmlTypeByCode,
  ggufValueTypeFromCode,
  tensorByteSize,
} from './gguf-types.js';

/** Bounds applied while parsing; anything larger is rejected as malformed. */
export interface GgufLimits {
  readonly maxTensors: number;
  readonly maxMetadataEntries: number;
  /** Longest single string (key, value or tensor name) in bytes. */
  readonly maxStringBytes: number;
  readonly maxArrayLength: number;
  readonly maxArrayDepth: number;
  /** Largest header (everything before the data section) in bytes. */
  readonly maxHeaderBytes: number;
}

/** Defaults generous enough for real LLMs (150k-token vocabularies, 10k tensors). */
export const DEFAULT_GGUF_LIMITS: GgufLimits = {
  maxTensors: 65_536,
  maxMetadataEntries: 65_536,
  maxStringBytes: 1 << 20,
  maxArrayLength: 1 << 24,
  maxArrayDepth: 4,
  maxHeaderBytes: 512 << 20,
};

/** ggml's limits on tensor names and ranks. */
const MAX_TENSOR_NAME_BYTES = 64;
const MAX_DIMS = 4;

/** A malformed or unsupported GGUF file; the message says what and where. */
export class GgufFormatError extends Error {
  override readonly name = 'GgufFormatError';
}

/** One tensor's header entry, with its absolute byte range in the file. */
export interface GgufTensorInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: GgmlTypeInfo;
  /** Offset relative to the data section. */
  readonly offset: number;
  readonly byteSize: number;
  readonly fileOffset: number;
}

/** The parsed, validated header. */
export interface GgufHeader {
  readonly version: number;
  readonly alignment: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly GgufTensorInfo[];
  /** Absolute file offset where the data section starts. */
  readonly dataOffset: number;
  readonly fileSize: number;
}

/** Thrown internally when the buffer ends before the header does. */
class NeedMoreBytes extends Error {}

class Cursor {
  pos = 0;
  private readonly view: DataView;
  private readonly decoder = new TextDecoder('utf-8');
  constructor(
    private readonly bytes: Uint8Array,
    private readonly complete: boolean,
    private readonly limits: GgufLimits,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.pos + n <= this.bytes.length) return;
    if (this.pos + n > this.limits.maxHeaderBytes) throw new GgufFormatError(`header exceeds ${this.limits.maxHeaderBytes} bytes while reading ${what}`);
    if (this.complete) throw new GgufFormatError(`file ends inside ${what} at byte ${this.pos}`);
    throw new NeedMoreBytes();
  }

  u8(what: string): number { this.need(1, what); return this.view.getUint8(this.pos++); }
  u32(what: string): number { this.need(4, what); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  u64(what: string): bigint { this.need(8, what); const v = this.view.getBigUint64(this.pos, true); this.pos += 8; return v; }

  /** A u64 that must fit `max`; returned as a number. */
  count(what: string, max: number): number {
    const v = this.u64(what);
    if (v > BigInt(max)) throw new GgufFormatError(`${what} is ${v}, more than the limit ${max}`);
    return Number(v);
  }

  string(what: string): string {
    const len = this.count(`${what} length`, this.limits.maxStringBytes);
    this.need(len, what);
    const s = this.decoder.decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  scalar(type: Exclude<GgufValueType, 'array'>, what: string): GgufScalar {
    const size = SCALAR_SIZE[type];
    if (type === 'string') return this.string(what);
    this.need(size, what);
    const at = this.pos;
    this.pos += size;
    switch (type) {
      case 'uint8': return this.view.getUint8(at);
      case 'int8': return this.view.getInt8(at);
      case 'uint16': return this.view.getUint16(at, true);
      case 'int16': return this.view.getInt16(at, true);
      case 'uint32': return this.view.getUint32(at, true);
      case 'int32': return this.view.getInt32(at, true);
      case 'float32': return this.view.getFloat32(at, true);
      case 'float64': return this.view.getFloat64(at, true);
      case 'uint64': return this.view.getBigUint64(at, true);
      case 'int64': return this.view.getBigInt64(at, true);
      case 'bool': {
        const b = this.view.getUint8(at);
        if (b > 1) throw new GgufFormatError(`${what}: bool byte ${b} is neither 0 nor 1`);
        return b === 1;
      }
    }
  }

  value(type: GgufValueType, what: string, depth: number): GgufValue {
    if (type !== 'array') return { type, value: this.scalar(type, what) };
    if (depth >= this.limits.maxArrayDepth) throw new GgufFormatError(`${what}: arrays nested deeper than ${this.limits.maxArrayDepth}`);
    const itemType = this.valueType(what);
    const n = this.count(`${what} array length`, this.limits.maxArrayLength);
    if (itemType === 'array') {
      const values: GgufValue[] = [];
      for (let i = 0; i < n; i++) values.push(this.value('array', `${what}[${i}]`, depth + 1));
      return { type: 'array', itemType, values };
    }
    // NOTE: check the whole fixed-size array fits before allocating, so a huge count cannot OOM us.
    if (itemType !== 'string') this.need(n * SCALAR_SIZE[itemType], what);
    const values: GgufScalar[] = new Array(n);
    for (let i = 0; i < n; i++) values[i] = this.scalar(itemType, `${what}[${i}]`);
    return { type: 'array', itemType, values };
  }

  valueType(what: string): GgufValueType {
    const code = this.u32(`${what} type`);
    const type = ggufValueTypeFromCode(code);
    if (!type) throw new GgufFormatError(`${what}: unknown value type ${code}`);
    return type;
  }
}

const SCALAR_SIZE: Readonly<Record<Exclude<GgufValueType, 'array'>, number>> = {
  uint8: 1, int8: 1, bool: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, uint64: 8, int64: 8, float64: 8, string: 8,
};

function readAlignment(metadata: ReadonlyMap<string, GgufValue>): number {
  const v = metadata.get('general.alignment');
  if (!v) return GGUF_DEFAULT_ALIGNMENT;
  if (v.type !== 'uint32') throw new GgufFormatError(`general.alignment must be uint32, got ${v.type}`);
  const a = Number(v.value);
  if (a === 0 || (a & (a - 1)) !== 0 || a > 1 << 16) throw new GgufFormatError(`general.alignment ${a} is not a power of two up to 65536`);
  return a;
}

interface RawTensor {
  readonly name: string;
  readonly dims: number[];
  readonly type: GgmlTypeInfo;
  readonly offset: number;
}

function readTensorInfo(c: Cursor, index: number): RawTensor {
  const name = c.string(`tensor ${index} name`);
  if (Buffer.byteLength(name) >= MAX_TENSOR_NAME_BYTES) throw new GgufFormatError(`tensor name '${name.slice(0, 80)}' is longer than ${MAX_TENSOR_NAME_BYTES - 1} bytes`);
  const nDims = c.u32(`tensor '${name}' rank`);
  if (nDims < 1 || nDims > MAX_DIMS) throw new GgufFormatError(`tensor '${name}' has rank ${nDims}, expected 1..${MAX_DIMS}`);
  const dims: number[] = [];
  let elements = 1;
  for (let d = 0; d < nDims; d++) {
    const dim = c.count(`tensor '${name}' dim ${d}`, Number.MAX_SAFE_INTEGER);
    if (dim < 1) throw new GgufFormatError(`tensor '${name}' has empty dimension ${d}`);
    elements *= dim;
    if (elements > Number.MAX_SAFE_INTEGER) throw new GgufFormatError(`tensor '${name}' has too many elements`);
    dims.push(dim);
  }
  const code = c.u32(`tensor '${name}' type`);
  const type = ggmlTypeByCode(code);
  if (!type) throw new GgufFormatError(`tensor '${name}' has unknown ggml type ${code}`);
  const offset = c.count(`tensor '${name}' offset`, Number.MAX_SAFE_INTEGER);
  return { name, dims, type, offset };
}

function placeTensors(raw: readonly RawTensor[], dataOffset: number, fileSize: number, alignment: number): GgufTensorInfo[] {
  const names = new Set<string>();
  const tensors = raw.map((t) => {
    if (names.has(t.name)) throw new GgufFormatError(`duplicate tensor name '${t.name}'`);
    names.add(t.name);
    const byteSize = tensorByteSize(t.type, t.dims);
    if (byteSize === undefined) throw new GgufFormatError(`tensor '${t.name}': dim 0 (${t.dims[0]}) is not a multiple of the ${t.type.name} block size ${t.type.blockSize}`);
    if (t.offset % alignment !== 0) throw new GgufFormatError(`tensor '${t.name}' offset ${t.offset} is not aligned to ${alignment}`);
    const fileOffset = dataOffset + t.offset;
    if (fileOffset + byteSize > fileSize) throw new GgufFormatError(`tensor '${t.name}' data [${fileOffset}, ${fileOffset + byteSize}) lies beyond the end of the file (${fileSize} bytes)`);
    return { name: t.name, dims: t.dims, type: t.type, offset: t.offset, byteSize, fileOffset };
  });
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (sorted[i]!.offset < prev.offset + prev.byteSize) throw new GgufFormatError(`tensors '${prev.name}' and '${sorted[i]!.name}' overlap`);
  }
  return tensors;
}

function parse(bytes: Uint8Array, fileSize: number, limits: GgufLimits): GgufHeader {
  const c = new Cursor(bytes, bytes.length >= fileSize, limits);
  if (c.u32('magic') !== GGUF_MAGIC) throw new GgufFormatError('not a GGUF file (bad magic)');
  const version = c.u32('version');
  if (version !== 2 && version !== 3) throw new GgufFormatError(`unsupported GGUF version ${version} (expected 2 or 3)`);
  const tensorCount = c.count('tensor count', limits.maxTensors);
  const kvCount = c.count('metadata entry count', limits.maxMetadataEntries);
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string(`metadata key ${i}`);
    if (metadata.has(key)) throw new GgufFormatError(`duplicate metadata key '${key}'`);
    metadata.set(key, c.value(c.valueType(`metadata '${key}'`), `metadata '${key}'`, 0));
  }
  const raw: RawTensor[] = [];
  for (let i = 0; i < tensorCount; i++) raw.push(readTensorInfo(c, i));
  const alignment = readAlignment(metadata);
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  if (tensorCount > 0 && dataOffset > fileSize) throw new GgufFormatError('file ends before the data section');
  return { version, alignment, metadata, tensors: placeTensors(raw, dataOffset, fileSize, alignment), dataOffset, fileSize };
}

/** Parses a GGUF header from bytes holding at least the whole header; `fileSize` defaults to their length. */
export function parseGgufHeader(bytes: Uint8Array, fileSize = bytes.length, limits: GgufLimits = DEFAULT_GGUF_LIMITS): GgufHeader {
  try {
    return parse(bytes, Math.max(fileSize, bytes.length), limits);
  } catch (err) {
    if (err instanceof NeedMoreBytes) throw new GgufFormatError('header is truncated');
    throw err;
  }
}

/** Reads and validates the header of the GGUF file at `path`, reading only as much as the header needs. */
export async function readGgufHeader(path: string, limits: GgufLimits = DEFAULT_GGUF_LIMITS): Promise<GgufHeader> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    let length = Math.min(size, 1 << 20);
    for (;;) {
      const buf = new Uint8Array(length);
      const { bytesRead } = await handle.read(buf, 0, length, 0);
      try {
        return parse(buf.subarray(0, bytesRead), size, limits);
      } catch (err) {
        if (!(err instanceof NeedMoreBytes)) throw err;
        length = Math.min(size, length * 4, limits.maxHeaderBytes);
      }
    }
  } finally {
    await handle.close();
  }
}

/** A string metadata value, or undefined when absent or not a string. */
export function ggufString(header: GgufHeader, key: string): string | undefined {
  const v = header.metadata.get(key);
  return v && v.type === 'string' ? (v.value as string) : undefined;
}

/** A numeric metadata value (any integer or float type), or undefined. */
export function ggufNumber(header: GgufHeader, key: string): number | undefined {
  const v = header.metadata.get(key);
  if (!v || v.type === 'array' || v.type === 'string' || v.type === 'bool') return undefined;
  return Number(v.value);
}

/** A boolean metadata value, or undefined. */
export function ggufBool(header: GgufHeader, key: string): boolean | undefined {
  const v = header.metadata.get(key);
  return v && v.type === 'bool' ? (v.value as boolean) : undefined;
}

/** The elements of an array metadata value of scalars, or undefined. */
export function ggufArray(header: GgufHeader, key: string): readonly GgufScalar[] | undefined {
  const v = header.metadata.get(key);
  return v && v.type === 'array' && v.itemType !== 'array' ? (v.values as readonly GgufScalar[]) : undefined;
}
