import { describe, expect, it } from 'vitest';
import type { BatchInstance } from '../../backends/backend.js';
import type { DynamicBatching } from '../../config/model-config.js';
import { VersionStatistics } from '../statistics.js';
import type { InferenceRequest, InstanceResponse, Tensor } from '../types.js';
import { ManualClock } from './clock.js';
import { DynamicBatcher } from './dynamic-batcher.js';

/** An instance whose executions finish only when the test says so; echoes INPUT0 as OUTPUT0. */
class HeldInstance implements BatchInstance {
  readonly kind = 'batch';
  readonly batches: number[][] = [];
  private pending: (() => void)[] = [];

  execute(batch: readonly InferenceRequest[]): Promise<readonly InstanceResponse[]> {
    this.batches.push(batch.map((r) => Number((r.inputs[0]?.data as Float32Array)[0])));
    return new Promise((resolve) => {
      this.pending.push(() =>
        resolve(batch.map((r) => ({ ok: true, outputs: [{ ...(r.inputs[0] as Tensor), name: 'OUTPUT0' }] }))),
      );
    });
  }

  /** Finishes the oldest running execution. */
  finish(): void {
    this.pending.shift()?.();
  }

  async dispose(): Promise<void> {}
}

function req(value: number, opts: { batch?: number; width?: number; priority?: number; timeoutUs?: number; signal?: AbortSignal } = {}): InferenceRequest {
  const batch = opts.batch ?? 1;
  const width = opts.width ?? 2;
  return {
    id: String(value),
    model: { name: 'm' },
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [batch, width], data: new Float32Array(batch * width).fill(value) }],
    parameters: {},
    priority: opts.priority ?? 0,
    timeoutUs: opts.timeoutUs,
    signal: opts.signal ?? new AbortController().signal,
  };
}

function setup(config: DynamicBatching, maxBatchSize = 8, instances = 1) {
  const clock = new ManualClock();
  const held = Array.from({ length: instances }, () => new HeldInstance());
  const stats = new VersionStatistics('m', 1);
  const batcher = new DynamicBatcher({
    config,
    maxBatchSize,
    instances: held,
    stats,
    clock,
    batchSizeOf: (r) => r.inputs[0]?.shape[0] ?? 1,
  });
  return { clock, held, stats, batcher, inst: held[0] as HeldInstance };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('DynamicBatcher', () => {
  it('with no delay sends at once, and batches what queued up while the instance was busy', async () => {
    const { batcher, inst } = setup({});
    const first = batcher.enqueue(req(1));
    const rest = [2, 3, 4].map((v) => batcher.enqueue(req(v)));
    expect(inst.batches).toEqual([[1]]);
    inst.finish();
    await first;
    expect(inst.batches).toEqual([[1], [2, 3, 4]]);
    inst.finish();
    const outs = await Promise.all(rest);
    expect(outs.map((o) => (o[0]?.data as Float32Array)[0])).toEqual([2, 3, 4]);
  });

  it('keeps the summed batch dimension within max_batch_size', async () => {
    const { batcher, inst } = setup({}, 8);
    const blocker = batcher.enqueue(req(0));
    const all = [1, 2, 3].map((v) => batcher.enqueue(req(v, { batch: 3 })));
    inst.finish();
    await blocker;
    expect(inst.batches[1]).toEqual([1, 2]);
    inst.finish();
    await tick();
    expect(inst.batches[2]).toEqual([3]);
    inst.finish();
    await Promise.all(all);
  });

  it('never mixes requests whose non-batch shapes differ, and keeps arrival order', async () => {
    const { batcher, inst } = setup({});
    const blocker = batcher.enqueue(req(0));
    const all = [batcher.enqueue(req(1, { width: 2 })), batcher.enqueue(req(2, { width: 3 })), batcher.enqueue(req(3, { width: 3 }))];
    inst.finish();
    await blocker;
    expect(inst.batches[1]).toEqual([1]);
    inst.finish();
    await tick();
    expect(inst.batches[2]).toEqual([2, 3]);
    inst.finish();
    const outs = await Promise.all(all);
    expect(outs.map((o) => o[0]?.shape)).toEqual([[1, 2], [1, 3], [1, 3]]);
  });

  it('waits max_queue_delay_microseconds measured on the oldest request', async () => {
    const { batcher, inst, clock } = setup({ max_queue_delay_microseconds: 1000 });
    const a = batcher.enqueue(req(1));
    clock.advance(600);
    const b = batcher.enqueue(req(2));
    clock.advance(399);
    expect(inst.batches).toEqual([]);
    clock.advance(1);
    expect(inst.batches).toEqual([[1, 2]]);
    inst.finish();
    await Promise.all([a, b]);
  });

  it('sends a preferred batch size at once instead of waiting for the delay', async () => {
    const { batcher, inst, clock } = setup({ preferred_batch_size: [4], max_queue_delay_microseconds: 1_000_000 });
    const four = [1, 2, 3, 4].map((v) => batcher.enqueue(req(v)));
    expect(inst.batches).toEqual([[1, 2, 3, 4]]);
    inst.finish();
    await Promise.all(four);
    const two = [5, 6].map((v) => batcher.enqueue(req(v)));
    expect(inst.batches.length).toBe(1);
    clock.advance(1_000_000);
    expect(inst.batches[1]).toEqual([5, 6]);
    inst.finish();
    await Promise.all(two);
  });

  it('serves higher priority levels first', async () => {
    const { batcher, inst } = setup({ priority_levels: 2, default_priority_level: 2 }, 1);
    const blocker = batcher.enqueue(req(0));
    const low = batcher.enqueue(req(1));
    const high = batcher.enqueue(req(2, { priority: 1 }));
    inst.finish();
    await blocker;
    expect(inst.batches[1]).toEqual([2]);
    inst.finish();
    await high;
    inst.finish();
    await low;
    // Out-of-range priorities fall back to the default level, as in Triton.
    const blocker2 = batcher.enqueue(req(4));
    const outOfRange = batcher.enqueue(req(5, { priority: 9 }));
    const high2 = batcher.enqueue(req(6, { priority: 1 }));
    inst.finish();
    await blocker2;
    inst.finish();
    await high2;
    inst.finish();
    await outOfRange;
    expect(inst.batches.slice(3)).toEqual([[4], [6], [5]]);
  });

  it('refuses at once with QUEUE_FULL when the queue is at max_queue_size', async () => {
    const { batcher, inst } = setup({ default_queue_policy: { max_queue_size: 2 } }, 1);
    const running = batcher.enqueue(req(0));
    const queued = [batcher.enqueue(req(1)), batcher.enqueue(req(2))];
    await expect(batcher.enqueue(req(3))).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    for (let i = 0; i < 3; i++) {
      inst.finish();
      await tick();
    }
    await Promise.all([running, ...queued]);
  });

  it('REJECT times a queued request out; DELAY runs it after the others', async () => {
    const reject = setup({ default_queue_policy: { default_timeout_microseconds: 500, timeout_action: 'REJECT' } }, 1);
    const r0 = reject.batcher.enqueue(req(0));
    const r1 = reject.batcher.enqueue(req(1));
    reject.clock.advance(500);
    await expect(r1).rejects.toMatchObject({ code: 'TIMEOUT' });
    reject.inst.finish();
    await r0;
    expect(reject.stats.snapshot().inference_stats.fail.count).toBe(1);

    const delay = setup({ default_queue_policy: { default_timeout_microseconds: 500, timeout_action: 'DELAY' } }, 1);
    const d0 = delay.batcher.enqueue(req(0));
    const d1 = delay.batcher.enqueue(req(1));
    delay.clock.advance(500);
    const d2 = delay.batcher.enqueue(req(2));
    for (let i = 0; i < 3; i++) {
      delay.inst.finish();
      await tick();
    }
    await Promise.all([d0, d1, d2]);
    expect(delay.inst.batches).toEqual([[0], [2], [1]]);
  });

  it('lets a request shorten but not lengthen the timeout when overrides are allowed', async () => {
    const { batcher, inst, clock } = setup({ default_queue_policy: { default_timeout_microseconds: 1000, allow_timeout_override: true } }, 1);
    const blocker = batcher.enqueue(req(0));
    const short = batcher.enqueue(req(1, { timeoutUs: 100 }));
    const long = batcher.enqueue(req(2, { timeoutUs: 5000 }));
    clock.advance(100);
    await expect(short).rejects.toMatchObject({ code: 'TIMEOUT' });
    clock.advance(900);
    await expect(long).rejects.toMatchObject({ code: 'TIMEOUT' });
    inst.finish();
    await blocker;
  });

  it('preserve_ordering delivers responses in arrival order across instances', async () => {
    const { batcher, held } = setup({ preserve_ordering: true }, 1, 2);
    const order: number[] = [];
    const a = batcher.enqueue(req(1)).then(() => order.push(1));
    const b = batcher.enqueue(req(2)).then(() => order.push(2));
    (held[1] as HeldInstance).finish();
    (held[0] as HeldInstance).finish();
    await Promise.all([a, b]);
    expect(order).toEqual([1, 2]);
  });

  it('drops a queued request whose client went away', async () => {
    const { batcher, inst, stats } = setup({}, 1);
    const blocker = batcher.enqueue(req(0));
    const ac = new AbortController();
    const gone = batcher.enqueue(req(1, { signal: ac.signal }));
    ac.abort();
    await expect(gone).rejects.toMatchObject({ code: 'CANCELLED' });
    inst.finish();
    await blocker;
    expect(inst.batches).toEqual([[0]]);
    expect(batcher.inflight).toBe(0);
    expect(stats.snapshot().inference_stats.fail.count).toBe(1);
  });

  it('records Triton statistics: execution_count per batch, inference_count per item, batch_stats', async () => {
    const { batcher, inst, stats } = setup({});
    const first = batcher.enqueue(req(0));
    const rest = [batcher.enqueue(req(1, { batch: 2 })), batcher.enqueue(req(2, { batch: 3 }))];
    inst.finish();
    await first;
    inst.finish();
    await Promise.all(rest);
    const s = stats.snapshot();
    expect(s.execution_count).toBe(2);
    expect(s.inference_count).toBe(6);
    expect(s.inference_stats.success.count).toBe(3);
    expect(s.batch_stats.map((b) => [b.batch_size, b.compute_infer.count])).toEqual([[1, 1], [5, 1]]);
  });
});
