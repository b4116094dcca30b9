import { describe, expect, it } from 'vitest';
import { InferError } from '../errors.js';
import { LlmResidency, type LlmResidencyPort } from './llm-residency.js';

const GiB = 2 ** 30;

/** A repository of named models with fixed sizes; loads take a tick and are counted. */
function fakePort(sizes: Record<string, number>) {
  const loaded = new Set<string>();
  const busy = new Set<string>();
  const events: string[] = [];
  let loading = 0;
  let maxParallelLoads = 0;
  const port: LlmResidencyPort = {
    isKnownLlm: async (name) => name in sizes,
    estimateBytes: async (name) => sizes[name]!,
    isLoaded: (name) => loaded.has(name),
    isBusy: (name) => busy.has(name),
    async load(name) {
      maxParallelLoads = Math.max(maxParallelLoads, ++loading);
      await new Promise((r) => setTimeout(r, 5));
      loading--;
      if (name === 'broken') throw new Error('bad file');
      loaded.add(name);
      events.push(`load ${name}`);
    },
    async unload(name) {
      loaded.delete(name);
      events.push(`unload ${name}`);
    },
  };
  return { port, loaded, busy, events, parallel: () => maxParallelLoads };
}

describe('LlmResidency', () => {
  it('loads on demand once, even for concurrent requests, and reports the state', async () => {
    const f = fakePort({ a: GiB });
    const r = new LlmResidency({ port: f.port, budgetBytes: 4 * GiB, defaultKeepAliveMs: 1000 });
    expect(r.state('a')).toBe('unloaded');
    await Promise.all([r.acquire('a'), r.acquire('a'), r.acquire('a')]);
    expect(f.events).toEqual(['load a']);
    expect(r.state('a')).toBe('loaded');
    expect(r.residentBytes()).toBe(GiB);
  });

  it('evicts the least recently used idle model to make room, never a busy one', async () => {
    let t = 0;
    const f = fakePort({ a: 2 * GiB, b: 2 * GiB, c: 2 * GiB });
    const r = new LlmResidency({ port: f.port, budgetBytes: 5 * GiB, defaultKeepAliveMs: 60_000, now: () => t });
    await r.acquire('a');
    t = 10;
    await r.acquire('b');
    t = 20;
    await r.acquire('a');
    await r.acquire('c');
    expect(f.events).toEqual(['load a', 'load b', 'unload b', 'load c']);
    f.busy.add('a');
    f.busy.add('c');
    const refused = await r.acquire('b').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InferError);
    expect((refused as InferError).code).toBe('UNAVAILABLE');
    expect((refused as InferError).message).toMatch(/held by models serving requests/);
    f.busy.delete('c');
    await r.acquire('b');
    expect(f.loaded).toEqual(new Set(['a', 'b']));
  });

  it('refuses a model larger than the whole budget with 507 and the numbers', async () => {
    const f = fakePort({ huge: 10 * GiB });
    const r = new LlmResidency({ port: f.port, budgetBytes: 4 * GiB, defaultKeepAliveMs: 1000 });
    const err = (await r.acquire('huge').catch((e: unknown) => e)) as InferError;
    expect(err.code).toBe('INSUFFICIENT_MEMORY');
    expect(err.httpStatus).toBe(507);
    expect(err.message).toMatch(/10\.00 GiB.*4\.00 GiB/);
    expect(f.events).toEqual([]);
  });

  it('unloads models idle past their keep-alive, honours overrides, and keeps adopted ones', async () => {
    let t = 0;
    const f = fakePort({ a: GiB, b: GiB, pinned: GiB });
    const r = new LlmResidency({ port: f.port, budgetBytes: 8 * GiB, defaultKeepAliveMs: 1000, now: () => t });
    f.loaded.add('pinned');
    await r.adopt('pinned');
    await r.acquire('a');
    await r.acquire('b', 5000);
    t = 999;
    expect(await r.sweep()).toEqual([]);
    f.busy.add('a');
    t = 1500;
    expect(await r.sweep()).toEqual([]);
    f.busy.delete('a');
    t = 2600;
    expect(await r.sweep()).toEqual(['a']);
    t = 6000;
    expect(await r.sweep()).toEqual(['b']);
    expect(f.loaded).toEqual(new Set(['pinned']));
  });

  it('answers NOT_FOUND for unknown models, forgets failed loads, and loads different models in parallel', async () => {
    const f = fakePort({ x: GiB, y: GiB, broken: GiB });
    const r = new LlmResidency({ port: f.port, budgetBytes: 8 * GiB, defaultKeepAliveMs: 1000 });
    await expect(r.acquire('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(r.acquire('broken')).rejects.toThrow('bad file');
    expect(r.residentBytes()).toBe(0);
    await Promise.all([r.acquire('x'), r.acquire('y')]);
    expect(f.parallel()).toBe(2);
  });
});
