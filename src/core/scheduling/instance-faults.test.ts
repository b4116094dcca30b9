import { describe, expect, it } from 'vitest';
import type { BatchInstance } from '../../backends/backend.js';
import { InferError } from '../errors.js';
import { VersionStatistics } from '../statistics.js';
import type { InferenceRequest, InstanceResponse, Tensor } from '../types.js';
import { DirectScheduler } from './direct-scheduler.js';
import { DynamicBatcher } from './dynamic-batcher.js';
import type { Scheduler } from './scheduler.js';

type Behaviour = 'echo' | 'lost' | 'throw-sync' | 'reject' | 'unavailable-response';

/** An instance that does what the test scripts per execute (echo once the script runs out), and counts its executes. */
class ScriptedInstance implements BatchInstance {
  readonly kind = 'batch';
  executes = 0;
  private release: (() => void) | undefined;

  constructor(
    private readonly script: Behaviour[] = [],
    /** When set, each execute waits for `finish()` before answering. */
    private readonly held = false,
  ) {}

  execute(batch: readonly InferenceRequest[]): Promise<readonly InstanceResponse[]> {
    this.executes += 1;
    const behaviour = this.script.shift() ?? 'echo';
    if (behaviour === 'throw-sync') throw new Error('backend bug before any await');
    const answer = async (): Promise<readonly InstanceResponse[]> => {
      if (this.held) await new Promise<void>((resolve) => (this.release = resolve));
      if (behaviour === 'lost') throw new InferError('UNAVAILABLE', 'worker could not be restarted');
      if (behaviour === 'reject') throw new Error('whole batch failed');
      if (behaviour === 'unavailable-response') {
        return batch.map(() => ({ ok: false, error: new InferError('UNAVAILABLE', 'one request could not run') }));
      }
      return batch.map((r) => ({ ok: true, outputs: [{ ...(r.inputs[0] as Tensor), name: 'OUTPUT0' }] }));
    };
    return answer();
  }

  /** Lets the held execute answer. */
  finish(): void {
    this.release?.();
    this.release = undefined;
  }

  async dispose(): Promise<void> {}
}

function req(value: number): InferenceRequest {
  return {
    id: String(value),
    model: { name: 'm' },
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1], data: Float32Array.of(value) }],
    parameters: {},
    priority: 0,
    signal: new AbortController().signal,
  };
}

const value = (outputs: readonly Tensor[]): number => (outputs[0]?.data as Float32Array)[0] as number;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Made {
  readonly scheduler: Scheduler;
  readonly stats: VersionStatistics;
  readonly lost: [string, number][];
}

type Factory = (instances: BatchInstance[]) => Made;

const direct: Factory = (instances) => {
  const stats = new VersionStatistics('m', 1);
  const lost: [string, number][] = [];
  const scheduler = new DirectScheduler({ instances, stats, batchSizeOf: () => 1, onInstanceLost: (r, n) => void lost.push([r, n]) });
  return { scheduler, stats, lost };
};

const dynamic: Factory = (instances) => {
  const stats = new VersionStatistics('m', 1);
  const lost: [string, number][] = [];
  const scheduler = new DynamicBatcher({
    config: {},
    maxBatchSize: 1,
    instances,
    stats,
    batchSizeOf: () => 1,
    onInstanceLost: (r, n) => void lost.push([r, n]),
  });
  return { scheduler, stats, lost };
};

describe.each([
  ['direct scheduler', direct],
  ['dynamic batcher', dynamic],
])('%s with faulty instances', (_name, make) => {
  it('fails a batch whose execute rejects or throws synchronously with INTERNAL and keeps using the instance', async () => {
    const instance = new ScriptedInstance(['reject', 'throw-sync']);
    const { scheduler, stats, lost } = make([instance]);
    await expect(scheduler.enqueue(req(1))).rejects.toMatchObject({ code: 'INTERNAL', message: 'whole batch failed' });
    await expect(scheduler.enqueue(req(2))).rejects.toMatchObject({ code: 'INTERNAL', message: 'backend bug before any await' });
    expect(value(await scheduler.enqueue(req(3)))).toBe(3);
    expect(instance.executes).toBe(3);
    await tick();
    expect(scheduler.inflight).toBe(0);
    expect(lost).toEqual([]);
    expect(stats.failuresByReason()).toMatchObject({ BACKEND: 2 });
    await scheduler.drain();
  });

  it('treats an UNAVAILABLE response for one request as that request failing, not as a lost instance', async () => {
    const instance = new ScriptedInstance(['unavailable-response']);
    const { scheduler, lost } = make([instance]);
    await expect(scheduler.enqueue(req(1))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(value(await scheduler.enqueue(req(2)))).toBe(2);
    expect(lost).toEqual([]);
  });

  it('retires an instance whose execute rejects with UNAVAILABLE; the others keep serving', async () => {
    const broken = new ScriptedInstance(['lost']);
    const healthy = new ScriptedInstance();
    const { scheduler, lost } = make([healthy, broken]);
    const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((v) => scheduler.enqueue(req(v))));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(lost).toEqual([['worker could not be restarted', 1]]);
    expect(broken.executes).toBe(1);
    await Promise.all([7, 8, 9].map((v) => scheduler.enqueue(req(v))));
    expect(broken.executes).toBe(1);
    expect(healthy.executes).toBe(8);
  });

  it('fails every queued and every new request at once when the last instance is lost, and still drains', async () => {
    const instance = new ScriptedInstance(['lost'], true);
    const { scheduler, stats, lost } = make([instance]);
    const running = scheduler.enqueue(req(1));
    await tick();
    const queued = [scheduler.enqueue(req(2)), scheduler.enqueue(req(3))];
    await tick();
    expect(scheduler.inflight).toBe(3);
    instance.finish();
    await expect(running).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'worker could not be restarted' });
    for (const q of queued) await expect(q).rejects.toMatchObject({ code: 'UNAVAILABLE', message: /no instance of the model is left: worker could not/ });
    await expect(scheduler.enqueue(req(4))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(instance.executes).toBe(1);
    expect(lost).toEqual([['worker could not be restarted', 0]]);
    await tick();
    expect(scheduler.inflight).toBe(0);
    expect(stats.failuresByReason()).toMatchObject({ BACKEND: 1, REJECTED: 3 });
    await scheduler.drain();
  });
});
