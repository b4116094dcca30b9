import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiKeys } from './api-keys.js';
import { KeyLimiter, loadKeyLimits, parseRateLimit, TokenBucket } from './rate-limit.js';

const keys = new ApiKeys([
  { key: 'first-key-0001', name: 'first' },
  { key: 'second-key-0002', name: 'second' },
]);
const first = keys.verify('first-key-0001')!;
const second = keys.verify('second-key-0002')!;

describe('parseRateLimit', () => {
  it('reads RPS and BURST, defaulting BURST to RPS rounded up', () => {
    expect(parseRateLimit('10:20')).toEqual({ perSecond: 10, burst: 20 });
    expect(parseRateLimit('2.5')).toEqual({ perSecond: 2.5, burst: 3 });
    expect(parseRateLimit('0.5')).toEqual({ perSecond: 0.5, burst: 1 });
  });

  it('refuses zero, negative, non-numeric and fractional bursts', () => {
    for (const bad of ['0', '-1', 'x', '10:0', '10:1.5', '', '1:2:3']) expect(() => parseRateLimit(bad)).toThrow(/RPS|BURST/);
  });
});

describe('TokenBucket', () => {
  it('admits a burst, then one request per refill interval, and says how long to wait', () => {
    const bucket = new TokenBucket({ perSecond: 2, burst: 2 }, 0);
    expect(bucket.take(0)).toBe(0);
    expect(bucket.take(0)).toBe(0);
    expect(bucket.take(0)).toBeCloseTo(0.5);
    expect(bucket.take(250)).toBeCloseTo(0.25);
    expect(bucket.take(500)).toBe(0);
    expect(bucket.take(500)).toBeGreaterThan(0);
  });

  it('never holds more than its burst after a long idle period', () => {
    const bucket = new TokenBucket({ perSecond: 100, burst: 3 }, 0);
    for (let i = 0; i < 3; i++) expect(bucket.take(3_600_000)).toBe(0);
    expect(bucket.take(3_600_000)).toBeGreaterThan(0);
  });
});

describe('KeyLimiter', () => {
  it('rate-limits each key on its own bucket, with Retry-After in whole seconds', () => {
    let now = 0;
    const limiter = new KeyLimiter({ rate: { perSecond: 0.2, burst: 1 } }, new Map(), () => now);
    expect(limiter.admit(first).ok).toBe(true);
    const denied = limiter.admit(first);
    expect(denied).toMatchObject({ ok: false, reason: 'rate', retryAfterSecs: 5 });
    expect(limiter.admit(second).ok).toBe(true);
    now = 5_000;
    expect(limiter.admit(first).ok).toBe(true);
  });

  it('caps concurrent requests per key until they are released; release is idempotent', () => {
    const limiter = new KeyLimiter({ maxConcurrency: 1 });
    const a = limiter.admit(first);
    expect(a.ok).toBe(true);
    expect(limiter.admit(first)).toMatchObject({ ok: false, reason: 'concurrency' });
    expect(limiter.admit(second).ok).toBe(true);
    if (a.ok) {
      a.release();
      a.release();
    }
    expect(limiter.inflight(first)).toBe(0);
    expect(limiter.admit(first).ok).toBe(true);
  });

  it('applies per-key overrides over the defaults', () => {
    const limiter = new KeyLimiter({ maxConcurrency: 1 }, new Map([['second', { maxConcurrency: 2 }]]));
    expect(limiter.admit(second).ok).toBe(true);
    expect(limiter.admit(second).ok).toBe(true);
    expect(limiter.admit(second).ok).toBe(false);
    expect(limiter.admit(first).ok).toBe(true);
    expect(limiter.admit(first).ok).toBe(false);
  });

  it('is disabled without any limit', () => {
    expect(new KeyLimiter({}).enabled).toBe(false);
    expect(new KeyLimiter({}, new Map([['x', { maxConcurrency: 1 }]])).enabled).toBe(true);
  });
});

describe('loadKeyLimits', () => {
  it('reads rateLimit and maxConcurrency by name, naming unnamed entries as the key store does', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'inferd-limits-'));
    try {
      const file = path.join(dir, 'keys.json');
      await writeFile(file, JSON.stringify([{ key: 'k'.repeat(10), name: 'a', rateLimit: '5:10' }, { key: 'j'.repeat(10) }, { key: 'i'.repeat(10), maxConcurrency: 3 }]));
      const limits = loadKeyLimits(file);
      expect(limits.get('a')).toEqual({ rate: { perSecond: 5, burst: 10 } });
      expect(limits.has('key-2')).toBe(false);
      expect(limits.get('key-3')).toEqual({ maxConcurrency: 3 });
      expect(new ApiKeys([{ key: 'k'.repeat(10) }, { key: 'j'.repeat(10) }, { key: 'i'.repeat(10) }]).verify('i'.repeat(10))?.name).toBe('key-3');
      await writeFile(file, JSON.stringify([{ key: 'k'.repeat(10), maxConcurrency: 0 }]));
      expect(() => loadKeyLimits(file)).toThrow(/maxConcurrency/);
      await writeFile(file, JSON.stringify([{ key: 'k'.repeat(10), name: 'x', maxConcurrency: 1 }, { key: 'j'.repeat(10), name: 'x', rateLimit: '1' }]));
      expect(() => loadKeyLimits(file)).toThrow(/unique/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
