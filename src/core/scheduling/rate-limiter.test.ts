import { describe, expect, it } from 'vitest';
import type { BatchInstance } from '../../backends/backend.js';
import type { ModelConfig } from '../../config/model-config.js';
import type { InferenceRequest } from '../types.js';
import { instanceNeeds, rateLimitInstances } from './rate-limited-instance.js';
import { RateLimiter, parseResourceLimit } from './rate-limiter.js';

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('RateLimiter', () => {
  it('lets an instance run only while its resources are free (default capacity = largest need)', async () => {
    const limiter = new RateLimiter();
    const a = limiter.register({ device: 'cpu', resources: [{ name: 'R', count: 2 }], priority: 1 });
    const b = limiter.register({ device: 'cpu', resources: [{ name: 'R', count: 1 }], priority: 1 });
    expect(limiter.capacity('cpu/R')).toBe(2);
    const releaseA = await a.acquire();
    let bGranted = false;
    const bDone = b.acquire().then((release) => {
      bGranted = true;
      return release;
    });
    await settle();
    expect(bGranted).toBe(false);
    releaseA();
    const releaseB = await bDone;
    expect(limiter.used('cpu/R')).toBe(1);
    releaseB();
    releaseB(); // a second release is a no-op
    expect(limiter.used('cpu/R')).toBe(0);
  });

  it('counts non-global resources per device and global ones once', async () => {
    const limiter = new RateLimiter();
    const gpu0 = limiter.register({ device: 'gpu:0', resources: [{ name: 'R', count: 1 }], priority: 1 });
    const gpu1 = limiter.register({ device: 'gpu:1', resources: [{ name: 'R', count: 1 }], priority: 1 });
    await gpu0.acquire();
    await gpu1.acquire(); // another device: its own R
    const g0 = limiter.register({ device: 'gpu:0', resources: [{ name: 'G', global: true, count: 1 }], priority: 1 });
    const g1 = limiter.register({ device: 'gpu:1', resources: [{ name: 'G', global: true, count: 1 }], priority: 1 });
    const releaseG0 = await g0.acquire();
    let g1Granted = false;
    void g1.acquire().then(() => (g1Granted = true));
    await settle();
    expect(g1Granted).toBe(false);
    releaseG0();
    await settle();
    expect(g1Granted).toBe(true);
  });

  it('uses explicit capacities and refuses instances that could never run', async () => {
    const limiter = new RateLimiter([parseResourceLimit('R:3'), parseResourceLimit('R:1:0')]);
    expect(() => limiter.register({ device: 'gpu:0', resources: [{ name: 'R', count: 2 }], priority: 1 })).toThrow(/limited to 1/);
    const cpu = limiter.register({ device: 'cpu', resources: [{ name: 'R', count: 1 }], priority: 1 });
    await Promise.all([cpu.acquire(), cpu.acquire(), cpu.acquire()]);
    expect(limiter.used('cpu/R')).toBe(3);
  });

  it('weights grants by priority: priority 2 gets half the turns of priority 1', async () => {
    const limiter = new RateLimiter();
    const fast = limiter.register({ device: 'cpu', resources: [{ name: 'R', count: 1 }], priority: 1 });
    const slow = limiter.register({ device: 'cpu', resources: [{ name: 'R', count: 1 }], priority: 2 });
    const order: string[] = [];
    const hold = await fast.acquire();
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      for (const [name, slot] of [['fast', fast], ['slow', slow]] as const) {
        waits.push(slot.acquire().then((release) => {
          order.push(name);
          setImmediate(release);
        }));
      }
    }
    hold();
    await Promise.all(waits);
    // Both keep 30 requests waiting; over the first 30 grants the weights show as 2:1.
    const fastShare = order.slice(0, 30).filter((n) => n === 'fast').length;
    expect(fastShare).toBeGreaterThanOrEqual(19);
    expect(fastShare).toBeLessThanOrEqual(21);
  });

  it('parses NAME:COUNT[:DEVICE]', () => {
    expect(parseResourceLimit('R1:10')).toEqual({ name: 'R1', count: 10 });
    expect(parseResourceLimit('R1:4:1')).toEqual({ name: 'R1', count: 4, device: 'gpu:1' });
    expect(parseResourceLimit('R1:4:cpu')).toEqual({ name: 'R1', count: 4, device: 'cpu' });
    expect(() => parseResourceLimit('R1')).toThrow(/NAME:COUNT/);
  });
});

describe('rateLimitInstances', () => {
  const config: ModelConfig = {
    name: 'm',
    instance_group: [
      { kind: 'KIND_CPU', count: 2, rate_limiter: { resources: [{ name: 'R', count: 1 }], priority: 3 } },
      { kind: 'KIND_GPU', count: 1, gpus: [0, 1] },
    ],
  };

  it('maps instances to their groups in creation order', () => {
    expect(instanceNeeds(config).map((n) => [n.device, n.resources.length, n.priority])).toEqual([
      ['cpu', 1, 3],
      ['cpu', 1, 3],
      ['gpu:0', 0, 0],
      ['gpu:1', 0, 0],
    ]);
  });

  it('holds an execute until the resources are free and releases them after', async () => {
    const limiter = new RateLimiter([{ name: 'R', count: 1 }]);
    let running = 0;
    let maxRunning = 0;
    const instance = (): BatchInstance => ({
      kind: 'batch',
      execute: async (batch) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
        return batch.map(() => ({ ok: true as const, outputs: [] }));
      },
      dispose: async () => undefined,
    });
    const [a, b] = rateLimitInstances(limiter, config, [instance(), instance()]) as BatchInstance[];
    const req = {} as InferenceRequest;
    await Promise.all([a!.execute([req]), b!.execute([req]), a!.execute([req])]);
    expect(maxRunning).toBe(1);
    expect(limiter.used('cpu/R')).toBe(0);
  });
});
