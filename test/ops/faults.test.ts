/**
 * Fault tolerance of model instances, through the public HTTP interface: an identity instance
 * whose execute throws (`throw_on_value`), an onnxruntime worker thread that dies with a request
 * in flight (an uncaught error inside the worker), and a worker that cannot be restarted because
 * its model file is gone. Workers are reached with Node's public `process.on('worker')` event, so
 * the server needs no test hook; the crash is a message the worker's handler cannot read, sent
 * just before a run message, because `worker.terminate()` during `session.run` aborts the whole
 * process (see worker-protocol.ts). Every wait is bounded.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { identityOnnx } from '../../src/examples/index.js';
import { encodeOnnxModel } from '../../src/formats/onnx/index.js';
import { client, fp32Infer, identityConfig, postJson, startTestServer, tempDir, waitFor, writeModel } from '../support/server.js';

/** Input value that makes `flaky` and `flaky_batched` throw from execute. */
const POISON = 99;
/** Per-execute delay of the identity models, so concurrent requests overlap on their instances. */
const DELAY_MS = 300;
/** Side of the square input that keeps the `slow` onnxruntime model busy for most of a second. */
const SLOW_N = 1024;

/** `Y = X·X·…·X` (`steps` MatMuls): the run time grows with n³, so a big input occupies its worker. */
function slowOnnx(steps: number): Uint8Array {
  const nodes = Array.from({ length: steps }, (_, i) => ({
    opType: 'MatMul',
    inputs: [i === 0 ? 'X' : `y${i - 1}`, 'X'],
    outputs: [i === steps - 1 ? 'Y' : `y${i}`],
  }));
  return encodeOnnxModel({
    graph: { name: 'slow', inputs: [{ name: 'X', datatype: 'FP32', shape: ['n', 'n'] }], outputs: [{ name: 'Y', datatype: 'FP32', shape: ['n', 'n'] }], nodes },
  });
}

function ortConfig(name: string, tensor: { input: string; output: string; dims: string }, maxBatch: number, instances: number): string {
  return `name: "${name}"
platform: "onnxruntime_onnx"
max_batch_size: ${maxBatch}
input [ { name: "${tensor.input}" data_type: TYPE_FP32 dims: ${tensor.dims} } ]
output [ { name: "${tensor.output}" data_type: TYPE_FP32 dims: ${tensor.dims} } ]
instance_group [ { kind: KIND_CPU count: ${instances} } ]
`;
}

function squareInfer(n: number): unknown {
  return { inputs: [{ name: 'X', datatype: 'FP32', shape: [n, n], data: new Array<number>(n * n).fill(0) }] };
}

interface Stats {
  success: number;
  fail: number;
}

async function statsOf(server: RunningServer, model: string): Promise<Stats> {
  const body = (await (await client(server)(`/v2/models/${model}/stats`)).json()) as {
    model_stats: { inference_stats: { success: { count: number }; fail: { count: number } } }[];
  };
  const s = body.model_stats[0]!.inference_stats;
  return { success: s.success.count, fail: s.fail.count };
}

/** Loads `model` over the repository API and returns the worker threads its load started. */
async function loadCapturingWorkers(server: RunningServer, model: string): Promise<Worker[]> {
  const started: Worker[] = [];
  const capture = (w: Worker): void => void started.push(w);
  process.on('worker', capture);
  try {
    const res = await postJson(server, `/v2/repository/models/${model}/load`, {});
    expect(res.status).toBe(200);
  } finally {
    process.off('worker', capture);
  }
  return started;
}

/** Makes a worker throw an uncaught error from its message handler: a real crash of the worker's own code. */
function crash(worker: Worker): void {
  worker.postMessage(null);
}

/**
 * Arms a one-shot crash: the first `run` message the server posts to any of `workers` is preceded
 * by a crash, so that worker dies with the request in flight. Resolves with the exit code.
 */
function crashOnNextRun(workers: readonly Worker[]): Promise<{ exited: Promise<number> }> {
  return new Promise((resolve) => {
    const disarm = (): void => workers.forEach((w) => Reflect.deleteProperty(w, 'postMessage'));
    for (const worker of workers) {
      const post = worker.postMessage.bind(worker);
      worker.postMessage = (message: unknown, transfer?: Parameters<Worker['postMessage']>[1]): void => {
        if ((message as { op?: unknown } | null)?.op === 'run') {
          disarm();
          const exited = new Promise<number>((done) => worker.once('exit', done));
          crash(worker);
          resolve({ exited });
        }
        post(message, transfer);
      };
    }
  });
}

/** The version's scheduler counters, read in-process. */
function scheduler(server: RunningServer, model: string): { inflight: number; queued: number } {
  const s = server.repository.getReady(model).scheduler;
  if (!s) throw new Error(`model '${model}' has no scheduler`);
  return { inflight: s.inflight, queued: s.queued ?? 0 };
}

let server: RunningServer;
let repo: string;
let cleanup: () => Promise<void>;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

beforeAll(async () => {
  ({ dir: repo, cleanup } = await tempDir('inferd-faults-'));
  const throws = `parameters { key: "throw_on_value" value { string_value: "${POISON}" } }
parameters { key: "execute_delay_ms" value { string_value: "${DELAY_MS}" } }`;
  await writeModel(repo, 'flaky', identityConfig('flaky', `${throws}\ninstance_group [ { kind: KIND_CPU count: 3 } ]`));
  await writeModel(repo, 'flaky_batched', identityConfig('flaky_batched', `${throws}\ndynamic_batching { max_queue_delay_microseconds: 1000 }`));
  await writeModel(repo, 'steady', identityConfig('steady', `parameters { key: "execute_delay_ms" value { string_value: "${DELAY_MS}" } }`));
  await writeModel(repo, 'slow', ortConfig('slow', { input: 'X', output: 'Y', dims: '[ -1, -1 ]' }, 0, 2));
  await writeFile(path.join(repo, 'slow', '1', 'model.onnx'), slowOnnx(32));
  await writeModel(repo, 'fragile', ortConfig('fragile', { input: 'INPUT0', output: 'OUTPUT0', dims: '[ -1 ]' }, 8, 1));
  await writeFile(path.join(repo, 'fragile', '1', 'model.onnx'), identityOnnx('FP32'));
  process.on('unhandledRejection', onUnhandled);
  server = await startTestServer({ modelRepository: repo, modelControlMode: 'explicit', loadModels: ['flaky', 'flaky_batched', 'steady'] });
}, 60_000);

afterAll(async () => {
  await server?.close();
  process.off('unhandledRejection', onUnhandled);
  await cleanup?.();
  expect(unhandled).toEqual([]);
}, 60_000);

describe('an instance whose execute throws', () => {
  it('fails only the request it was running, while other instances and models keep answering', async () => {
    const pending = Promise.all([
      postJson(server, '/v2/models/flaky/infer', fp32Infer([1, POISON])),
      postJson(server, '/v2/models/flaky/infer', fp32Infer([1, 2])),
      postJson(server, '/v2/models/flaky/infer', fp32Infer([3, 4])),
      postJson(server, '/v2/models/steady/infer', fp32Infer([5, 6])),
      postJson(server, '/v2/models/steady/infer', fp32Infer([7, 8])),
    ]);
    // Nothing queued with three in flight: each flaky request runs on an instance of its own.
    await waitFor(() => {
      const s = scheduler(server, 'flaky');
      return s.inflight === 3 && s.queued === 0;
    }, 5_000);
    const [poisoned, ...rest] = await pending;
    expect(poisoned?.status).toBe(500);
    expect(poisoned?.body.error).toMatch(/throw_on_value 99/);
    expect(rest.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(rest.map((r) => r.body.outputs[0].data)).toEqual([[1, 2], [3, 4], [5, 6], [7, 8]]);
  });

  it('keeps serving on every instance afterwards, and counts the failure', async () => {
    const after = await Promise.all([1, 2, 3, 4, 5, 6].map((v) => postJson(server, '/v2/models/flaky/infer', fp32Infer([v]))));
    expect(after.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(after.map((r) => r.body.outputs[0].data[0])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await statsOf(server, 'flaky')).toEqual({ success: 8, fail: 1 });
  });

  it('does not wedge the dynamic batcher: its only instance serves the next batch', async () => {
    const poisoned = await postJson(server, '/v2/models/flaky_batched/infer', fp32Infer([POISON]));
    expect(poisoned.status).toBe(500);
    const next = await Promise.all([1, 2, 3].map((v) => postJson(server, '/v2/models/flaky_batched/infer', fp32Infer([v]))));
    expect(next.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await statsOf(server, 'flaky_batched')).toEqual({ success: 3, fail: 1 });
  });
});

describe('an onnxruntime worker that dies', () => {
  it('fails the request in flight at once with INTERNAL, while the other instance serves, then recovers', async () => {
    const workers = await loadCapturingWorkers(server, 'slow');
    expect(workers).toHaveLength(2);
    const first = postJson(server, '/v2/models/slow/infer', squareInfer(SLOW_N));
    await waitFor(() => scheduler(server, 'slow').inflight === 1, 10_000);
    // `first` is already on its worker, so the crash hits whichever worker gets the next run.
    const crashed = crashOnNextRun(workers);
    const secondSent = performance.now();
    const second = await postJson(server, '/v2/models/slow/infer', squareInfer(4));
    const secondMs = performance.now() - secondSent;
    // The other instance is still running `first`: the crash took only its own worker's request.
    expect(scheduler(server, 'slow').inflight).toBe(1);
    const others = await Promise.all([1, 2].map((v) => postJson(server, '/v2/models/steady/infer', fp32Infer([v]))));
    const firstRes = await first;

    expect(second.status).toBe(500);
    expect(second.body.error).toMatch(/onnxruntime worker failed: .*null/);
    expect(secondMs).toBeLessThan(5_000);
    expect(await (await crashed).exited).toBe(1);
    expect(others.map((r) => r.status)).toEqual([200, 200]);
    expect(firstRes.body.error).toBeUndefined();
    expect(firstRes.status).toBe(200);
    expect(firstRes.body.outputs[0].shape).toEqual([SLOW_N, SLOW_N]);

    const restarted: Worker[] = [];
    const capture = (w: Worker): void => void restarted.push(w);
    process.on('worker', capture);
    try {
      const after = await Promise.all([3, 2, 1].map((n) => postJson(server, '/v2/models/slow/infer', squareInfer(n))));
      expect(after.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(after.map((r) => r.body.outputs[0].shape)).toEqual([[3, 3], [2, 2], [1, 1]]);
      expect(after[0]?.body.outputs[0].data).toEqual(new Array(9).fill(0));
    } finally {
      process.off('worker', capture);
    }
    // Exactly one fresh worker (and session) replaced the dead one.
    expect(restarted).toHaveLength(1);
    expect(await statsOf(server, 'slow')).toEqual({ success: 4, fail: 1 });
  }, 60_000);

  it('loses the instance when the worker cannot be restarted: requests fail fast with UNAVAILABLE, other models serve', async () => {
    const [worker] = await loadCapturingWorkers(server, 'fragile');
    if (!worker) throw new Error('loading fragile started no worker thread');
    expect((await postJson(server, '/v2/models/fragile/infer', fp32Infer([1, 2]))).status).toBe(200);
    await rm(path.join(repo, 'fragile', '1', 'model.onnx'));
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    crash(worker);
    await exited;

    const failed = await postJson(server, '/v2/models/fragile/infer', fp32Infer([3]));
    expect(failed.status).toBe(503);
    expect(failed.body.error).toMatch(/onnxruntime worker failed.*restarting its worker failed/);
    await waitFor(async () => (await client(server)('/v2/models/fragile/ready')).status === 400, 5_000);
    const index = (await postJson(server, '/v2/repository/index', {})).body as { name: string; state: string; reason: string }[];
    expect(index.find((e) => e.name === 'fragile')).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringMatching(/^instance lost: .*restarting its worker failed: .*ENOENT/) });
    expect((await postJson(server, '/v2/models/fragile/infer', fp32Infer([4]))).status).toBe(503);
    expect((await postJson(server, '/v2/models/steady/infer', fp32Infer([9]))).status).toBe(200);
  }, 60_000);
});
