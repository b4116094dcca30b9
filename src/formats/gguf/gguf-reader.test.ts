import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GgufFormatError, ggufArray, ggufNumber, ggufString, parseGgufHeader, readGgufHeader } from './gguf-reader.js';
import { encodeGguf, writeGgufFile, type GgufFileSpec } from './gguf-writer.js';
import { tinyLlamaGguf } from './tiny-llama.js';

const small: GgufFileSpec = {
  metadata: [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['n', { type: 'uint64', value: 7n }],
    ['flag', { type: 'bool', value: true }],
    ['nested', { type: 'array', itemType: 'array', values: [{ type: 'array', itemType: 'int32', values: [1, -2] }] }],
  ],
  tensors: [
    { name: 'a', dims: [4, 2], type: 'F32', values: () => Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) },
    { name: 'b', dims: [32], type: 'Q8_0', values: () => new Float32Array(32).fill(0.5) },
  ],
};

/** Offset of the first tensor info's offset field in `small` (found by re-encoding). */
function patch(bytes: Uint8Array, at: number, write: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  write(new DataView(copy.buffer, at));
  return copy;
}

describe('GGUF writer and reader', () => {
  const bytes = encodeGguf(small);

  it('round-trips metadata, tensor infos and aligned offsets', () => {
    const h = parseGgufHeader(bytes);
    expect(h.version).toBe(3);
    expect(ggufString(h, 'general.architecture')).toBe('llama');
    expect(h.metadata.get('n')).toEqual({ type: 'uint64', value: 7n });
    expect(h.metadata.get('flag')).toEqual({ type: 'bool', value: true });
    expect(h.metadata.get('nested')).toEqual(small.metadata[3]![1]);
    expect(h.tensors.map((t) => [t.name, t.dims, t.type.name, t.byteSize])).toEqual([
      ['a', [4, 2], 'F32', 32],
      ['b', [32], 'Q8_0', 34],
    ]);
    expect(h.dataOffset % 32).toBe(0);
    expect(h.tensors[1]!.offset).toBe(32);
    const a = new Float32Array(bytes.slice(h.tensors[0]!.fileOffset, h.tensors[0]!.fileOffset + 32).buffer);
    expect(Array.from(a)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('rejects a bad magic, an unknown version and truncation', () => {
    expect(() => parseGgufHeader(patch(bytes, 0, (v) => v.setUint32(0, 0x12345678, true)))).toThrow(/bad magic/);
    expect(() => parseGgufHeader(patch(bytes, 4, (v) => v.setUint32(0, 1, true)))).toThrow(/version 1/);
    expect(() => parseGgufHeader(bytes.slice(0, 40))).toThrow(GgufFormatError);
  });

  it('rejects counts beyond the limits before allocating', () => {
    const huge = patch(bytes, 16, (v) => v.setBigUint64(0, 1n << 40n, true));
    expect(() => parseGgufHeader(huge)).toThrow(/metadata entry count/);
    const limited = { maxTensors: 1, maxMetadataEntries: 10, maxStringBytes: 100, maxArrayLength: 10, maxArrayDepth: 2, maxHeaderBytes: 1 << 20 };
    expect(() => parseGgufHeader(bytes, bytes.length, limited)).toThrow(/tensor count is 2/);
  });

  it('rejects tensor data that lies outside the file', () => {
    const h = parseGgufHeader(bytes);
    expect(() => parseGgufHeader(bytes.slice(0, h.tensors[1]!.fileOffset + 10), h.tensors[1]!.fileOffset + 10)).toThrow(/beyond the end/);
  });

  it('rejects misaligned, overlapping and unknown-type tensors', () => {
    const h = parseGgufHeader(bytes);
    // The tensor infos end right before the data padding: 'b' offset is the last u64, its type the u32 before.
    const infoEnd = findInfoEnd(bytes);
    const offsetAt = infoEnd - 8;
    expect(() => parseGgufHeader(patch(bytes, offsetAt, (v) => v.setBigUint64(0, 33n, true)))).toThrow(/not aligned/);
    expect(() => parseGgufHeader(patch(bytes, offsetAt, (v) => v.setBigUint64(0, 0n, true)))).toThrow(/overlap/);
    expect(() => parseGgufHeader(patch(bytes, offsetAt - 4, (v) => v.setUint32(0, 4, true)))).toThrow(/unknown ggml type 4/);
    expect(h.tensors).toHaveLength(2);
  });

  it('streams a file to disk that reads back identically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gguf-'));
    afterAll(() => rm(dir, { recursive: true, force: true }));
    const spec = tinyLlamaGguf({ tensorType: 'Q8_0', seed: 3 });
    const path = join(dir, 'm.gguf');
    const size = await writeGgufFile(path, spec);
    const h = await readGgufHeader(path);
    expect(h.fileSize).toBe(size);
    expect(Buffer.compare(Buffer.from(encodeGguf(spec)), Buffer.from(await import('node:fs/promises').then((f) => f.readFile(path))))).toBe(0);
    expect(ggufNumber(h, 'llama.block_count')).toBe(2);
    expect(ggufArray(h, 'tokenizer.ggml.tokens')?.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect(h.tensors.find((t) => t.name === 'blk.0.attn_q.weight')?.type.name).toBe('Q8_0');
    expect(h.tensors.find((t) => t.name === 'blk.0.attn_norm.weight')?.type.name).toBe('F32');
  });

  it('rejects a file that is not GGUF at all', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gguf-'));
    afterAll(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'x.gguf'), 'hello, this is not a model');
    await expect(readGgufHeader(join(dir, 'x.gguf'))).rejects.toThrow(/bad magic/);
  });
});

/** Position right after the last tensor info (the start of the alignment padding). */
function findInfoEnd(bytes: Uint8Array): number {
  const name = Buffer.from('b');
  // 'b' is the last tensor: u64 len=1, 'b', u32 rank=1, u64 dim=32, u32 type, u64 offset.
  for (let i = bytes.length - 1; i >= 8; i--) {
    const view = new DataView(bytes.buffer, i - 8);
    if (view.getBigUint64(0, true) === 1n && bytes[i] === name[0] && new DataView(bytes.buffer, i + 1).getUint32(0, true) === 1) {
      return i + 1 + 4 + 8 + 4 + 8;
    }
  }
  throw new Error('tensor info not found');
}
