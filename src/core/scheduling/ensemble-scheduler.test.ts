import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../config/model-config.js';
import { InferError } from '../errors.js';
import { VersionStatistics } from '../statistics.js';
import type { InferenceRequest, InferenceResult, Tensor } from '../types.js';
import { EnsembleScheduler, type ComposingInfer } from './ensemble-scheduler.js';

const io = (name: string) => ({ name, data_type: 'TYPE_FP32' as const, dims: [-1] });

/** A diamond: pre(IN) → a; left(a) and right(a) in parallel → l, r; join(l, r) → OUT. */
const diamond: ModelConfig = {
  name: 'diamond',
  platform: 'ensemble',
  max_batch_size: 0,
  input: [io('IN')],
  output: [io('OUT')],
  ensemble_scheduling: {
    step: [
      { model_name: 'join', model_version: -1, input_map: { X: 'l', Y: 'r' }, output_map: { Z: 'OUT' } },
      { model_name: 'left', model_version: 2, input_map: { X: 'a' }, output_map: { Z: 'l' } },
      { model_name: 'right', model_version: -1, input_map: { X: 'a' }, output_map: { Z: 'r' } },
      { model_name: 'pre', model_version: -1, input_map: { X: 'IN' }, output_map: { Z: 'a' } },
    ],
  },
};

const vec = (name: string, values: number[]): Tensor => ({ name, datatype: 'FP32', shape: [values.length], data: Float32Array.from(values) });
const values = (t: Tensor | undefined): number[] => Array.from(t?.data as Float32Array);

function request(controller = new AbortController()): InferenceRequest {
  return { id: 'r1', model: { name: 'diamond' }, inputs: [vec('IN', [1, 2])], parameters: {}, priority: 0, signal: controller.signal };
}

interface Call {
  readonly request: InferenceRequest;
  finish(outputs?: Tensor[], error?: InferError): void;
}

/** A composing-model stub whose calls the test answers by hand, so ordering is observable. */
function manualInfer(): { infer: ComposingInfer; calls: Call[]; next: () => Promise<Call> } {
  const calls: Call[] = [];
  let wake: (() => void) | undefined;
  const infer: ComposingInfer = (req) =>
    new Promise<InferenceResult>((resolve, reject) => {
      calls.push({
        request: req,
        finish: (outputs = [], error) =>
          error ? reject(error) : resolve({ id: req.id, model: { name: req.model.name, version: 1 }, outputs, final: true }),
      });
      wake?.();
    });
  let seen = 0;
  const next = async (): Promise<Call> => {
    while (calls.length <= seen) await new Promise<void>((r) => (wake = r));
    return calls[seen++] as Call;
  };
  return { infer, calls, next };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('EnsembleScheduler', () => {
  it('runs each step once its inputs exist, independent steps in parallel, with mapped names', async () => {
    const { infer, calls, next } = manualInfer();
    const stats = new VersionStatistics('diamond', 1);
    const scheduler = new EnsembleScheduler({ config: diamond, infer, stats, batchSizeOf: () => 1 });
    const done = scheduler.enqueue(request());
    const pre = await next();
    expect(pre.request.model).toEqual({ name: 'pre' });
    expect(pre.request.inputs.map((t) => t.name)).toEqual(['X']);
    expect(pre.request.outputs).toEqual([{ name: 'Z' }]);
    await settle();
    expect(calls).toHaveLength(1);
    pre.finish([vec('Z', [10, 20])]);
    const [left, right] = [await next(), await next()];
    expect(left.request.model).toEqual({ name: 'left', version: 2 });
    expect(right.request.model).toEqual({ name: 'right' });
    expect(values(left.request.inputs[0])).toEqual([10, 20]);
    left.finish([vec('Z', [1])]);
    await settle();
    expect(calls).toHaveLength(3); // join still waits for `r`
    right.finish([vec('Z', [2])]);
    const join = await next();
    expect(join.request.inputs.map((t) => [t.name, values(t)])).toEqual([['X', [1]], ['Y', [2]]]);
    join.finish([vec('Z', [3]), vec('EXTRA', [0])]);
    const outputs = await done;
    expect(outputs.map((t) => [t.name, values(t)])).toEqual([['OUT', [3]]]);
    const snap = stats.snapshot();
    expect(snap.inference_stats.success.count).toBe(1);
    expect(snap.execution_count).toBe(1);
    expect(snap.inference_count).toBe(1);
    expect(scheduler.inflight).toBe(0);
  });

  it('fails with the failing step named and aborts the steps still running', async () => {
    const { infer, next } = manualInfer();
    const stats = new VersionStatistics('diamond', 1);
    const scheduler = new EnsembleScheduler({ config: diamond, infer, stats, batchSizeOf: () => 1 });
    const done = scheduler.enqueue(request());
    (await next()).finish([vec('Z', [1])]);
    const left = await next();
    const right = await next();
    right.finish(undefined, new InferError('INVALID_ARGUMENT', 'bad input'));
    await expect(done).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: "in ensemble 'diamond', step 2 ('right'): bad input" });
    expect(left.request.signal.aborted).toBe(true);
    expect(stats.snapshot().inference_stats.fail.count).toBe(1);
  });

  it('propagates client cancellation to running steps and reports CANCELLED', async () => {
    const { infer, next } = manualInfer();
    const scheduler = new EnsembleScheduler({ config: diamond, infer, stats: new VersionStatistics('d', 1), batchSizeOf: () => 1 });
    const controller = new AbortController();
    const done = scheduler.enqueue(request(controller));
    const pre = await next();
    controller.abort();
    expect(pre.request.signal.aborted).toBe(true);
    pre.finish(undefined, new InferError('CANCELLED', 'request cancelled by the client'));
    await expect(done).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('fails when a step does not return a mapped output', async () => {
    const { infer, next } = manualInfer();
    const scheduler = new EnsembleScheduler({ config: diamond, infer, stats: new VersionStatistics('d', 1), batchSizeOf: () => 1 });
    const done = scheduler.enqueue(request());
    (await next()).finish([vec('NOT_Z', [1])]);
    await expect(done).rejects.toThrow(/step 3 \('pre'\) did not return output 'Z'/);
  });

  it('drains: refuses new requests and waits for running ones', async () => {
    const { infer, next } = manualInfer();
    const scheduler = new EnsembleScheduler({ config: diamond, infer, stats: new VersionStatistics('d', 1), batchSizeOf: () => 1 });
    const done = scheduler.enqueue(request());
    let drained = false;
    const draining = scheduler.drain().then(() => (drained = true));
    await expect(scheduler.enqueue(request())).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    (await next()).finish([vec('Z', [1])]);
    (await next()).finish([vec('Z', [1])]);
    (await next()).finish([vec('Z', [1])]);
    await settle();
    expect(drained).toBe(false);
    (await next()).finish([vec('Z', [1])]);
    await done;
    await draining;
    expect(drained).toBe(true);
  });
});
