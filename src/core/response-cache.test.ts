import { describe, expect, it } from 'vitest';
import { ResponseCache, responseCacheKey } from './response-cache.js';
import type { InferenceRequest, Tensor } from './types.js';

const signal = new AbortController().signal;

function request(inputs: Tensor[], outputs?: string[]): InferenceRequest {
  return {
    id: '',
    model: { name: 'm' },
    inputs,
    ...(outputs ? { outputs: outputs.map((name) => ({ name })) } : {}),
    parameters: {},
    priority: 0,
    signal,
  };
}

const fp32 = (name: string, values: number[], shape = [1, values.length]): Tensor => ({ name, datatype: 'FP32', shape, data: Float32Array.from(values) });
const bytes = (name: string, items: string[]): Tensor => ({ name, datatype: 'BYTES', shape: [items.length], data: items.map((s) => Buffer.from(s)) });

describe('responseCacheKey', () => {
  it('is stable for equal requests and independent of input order', () => {
    const a = request([fp32('A', [1, 2]), fp32('B', [3])]);
    const b = request([fp32('B', [3]), fp32('A', [1, 2])]);
    expect(responseCacheKey('m', 1, a)).toBe(responseCacheKey('m', 1, b));
  });

  it('changes with model, version, input name, datatype, shape, bytes and requested outputs', () => {
    const base = responseCacheKey('m', 1, request([fp32('A', [1, 2])]));
    const variants = [
      responseCacheKey('n', 1, request([fp32('A', [1, 2])])),
      responseCacheKey('m', 2, request([fp32('A', [1, 2])])),
      responseCacheKey('m', 1, request([fp32('B', [1, 2])])),
      responseCacheKey('m', 1, request([{ name: 'A', datatype: 'INT32', shape: [1, 2], data: Int32Array.from([1, 2]) }])),
      responseCacheKey('m', 1, request([fp32('A', [1, 2], [2, 1])])),
      responseCacheKey('m', 1, request([fp32('A', [1, 3])])),
      responseCacheKey('m', 1, request([fp32('A', [1, 2])], ['OUT'])),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('length-prefixes BYTES elements so different splits differ', () => {
    expect(responseCacheKey('m', 1, request([bytes('S', ['ab', 'c'])]))).not.toBe(responseCacheKey('m', 1, request([bytes('S', ['a', 'bc'])])));
  });

  it('hashes only the viewed bytes of a typed array', () => {
    const big = Float32Array.from([9, 1, 2, 9]);
    const view: Tensor = { name: 'A', datatype: 'FP32', shape: [1, 2], data: big.subarray(1, 3) };
    expect(responseCacheKey('m', 1, request([view]))).toBe(responseCacheKey('m', 1, request([fp32('A', [1, 2])])));
  });
});

describe('ResponseCache', () => {
  const out = (n: number): Tensor[] => [{ name: 'O', datatype: 'FP32', shape: [n], data: new Float32Array(n) }];

  it('returns a copy of what was stored', () => {
    const cache = new ResponseCache(10_000);
    const stored = out(4);
    cache.insert('k', stored);
    (stored[0]!.data as Float32Array)[0] = 42;
    expect(Array.from(cache.lookup('k')![0]!.data as Float32Array)).toEqual([0, 0, 0, 0]);
    expect(cache.lookup('other')).toBeUndefined();
  });

  it('evicts least recently used entries by bytes', () => {
    // Each entry: 64 + 1 (key) + 32 + 1 (name) + 400 bytes = 498.
    const cache = new ResponseCache(1200);
    cache.insert('a', out(100));
    cache.insert('b', out(100));
    expect(cache.lookup('a')).toBeDefined(); // a is now most recent
    cache.insert('c', out(100));
    expect(cache.lookup('b')).toBeUndefined();
    expect(cache.lookup('a')).toBeDefined();
    expect(cache.lookup('c')).toBeDefined();
    expect(cache.stats()).toMatchObject({ entries: 2, usedBytes: 996, evictions: 1 });
  });

  it('refuses an entry larger than the whole cache and keeps the rest', () => {
    const cache = new ResponseCache(600);
    cache.insert('a', out(100));
    expect(cache.insert('b', out(1000))).toBe(false);
    expect(cache.lookup('a')).toBeDefined();
  });

  it('rejects a non-positive size', () => {
    expect(() => new ResponseCache(0)).toThrow(/positive/);
  });
});
