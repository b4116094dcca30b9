/**
 * bench/dynamic-batching: what Triton's dynamic batcher buys for the example MLP over KServe HTTP.
 * For concurrency 1/8/32/64 it measures infer/s and p50/p99 latency with batching off and on
 * (several max_queue_delay_microseconds), and the batch sizes executed (from the statistics
 * extension's batch_stats, diffed around each cell). One inferd process serves every variant
 * from a generated repository; autocannon drives it, as in bench/kserve-http.
 *
 * Usage: node --import tsx bench/dynamic-batching.ts [--duration SECONDS] [--concurrency 1,8,32,64]
 */
import autocannon from 'autocannon';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { exampleModels, MLP_SIZES } from '../src/examples/index.js';
import { spawnServer } from './lib/processes.js';

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const DURATION = Number(arg('--duration') ?? 3);
const CONCURRENCY = (arg('--concurrency') ?? '1,8,32,64').split(',').map(Number);
const PORT = 18110;

/** Model name → the dynamic_batching block it gets ('' = batching off). */
const VARIANTS: Readonly<Record<string, string>> = {
  mlp_off: '',
  mlp_delay0: 'dynamic_batching { max_queue_delay_microseconds: 0 }',
  mlp_delay100: 'dynamic_batching { max_queue_delay_microseconds: 100 }',
  mlp_delay1000: 'dynamic_batching { max_queue_delay_microseconds: 1000 }',
};

/** Writes one copy of the example `mlp` per variant, differing only in name and batching. */
async function writeRepository(dir: string): Promise<void> {
  const mlp = exampleModels().find((m) => m.name === 'mlp');
  if (!mlp) throw new Error('example mlp not found');
  for (const [name, batching] of Object.entries(VARIANTS)) {
    const config = mlp.configText.replace('name: "mlp"', `name: "${name}"`).replace('dynamic_batching { }', batching);
    if (config === mlp.configText) throw new Error('mlp config changed shape; update the bench');
    await mkdir(path.join(dir, name, '1'), { recursive: true });
    await writeFile(path.join(dir, name, 'config.pbtxt'), config);
    for (const [rel, content] of Object.entries(mlp.files)) await writeFile(path.join(dir, name, rel), content);
  }
}

interface BatchCounts {
  readonly executions: number;
  readonly inferences: number;
  readonly bySize: ReadonlyMap<number, number>;
}

async function batchCounts(model: string): Promise<BatchCounts> {
  const res = await fetch(`http://127.0.0.1:${PORT}/v2/models/${model}/stats`);
  const stat = ((await res.json()) as { model_stats: any[] }).model_stats[0];
  const bySize = new Map<number, number>(stat.batch_stats.map((b: any) => [Number(b.batch_size), Number(b.compute_infer.count)]));
  return { executions: Number(stat.execution_count), inferences: Number(stat.inference_count), bySize };
}

/** Histogram of batch sizes executed between two snapshots, in power-of-two buckets. */
function histogram(before: BatchCounts, after: BatchCounts): string {
  const buckets = new Map<string, number>();
  for (const [size, count] of after.bySize) {
    const n = count - (before.bySize.get(size) ?? 0);
    if (n <= 0) continue;
    const lo = 2 ** Math.floor(Math.log2(size));
    const label = lo === size && lo === 1 ? '1' : `${lo}-${2 * lo - 1}`;
    buckets.set(label, (buckets.get(label) ?? 0) + n);
  }
  const order = (label: string): number => Number(label.split('-')[0]);
  return [...buckets].sort((a, b) => order(a[0]) - order(b[0])).map(([label, n]) => `${label}:${n}`).join(' ');
}

interface Cell {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly avgBatch: number;
  readonly histogram: string;
}

async function measure(model: string, body: string, connections: number): Promise<Cell> {
  const before = await batchCounts(model);
  const result = await autocannon({
    url: `http://127.0.0.1:${PORT}/v2/models/${model}/infer`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: DURATION,
  });
  const after = await batchCounts(model);
  const executions = after.executions - before.executions;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    avgBatch: executions > 0 ? (after.inferences - before.inferences) / executions : 0,
    histogram: histogram(before, after),
  };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'inferd-bench-batching-'));
  const repo = path.join(work, 'repo');
  await writeRepository(repo);
  const pixels = Array.from({ length: MLP_SIZES.input }, (_, i) => ((i * 37) % 255) / 255);
  const body = JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, pixels.length], data: pixels }] });
  const load = loadavg().map((l) => l.toFixed(2)).join(', ');
  // NOTE: strict config, since auto-completion (like Triton's onnxruntime backend) would switch
  // dynamic batching on for the `off` variant.
  const args = ['serve', '--model-repository', repo, '--http-port', String(PORT), '--strict-model-config', 'true'];
  const server = await spawnServer('src/main.ts', args, PORT, '/v2/health/ready');
  const rows: string[] = [];
  try {
    for (const c of CONCURRENCY) {
      for (const model of Object.keys(VARIANTS)) {
        await autocannon({ url: `http://127.0.0.1:${PORT}/v2/models/${model}/infer`, method: 'POST', body, connections: c, amount: 200 });
        const r = await measure(model, body, c);
        const row = `| ${c} | ${model} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.avgBatch.toFixed(2)} | ${r.histogram} | ${r.errors} |`;
        rows.push(row);
        process.stderr.write(`${row}\n`);
      }
    }
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
  console.log(`\nbench/dynamic-batching — mlp (784→256→10, 1 CPU instance), ${DURATION}s per cell, autocannon, JSON bodies, 127.0.0.1`);
  console.log(`load average at start: ${load}\n`);
  console.log('| concurrency | variant | infer/s | p50 ms | p99 ms | avg batch | batch sizes (executions) | errors |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

await main();
