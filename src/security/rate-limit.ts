/**
 * Per-API-key admission: a token bucket (requests per second with a burst) and a cap on
 * concurrent requests, both optional, with defaults for every key and per-key overrides from the
 * keys file. Shared by the HTTP and gRPC front-ends; state lives per key entry, so two keys never
 * share a budget. Keys themselves are never stored here, only the entries the key store returns.
 */
import { readFileSync } from 'node:fs';
import type { ApiKeyEntry } from './api-keys.js';

/** A token bucket's settings. */
export interface RateLimit {
  /** Tokens added per second (may be fractional: 0.5 = one request every two seconds). */
  readonly perSecond: number;
  /** Bucket capacity: the most requests admitted back to back after an idle period. */
  readonly burst: number;
}

/** The limits of one key; an absent field means "no limit of that kind". */
export interface KeyLimits {
  readonly rate?: RateLimit;
  readonly maxConcurrency?: number;
}

/** The outcome of `KeyLimiter.admit`. */
export type Admission =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly reason: 'rate' | 'concurrency'; readonly retryAfterSecs: number; readonly message: string };

/** Parses `RPS[:BURST]`; BURST defaults to RPS rounded up (at least 1). */
export function parseRateLimit(spec: string): RateLimit {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(?::\s*([0-9]+)\s*)?$/.exec(spec);
  const perSecond = m ? Number(m[1]) : NaN;
  if (!m || !(perSecond > 0) || !Number.isFinite(perSecond)) throw new Error(`rate limit '${spec}': expected RPS[:BURST] with RPS > 0, e.g. 10 or 10:20`);
  const burst = m[2] === undefined ? Math.max(1, Math.ceil(perSecond)) : Number(m[2]);
  if (!Number.isSafeInteger(burst) || burst < 1) throw new Error(`rate limit '${spec}': BURST must be an integer >= 1`);
  return { perSecond, burst };
}

function parseConcurrency(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new Error(`${what}: maxConcurrency must be an integer >= 1`);
  return value;
}

/**
 * Reads the per-key `rateLimit` ("RPS[:BURST]") and `maxConcurrency` fields of an API keys file,
 * keyed by entry name. Unnamed entries get the key store's default name (`key-N`, N counting
 * file entries from 1), so the two always agree.
 */
export function loadKeyLimits(file: string | undefined): ReadonlyMap<string, KeyLimits> {
  const out = new Map<string, KeyLimits>();
  if (!file) return out;
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed)) return out;
  parsed.forEach((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null) return;
    const entry = raw as { name?: unknown; rateLimit?: unknown; maxConcurrency?: unknown };
    if (entry.rateLimit === undefined && entry.maxConcurrency === undefined) return;
    const name = typeof entry.name === 'string' ? entry.name : `key-${i + 1}`;
    const what = `API key '${name}'`;
    if (out.has(name)) throw new Error(`${what}: two entries with limits share this name; names must be unique`);
    if (entry.rateLimit !== undefined && typeof entry.rateLimit !== 'string') throw new Error(`${what}: rateLimit must be a string "RPS[:BURST]"`);
    out.set(name, {
      ...(entry.rateLimit !== undefined ? { rate: parseRateLimit(entry.rateLimit as string) } : {}),
      ...(entry.maxConcurrency !== undefined ? { maxConcurrency: parseConcurrency(entry.maxConcurrency, what) } : {}),
    });
  });
  return out;
}

/** A token bucket over a millisecond clock; refills continuously. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.last = now;
  }

  /** Takes one token and returns 0, or returns the seconds until one is available (nothing taken). */
  take(now: number): number {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsed * this.limit.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.limit.perSecond;
  }
}

interface KeyState {
  readonly limits: KeyLimits;
  readonly bucket?: TokenBucket;
  inflight: number;
}

/** Admission control per API key. Single-threaded (the event loop): no locking needed. */
export class KeyLimiter {
  private readonly state = new WeakMap<ApiKeyEntry, KeyState>();

  constructor(
    private readonly defaults: KeyLimits,
    private readonly perKey: ReadonlyMap<string, KeyLimits> = new Map(),
    private readonly clock: () => number = Date.now,
  ) {}

  /** True when any key can be limited at all. */
  get enabled(): boolean {
    return this.defaults.rate !== undefined || this.defaults.maxConcurrency !== undefined || this.perKey.size > 0;
  }

  /**
   * Admits one request of `key`. On success the caller must call `release()` exactly once when
   * the request is over (answered, failed or abandoned); extra calls are ignored.
   */
  admit(key: ApiKeyEntry): Admission {
    const s = this.stateOf(key);
    const max = s.limits.maxConcurrency;
    if (max !== undefined && s.inflight >= max) {
      return { ok: false, reason: 'concurrency', retryAfterSecs: 1, message: `too many concurrent requests for this API key (limit ${max})` };
    }
    const wait = s.bucket?.take(this.clock()) ?? 0;
    if (wait > 0) {
      return { ok: false, reason: 'rate', retryAfterSecs: Math.max(1, Math.ceil(wait)), message: 'rate limit exceeded for this API key' };
    }
    s.inflight++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        s.inflight--;
      },
    };
  }

  /** Requests of `key` now in flight (for tests and diagnostics). */
  inflight(key: ApiKeyEntry): number {
    return this.state.get(key)?.inflight ?? 0;
  }

  private stateOf(key: ApiKeyEntry): KeyState {
    let s = this.state.get(key);
    if (!s) {
      const limits = { ...this.defaults, ...this.perKey.get(key.name) };
      s = { limits, inflight: 0, ...(limits.rate ? { bucket: new TokenBucket(limits.rate, this.clock()) } : {}) };
      this.state.set(key, s);
    }
    return s;
  }
}
