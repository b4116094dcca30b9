import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchInstance } from '../../backends/backend.js';
import type { ModelConfig, SequenceBatching } from '../../config/model-config.js';
import { VersionStatistics } from '../statistics.js';
import type { InferenceRequest, InstanceResponse, Tensor } from '../types.js';
import { ManualClock } from './clock.js';
import { SequenceBatcher } from './sequence-batcher.js';

/** One executed request as the model saw it. */
interface Seen {
  readonly input: number;
  readonly start: number;
  readonly end: number;
  readonly ready: number;
  readonly state: number;
}

/**
 * A model instance whose executions finish when the test says so. It computes
 * OUTPUT = OUTPUT_STATE = INPUT_STATE + INPUT, like an accumulator with implicit state.
 */
class HeldInstance implements BatchInstance {
  readonly kind = 'batch';
  readonly batches: Seen[][] = [];
  private pending: (() => void)[] = [];

  execute(batch: readonly InferenceRequest[]): Promise<readonly InstanceResponse[]> {
    const num = (r: InferenceRequest, name: string): number => {
      const t = r.inputs.find((x) => x.name === name);
      return t ? Number((t.data as Int32Array)[0]) : NaN;
    };
    this.batches.push(batch.map((r) => ({ input: num(r, 'INPUT'), start: num(r, 'START'), end: num(r, 'END'), ready: num(r, 'READY'), state: num(r, 'INPUT_STATE') })));
    const responses = batch.map((r): InstanceResponse => {
      const sum = Int32Array.of((num(r, 'INPUT_STATE') || 0) + num(r, 'INPUT'));
      const all: Tensor[] = [
        { name: 'OUTPUT', datatype: 'INT32', shape: [1, 1], data: sum },
        { name: 'OUTPUT_STATE', datatype: 'INT32', shape: [1, 1], data: sum },
      ];
      const wanted = new Set((r.outputs ?? []).map((o) => o.name));
      return { ok: true, outputs: all.filter((t) => wanted.has(t.name)) };
    });
    return new Promise((resolve) => this.pending.push(() => resolve(responses)));
  }

  /** Finishes the oldest running execution and lets the batcher react. */
  async finish(): Promise<void> {
    this.pending.shift()?.();
    await flush();
  }

  get running(): number {
    return this.pending.length;
  }

  async dispose(): Promise<void> {}
}

/** Lets promise callbacks run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

const STATE = [{ input_name: 'INPUT_STATE', output_name: 'OUTPUT_STATE', data_type: 'TYPE_INT32' as const, dims: [1] }];

function modelConfig(sb: SequenceBatching, maxBatch: number): ModelConfig {
  return {
    name: 'seq',
    max_batch_size: maxBatch,
    input: [{ name: 'INPUT', data_type: 'TYPE_INT32', dims: [1] }],
    output: [
      { name: 'OUTPUT', data_type: 'TYPE_INT32', dims: [1] },
      { name: 'OUTPUT_STATE', data_type: 'TYPE_INT32', dims: [1] },
    ],
    sequence_batching: {
      max_sequence_idle_microseconds: 1000,
      control_input: [
        { name: 'START', control: [{ kind: 'CONTROL_SEQUENCE_START', int32_false_true: [0, 1] }] },
        { name: 'READY', control: [{ kind: 'CONTROL_SEQUENCE_READY', int32_false_true: [0, 1] }] },
      ],
      state: STATE,
      ...sb,
    },
  };
}

function setup(sb: SequenceBatching = { direct: {} }, opts: { maxBatch?: number; instances?: number; modelDir?: string } = {}) {
  const clock = new ManualClock();
  const held = Array.from({ length: opts.instances ?? 1 }, () => new HeldInstance());
  const stats = new VersionStatistics('seq', 1);
  const batcher = new SequenceBatcher({ config: modelConfig(sb, opts.maxBatch ?? 2), instances: held, stats, clock, modelDir: opts.modelDir ?? '/nonexistent' });
  return { clock, held, stats, batcher, inst: held[0] as HeldInstance };
}

/** A sequence request; the promise is observed so rejections never go unhandled. */
function send(batcher: SequenceBatcher, id: string, value: number, flags: { start?: boolean; end?: boolean; signal?: AbortSignal } = {}) {
  const request: InferenceRequest = {
    id: `${id}:${value}`,
    model: { name: 'seq' },
    inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1], data: Int32Array.of(value) }],
    parameters: {},
    sequence: { id, start: flags.start ?? false, end: flags.end ?? false },
    priority: 0,
    signal: flags.signal ?? new AbortController().signal,
  };
  const result: { value?: number; outputs?: readonly Tensor[]; error?: string; settled: boolean } = { settled: false };
  const promise = batcher.enqueue(request).then(
    (outputs) => Object.assign(result, { outputs, value: Number((outputs[0]?.data as Int32Array)[0]), settled: true }),
    (err: Error) => Object.assign(result, { error: err.message, settled: true }),
  );
  return { result, promise };
}

describe('SequenceBatcher, direct strategy', () => {
  it('binds each sequence to one slot; a batch holds one request per slot, padding empty positions as not ready', async () => {
    const { batcher, held } = setup({ direct: {} }, { maxBatch: 2, instances: 2 });
    const [i0, i1] = held as [HeldInstance, HeldInstance];
    send(batcher, 'a', 1, { start: true });
    send(batcher, 'b', 2, { start: true });
    send(batcher, 'c', 3, { start: true });
    await flush();
    // a → instance 0 slot 0, b → instance 1 slot 0, c → instance 0 slot 1 (waits: instance 0 is busy).
    expect(i0.batches).toEqual([[{ input: 1, start: 1, end: NaN, ready: 1, state: 0 }]]);
    expect(i1.batches).toEqual([[{ input: 2, start: 1, end: NaN, ready: 1, state: 0 }]]);
    await i0.finish();
    expect(i0.batches[1]).toEqual([
      { input: 0, start: 0, end: NaN, ready: 0, state: 0 },
      { input: 3, start: 1, end: NaN, ready: 1, state: 0 },
    ]);
    send(batcher, 'a', 10);
    send(batcher, 'c', 30);
    await i0.finish();
    expect(i0.batches[2]?.map((s) => [s.input, s.state])).toEqual([
      [10, 1],
      [30, 3],
    ]);
    expect(i1.batches).toHaveLength(1);
  });

  it('carries implicit state within a sequence, resets it on START, and hides the state output', async () => {
    const { batcher, inst } = setup();
    const outs = [send(batcher, 's', 5, { start: true }), send(batcher, 's', 7), send(batcher, 's', 1, { start: true }), send(batcher, 's', 2, { end: true })];
    for (let i = 0; i < 4; i++) await inst.finish();
    expect(outs.map((o) => o.result.value)).toEqual([5, 12, 1, 3]);
    expect(outs[0]!.result.outputs?.map((t) => t.name)).toEqual(['OUTPUT']);
    expect(inst.batches.map((b) => b[0]?.state)).toEqual([0, 5, 0, 1]);
  });

  it('runs the requests of one sequence strictly in order, one at a time', async () => {
    const { batcher, inst } = setup({ direct: {} }, { maxBatch: 4 });
    const outs = [1, 2, 3].map((v, i) => send(batcher, 'x', v, { start: i === 0 }));
    await flush();
    expect(inst.batches).toHaveLength(1);
    expect(inst.running).toBe(1);
    await inst.finish();
    await inst.finish();
    await inst.finish();
    expect(inst.batches.map((b) => b.map((s) => s.input))).toEqual([[1], [2], [3]]);
    expect(outs.map((o) => o.result.value)).toEqual([1, 3, 6]);
  });

  it('puts new sequences in a backlog while every slot is taken and hands freed slots over in order', async () => {
    const { batcher, inst } = setup({ direct: {} }, { maxBatch: 0 });
    send(batcher, 'a', 1, { start: true });
    const b = send(batcher, 'b', 2, { start: true });
    const c = send(batcher, 'c', 3, { start: true, end: true });
    await inst.finish();
    expect(inst.batches).toHaveLength(1);
    expect(b.result.settled).toBe(false);
    send(batcher, 'a', 1, { end: true });
    await inst.finish();
    await inst.finish();
    expect(b.result.value).toBe(2);
    expect(c.result.settled).toBe(false);
    send(batcher, 'b', 5, { end: true });
    await inst.finish();
    await inst.finish();
    expect(inst.batches.map((x) => x[0]?.input)).toEqual([1, 1, 2, 5, 3]);
    expect(c.result.value).toBe(3);
    expect(batcher.inflight).toBe(0);
  });

  it('releases the slot of an idle sequence; its next request then needs START', async () => {
    const { batcher, inst, clock } = setup({ direct: {} }, { maxBatch: 0 });
    send(batcher, 'a', 1, { start: true });
    await inst.finish();
    const waiting = send(batcher, 'b', 9, { start: true });
    await flush();
    expect(inst.batches).toHaveLength(1);
    clock.advance(999);
    await flush();
    expect(inst.batches).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(inst.batches.map((x) => x[0]?.input)).toEqual([1, 9]);
    await inst.finish();
    expect(waiting.result.value).toBe(9);
    const late = send(batcher, 'a', 2);
    await late.promise;
    expect(late.result.error).toBe("inference request for sequence a to model 'seq' must specify the START flag on the first request of the sequence");
  });

  it('waits up to max_queue_delay_microseconds for minimum_slot_utilization', async () => {
    const { batcher, inst, clock } = setup({ direct: { max_queue_delay_microseconds: 100, minimum_slot_utilization: 1 } }, { maxBatch: 2 });
    send(batcher, 'a', 1, { start: true });
    await flush();
    expect(inst.batches).toHaveLength(0);
    clock.advance(50);
    send(batcher, 'b', 2, { start: true });
    await flush();
    expect(inst.batches.map((x) => x.map((s) => s.input))).toEqual([[1, 2]]);
    await inst.finish();
    send(batcher, 'a', 3);
    await flush();
    expect(inst.batches).toHaveLength(1);
    clock.advance(100);
    await flush();
    expect(inst.batches[1]?.map((s) => s.ready)).toEqual([1]);
  });

  it('removes a cancelled queued request without running it', async () => {
    const { batcher, inst, stats } = setup();
    send(batcher, 'a', 1, { start: true });
    const abort = new AbortController();
    const cancelled = send(batcher, 'a', 2, { signal: abort.signal });
    const next = send(batcher, 'a', 3, { end: true });
    abort.abort();
    await cancelled.promise;
    expect(cancelled.result.error).toBe('request cancelled by the client');
    await inst.finish();
    await inst.finish();
    expect(inst.batches.map((b) => b[0]?.input)).toEqual([1, 3]);
    expect(next.result.value).toBe(4);
    expect(stats.snapshot().inference_stats.fail.count).toBe(1);
  });

  it('refuses requests without a correlation id or with a batch of more than one', async () => {
    const { batcher } = setup();
    const base = { id: '', model: { name: 'seq' }, parameters: {}, priority: 0, signal: new AbortController().signal };
    const input: Tensor = { name: 'INPUT', datatype: 'INT32', shape: [1, 1], data: Int32Array.of(1) };
    await expect(batcher.enqueue({ ...base, inputs: [input] })).rejects.toThrow("inference request to model 'seq' must specify a non-zero or non-empty correlation ID");
    await expect(batcher.enqueue({ ...base, inputs: [input], sequence: { id: '0', start: true, end: false } })).rejects.toThrow(/non-zero/);
    const two: Tensor = { ...input, shape: [2, 1], data: Int32Array.of(1, 2) };
    await expect(batcher.enqueue({ ...base, inputs: [two], sequence: { id: '5', start: true, end: false } })).rejects.toThrow(/must specify batch-size 1/);
  });

  it('drains: admitted work finishes, backlogged sequences fail, new requests are refused', async () => {
    const { batcher, inst } = setup({ direct: {} }, { maxBatch: 0 });
    const a = send(batcher, 'a', 1, { start: true });
    const b = send(batcher, 'b', 2, { start: true });
    const drained = batcher.drain();
    await b.promise;
    expect(b.result.error).toMatch(/unloading/);
    await inst.finish();
    await drained;
    expect(a.result.value).toBe(1);
    await expect(batcher.enqueue({ ...({} as InferenceRequest), model: { name: 'seq' }, signal: new AbortController().signal })).rejects.toThrow(/unloading/);
  });
});

describe('SequenceBatcher, initial state from a data file', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'inferd-seq-'));
    await mkdir(path.join(dir, 'initial_state'));
    await writeFile(path.join(dir, 'initial_state', 'forty'), Buffer.from(Int32Array.of(40).buffer));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const withFile = (file: string): SequenceBatching => ({
    direct: {},
    state: [{ ...STATE[0]!, initial_state: [{ data_type: 'TYPE_INT32', dims: [1], data_file: file, name: 'init' }] }],
  });

  it('feeds the file content as the state on START', async () => {
    const { batcher, inst } = setup(withFile('forty'), { modelDir: dir });
    const a = send(batcher, 'a', 2, { start: true });
    await inst.finish();
    expect(a.result.value).toBe(42);
  });

  it('refuses a data file outside the initial_state folder', () => {
    expect(() => setup(withFile('../config.pbtxt'), { modelDir: dir })).toThrow(/inside the model's 'initial_state' folder/);
    expect(() => setup(withFile('/etc/passwd'), { modelDir: dir })).toThrow(/inside the model's 'initial_state' folder/);
  });
});
