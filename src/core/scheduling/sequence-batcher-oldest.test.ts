import { describe, expect, it } from 'vitest';
import type { BatchInstance } from '../../backends/backend.js';
import type { ModelConfig, SequenceBatching } from '../../config/model-config.js';
import { VersionStatistics } from '../statistics.js';
import type { InferenceRequest, InstanceResponse } from '../types.js';
import { ManualClock } from './clock.js';
import { SequenceBatcher } from './sequence-batcher.js';

/** Records each batch as [correlation id, INPUT] pairs; executions finish when the test says so. */
class HeldInstance implements BatchInstance {
  readonly kind = 'batch';
  readonly batches: [string, number][][] = [];
  private pending: (() => void)[] = [];

  execute(batch: readonly InferenceRequest[]): Promise<readonly InstanceResponse[]> {
    this.batches.push(batch.map((r) => [r.sequence?.id ?? '', Number((r.inputs[0]?.data as Int32Array)[0])]));
    return new Promise((resolve) => this.pending.push(() => resolve(batch.map(() => ({ ok: true, outputs: [] })))));
  }

  async finish(): Promise<void> {
    this.pending.shift()?.();
    await flush();
  }

  async dispose(): Promise<void> {}
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function setup(oldest: NonNullable<SequenceBatching['oldest']>, maxBatch = 4) {
  const config: ModelConfig = {
    name: 'dyna',
    max_batch_size: maxBatch,
    input: [{ name: 'INPUT', data_type: 'TYPE_INT32', dims: [1] }],
    output: [{ name: 'OUTPUT', data_type: 'TYPE_INT32', dims: [1] }],
    sequence_batching: { oldest, max_sequence_idle_microseconds: 1_000_000 },
  };
  const clock = new ManualClock();
  const inst = new HeldInstance();
  const batcher = new SequenceBatcher({ config, instances: [inst], stats: new VersionStatistics('dyna', 1), clock, modelDir: '/nonexistent' });
  const send = (id: string, value: number, start = false, end = false): void => {
    void batcher
      .enqueue({
        id: '',
        model: { name: 'dyna' },
        inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1], data: Int32Array.of(value) }],
        parameters: {},
        sequence: { id, start, end },
        priority: 0,
        signal: new AbortController().signal,
      })
      .catch(() => undefined);
  };
  return { clock, inst, batcher, send };
}

describe('SequenceBatcher, oldest strategy', () => {
  it('batches the oldest ready requests, one per sequence, up to max_candidate_sequences in flight', async () => {
    const { inst, send, batcher } = setup({ max_candidate_sequences: 3 }, 4);
    send('a', 1, true);
    await flush();
    expect(inst.batches).toEqual([[['a', 1]]]);
    send('a', 2);
    send('b', 1, true);
    send('c', 1, true);
    send('d', 1, true);
    send('b', 2);
    await inst.finish();
    // d waits in the backlog (3 candidates); b's second request waits for its first.
    expect(inst.batches[1]).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 1],
    ]);
    send('a', 3, false, true);
    send('c', 2, false, true);
    await inst.finish();
    expect(inst.batches[2]).toEqual([
      ['b', 2],
      ['a', 3],
      ['c', 2],
    ]);
    await inst.finish();
    // a and c ended, so d has a candidate slot now.
    expect(inst.batches[3]).toEqual([['d', 1]]);
    await inst.finish();
    expect(batcher.inflight).toBe(0);
  });

  it('caps a batch at max_batch_size, taking the oldest heads first', async () => {
    const { inst, send } = setup({ max_candidate_sequences: 4 }, 2);
    send('z', 0, true);
    await flush();
    send('c', 3, true);
    send('a', 1, true);
    send('b', 2, true);
    await inst.finish();
    expect(inst.batches[1]).toEqual([
      ['c', 3],
      ['a', 1],
    ]);
    await inst.finish();
    expect(inst.batches[2]).toEqual([['b', 2]]);
  });

  it('sends at a preferred size at once, otherwise after max_queue_delay_microseconds', async () => {
    const { inst, send, clock } = setup({ max_candidate_sequences: 4, preferred_batch_size: [2], max_queue_delay_microseconds: 500 }, 4);
    send('a', 1, true);
    await flush();
    expect(inst.batches).toHaveLength(0);
    send('b', 1, true);
    await flush();
    expect(inst.batches).toEqual([
      [
        ['a', 1],
        ['b', 1],
      ],
    ]);
    await inst.finish();
    send('a', 2);
    await flush();
    clock.advance(499);
    await flush();
    expect(inst.batches).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(inst.batches[1]).toEqual([['a', 2]]);
  });
});
