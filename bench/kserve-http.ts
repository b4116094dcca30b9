/**
 * bench/kserve-http: infer/s and p50/p99 latency of inferd's KServe v2 HTTP endpoint for `simple`
 * and `mlp` at concurrency 1, 8 and 32, next to a bare Node http server returning the same bytes,
 * driven by the same load generator (autocannon) in one run, alternating targets per cell.
 *
 * Usage: npm run bench:kserve-http [-- --duration SECONDS]
 */
import autocannon from 'autocannon';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateExampleRepository, MLP_SIZES } from '../src/examples/index.js';
import { spawnServer } from './lib/processes.js';

const durationArg = process.argv.indexOf('--duration');
const DURATION = durationArg > 0 ? Number(process.argv[durationArg + 1]) : 5;
const CONCURRENCY = [1, 8, 32];

function bodies(): Record<string, string> {
  const ints = Array.from({ length: 16 }, (_, i) => i);
  const pixels = Array.from({ length: MLP_SIZES.input }, (_, i) => ((i * 37) % 255) / 255);
  return {
    simple: JSON.stringify({
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: ints },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: ints },
      ],
    }),
    mlp: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, pixels.length], data: pixels }] }),
  };
}

interface Cell {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(port: number, model: string, body: string, connections: number): Promise<Cell> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/v2/models/${model}/infer`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: DURATION,
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'inferd-bench-'));
  const repo = path.join(work, 'repo');
  await generateExampleRepository(repo);
  const inferd = await spawnServer('src/main.ts', ['serve', '--model-repository', repo, '--http-port', '18100', '--allow-grpc', 'false'], 18100, '/v2/health/ready');
  const body = bodies();
  const routes: string[] = [];
  for (const model of Object.keys(body)) {
    const res = await fetch(`http://127.0.0.1:18100/v2/models/${model}/infer`, { method: 'POST', body: body[model] });
    const file = path.join(work, `${model}.json`);
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    routes.push(`/v2/models/${model}/infer=${file}`);
  }
  const bare = await spawnServer('bench/bare-server.ts', ['18101', ...routes], 18101, '/v2/health/ready');
  const rows: string[] = [];
  try {
    for (const model of Object.keys(body)) {
      for (const c of CONCURRENCY) {
        await load(18100, model, body[model] as string, c);
        const a = await load(18100, model, body[model] as string, c);
        const b = await load(18101, model, body[model] as string, c);
        const row = `| ${model} | ${c} | ${a.rps.toFixed(0)} | ${a.p50} | ${a.p99} | ${b.rps.toFixed(0)} | ${b.p50} | ${b.p99} | ${(a.rps / b.rps).toFixed(2)} | ${a.errors} |`;
        rows.push(row);
        process.stderr.write(`${row}\n`);
      }
    }
  } finally {
    await inferd.stop();
    await bare.stop();
    await rm(work, { recursive: true, force: true });
  }
  console.log(`\nbench/kserve-http — ${DURATION}s per cell, autocannon, JSON bodies, 127.0.0.1\n`);
  console.log('| model | concurrency | inferd infer/s | inferd p50 ms | inferd p99 ms | bare infer/s | bare p50 ms | bare p99 ms | inferd/bare | errors |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

await main();
