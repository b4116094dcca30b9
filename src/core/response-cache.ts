/**
 * Triton's local response cache: outputs of earlier requests keyed by a hash of the model, its
 * version and every input's name, datatype, shape and bytes, evicted least-recently-used by size.
 * One cache serves every model that sets `response_cache { enable: true }`. Single-threaded: the
 * event loop is the only caller.
 */
import { createHash, type Hash } from 'node:crypto';
import type { InferenceRequest, Tensor, TensorData } from './types.js';

/** What one cached response costs: output bytes plus a fixed overhead per tensor and entry. */
const ENTRY_OVERHEAD = 64;
const TENSOR_OVERHEAD = 32;

interface Entry {
  readonly outputs: readonly Tensor[];
  readonly bytes: number;
}

/** A snapshot of the cache's counters. */
export interface ResponseCacheStats {
  readonly entries: number;
  readonly usedBytes: number;
  readonly maxBytes: number;
  readonly evictions: number;
}

/** A bounded LRU map from request hash to output tensors. */
export class ResponseCache {
  /** NOTE: Map keeps insertion order; a hit re-inserts its key, so the first key is the LRU one. */
  private readonly entries = new Map<string, Entry>();
  private used = 0;
  private evictions = 0;

  /** `maxBytes`: total size budget (Triton's `--cache-config local,size=BYTES`). */
  constructor(readonly maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new Error(`response cache size must be a positive integer, got ${maxBytes}`);
  }

  /** The cached outputs for `key`, marking the entry most recently used; undefined on a miss. */
  lookup(key: string): readonly Tensor[] | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.outputs;
  }

  /**
   * Stores a copy of `outputs` under `key`, evicting least-recently-used entries until it fits.
   * Returns false when the entry alone is larger than the whole cache (it is then not stored).
   */
  insert(key: string, outputs: readonly Tensor[]): boolean {
    const bytes = entrySize(key, outputs);
    if (bytes > this.maxBytes) return false;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.used -= old.bytes;
    }
    while (this.used + bytes > this.maxBytes) {
      const [lruKey, lru] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(lruKey);
      this.used -= lru.bytes;
      this.evictions += 1;
    }
    // NOTE: a copy, so a cached tensor never pins a whole batch buffer it was sliced from.
    this.entries.set(key, { outputs: outputs.map(copyTensor), bytes });
    this.used += bytes;
    return true;
  }

  /** Counters for tests and diagnostics. */
  stats(): ResponseCacheStats {
    return { entries: this.entries.size, usedBytes: this.used, maxBytes: this.maxBytes, evictions: this.evictions };
  }
}

/**
 * The cache key of `request` for model `name` version `version`: sha256 over the model, version,
 * requested output names, and every input (sorted by name) with its datatype, shape and bytes;
 * BYTES elements are length-prefixed so ["ab","c"] and ["a","bc"] differ.
 */
export function responseCacheKey(name: string, version: number, request: InferenceRequest): string {
  const hash = createHash('sha256');
  field(hash, name);
  field(hash, String(version));
  // NOTE: backends return only the requested outputs, so the requested set is part of the key.
  const outputs = request.outputs ? request.outputs.map((o) => o.name).sort() : ['*'];
  field(hash, outputs.join('\u0000'));
  for (const t of [...request.inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    field(hash, t.name);
    field(hash, t.datatype);
    field(hash, t.shape.join(','));
    hashData(hash, t.data);
  }
  return hash.digest('hex');
}

function field(hash: Hash, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  hash.update(lengthPrefix(bytes.length));
  hash.update(bytes);
}

function lengthPrefix(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function hashData(hash: Hash, data: TensorData): void {
  if (Array.isArray(data)) {
    const elements = data as readonly Uint8Array[];
    hash.update(lengthPrefix(elements.length));
    for (const el of elements) {
      hash.update(lengthPrefix(el.length));
      hash.update(el);
    }
    return;
  }
  const view = data as Exclude<TensorData, readonly Uint8Array[]>;
  hash.update(lengthPrefix(view.byteLength));
  hash.update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
}

function entrySize(key: string, outputs: readonly Tensor[]): number {
  let bytes = ENTRY_OVERHEAD + key.length;
  for (const t of outputs) bytes += TENSOR_OVERHEAD + t.name.length + dataBytes(t.data);
  return bytes;
}

function dataBytes(data: TensorData): number {
  if (Array.isArray(data)) return (data as readonly Uint8Array[]).reduce((n, el) => n + 4 + el.length, 0);
  return (data as Exclude<TensorData, readonly Uint8Array[]>).byteLength;
}

function copyTensor(t: Tensor): Tensor {
  const data = Array.isArray(t.data)
    ? (t.data as readonly Uint8Array[]).map((el) => el.slice())
    : (t.data as Exclude<TensorData, readonly Uint8Array[]>).slice();
  return { name: t.name, datatype: t.datatype, shape: [...t.shape], data };
}
