/**
 * bench/scheduler-overhead: per-request cost of the scheduling layer itself, in process, with a
 * no-op instance (answers at once, no engine). Rows: calling the instance directly (baseline),
 * the direct scheduler, the dynamic batcher (delay 0), and a response-cache hit, each at 1 and 64
 * requests in flight. Overhead = scheduler row minus baseline. Goal: < 20 µs per request.
 *
 * Usage: node --import tsx bench/scheduler-overhead.ts [--requests N]
 */
import { setMaxListeners } from 'node:events';
import { loadavg } from 'node:os';
import type { BatchInstance } from '../src/backends/backend.js';
import { CachingScheduler } from '../src/core/scheduling/caching-scheduler.js';
import { DirectScheduler } from '../src/core/scheduling/direct-scheduler.js';
import { DynamicBatcher } from '../src/core/scheduling/dynamic-batcher.js';
import type { Scheduler } from '../src/core/scheduling/scheduler.js';
import { ResponseCache } from '../src/core/response-cache.js';
import { VersionStatistics } from '../src/core/statistics.js';
import type { InferenceRequest, Tensor } from '../src/core/types.js';

const at = process.argv.indexOf('--requests');
const REQUESTS = at > 0 ? Number(process.argv[at + 1]) : 200_000;

const output: Tensor = { name: 'OUTPUT0', datatype: 'FP32', shape: [1, 10], data: new Float32Array(10) };
const noop: BatchInstance = {
  kind: 'batch',
  execute: (batch) => Promise.resolve(batch.map(() => ({ ok: true as const, outputs: [output] }))),
  dispose: async () => undefined,
};

const signal = new AbortController().signal;
// NOTE: one shared signal for every request, so abort-listener bookkeeping is measured without allocation noise.
setMaxListeners(0, signal);
const input: Tensor = { name: 'INPUT0', datatype: 'FP32', shape: [1, 784], data: new Float32Array(784) };
const request = (): InferenceRequest => ({ id: '', model: { name: 'm' }, inputs: [input], parameters: {}, priority: 0, signal });

type Run = () => Promise<unknown>;

/** Mean microseconds per request with `inflight` requests kept outstanding. */
async function timePerRequest(run: Run, inflight: number, total: number): Promise<number> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < total) {
      started += 1;
      await run();
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inflight }, worker));
  return Number(process.hrtime.bigint() - t0) / 1000 / total;
}

function schedulers(): Record<string, () => Run> {
  const stats = (): VersionStatistics => new VersionStatistics('m', 1);
  const direct = (): Scheduler => new DirectScheduler({ instances: [noop], stats: stats(), batchSizeOf: () => 1 });
  const batcher = (): Scheduler =>
    new DynamicBatcher({ config: { max_queue_delay_microseconds: 0 }, maxBatchSize: 64, instances: [noop], stats: stats(), batchSizeOf: () => 1 });
  return {
    'instance.execute (baseline)': () => () => noop.execute([request()]),
    'direct scheduler': () => {
      const s = direct();
      return () => s.enqueue(request());
    },
    'dynamic batcher (delay 0, max 64)': () => {
      const s = batcher();
      return () => s.enqueue(request());
    },
    'response-cache hit (784 FP32 input)': () => {
      const s = new CachingScheduler({ inner: direct(), cache: new ResponseCache(1 << 20), stats: stats(), name: 'm', version: 1 });
      return () => s.enqueue(request());
    },
  };
}

async function main(): Promise<void> {
  const load = loadavg().map((l) => l.toFixed(2)).join(', ');
  const rows: [string, number, number][] = [];
  for (const [name, make] of Object.entries(schedulers())) {
    const cells: number[] = [];
    for (const inflight of [1, 64]) {
      await timePerRequest(make(), inflight, Math.min(20_000, REQUESTS)); // warm-up
      cells.push(await timePerRequest(make(), inflight, REQUESTS));
    }
    rows.push([name, cells[0] as number, cells[1] as number]);
  }
  const [, base1, base64] = rows[0] as [string, number, number];
  console.log(`\nbench/scheduler-overhead — ${REQUESTS} requests per cell, no-op instance, Node ${process.version}; load average: ${load}\n`);
  console.log('| path | µs/request, 1 in flight | overhead vs baseline | µs/request, 64 in flight | overhead vs baseline |');
  console.log('|---|---|---|---|---|');
  for (const [name, one, many] of rows) {
    console.log(`| ${name} | ${one.toFixed(2)} | ${(one - base1).toFixed(2)} | ${many.toFixed(2)} | ${(many - base64).toFixed(2)} |`);
  }
}

await main();
