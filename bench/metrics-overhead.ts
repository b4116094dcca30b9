/**
 * bench/metrics-overhead: infer/s of the KServe HTTP endpoint with metrics on (the default, and
 * scraped like Prometheus would) versus `--allow-metrics=false`, on the example `simple` model at
 * concurrency 8, alternating the two servers for several rounds. Goal: on/off >= 0.97.
 *
 * Usage: node --import tsx bench/metrics-overhead.ts [--duration SECONDS] [--rounds N] [--scrape-ms MS]
 */
import autocannon from 'autocannon';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateExampleRepository } from '../src/examples/index.js';
import { spawnServer } from './lib/processes.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const DURATION = flag('--duration', 5);
const ROUNDS = flag('--rounds', 3);
const SCRAPE_MS = flag('--scrape-ms', 1000);
const CONNECTIONS = 8;
const ints = Array.from({ length: 16 }, (_, i) => i);
const BODY = JSON.stringify({
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: ints },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: ints },
  ],
});

async function load(port: number): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/v2/models/simple/infer`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
    connections: CONNECTIONS,
    duration: DURATION,
  });
  if (result.errors + result.non2xx > 0) throw new Error(`${result.errors} errors, ${result.non2xx} non-2xx on port ${port}`);
  return result.requests.average;
}

/** Loads `port` while scraping `/metrics` every SCRAPE_MS, as a Prometheus server would. */
async function loadWhileScraping(port: number): Promise<{ rps: number; scrapes: number }> {
  let scrapes = 0;
  const timer = setInterval(() => {
    void fetch(`http://127.0.0.1:${port}/metrics`).then(async (r) => {
      await r.text();
      if (r.ok) scrapes += 1;
    });
  }, SCRAPE_MS);
  try {
    return { rps: await load(port), scrapes };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'inferd-bench-'));
  const repo = path.join(work, 'repo');
  await generateExampleRepository(repo);
  const base = ['serve', '--model-repository', repo];
  const on = await spawnServer('src/main.ts', [...base, '--http-port', '18110'], 18110, '/v2/health/ready');
  const off = await spawnServer('src/main.ts', [...base, '--http-port', '18111', '--allow-metrics=false'], 18111, '/v2/health/ready');
  const rows: string[] = [];
  const ratios: number[] = [];
  try {
    await load(on.port);
    await load(off.port);
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which server goes first so drift on the shared machine hits both alike.
      const first = round % 2 === 1;
      const a = first ? await loadWhileScraping(on.port) : undefined;
      const b = await load(off.port);
      const c = a ?? (await loadWhileScraping(on.port));
      const ratio = c.rps / b;
      ratios.push(ratio);
      const row = `| ${round} | ${c.rps.toFixed(0)} | ${c.scrapes} | ${b.toFixed(0)} | ${ratio.toFixed(3)} |`;
      rows.push(row);
      process.stderr.write(`${row}\n`);
    }
  } finally {
    await on.stop();
    await off.stop();
    await rm(work, { recursive: true, force: true });
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  console.log(`\nbench/metrics-overhead — simple model, ${CONNECTIONS} connections, ${DURATION}s per run, /metrics scraped every ${SCRAPE_MS} ms while metrics are on\n`);
  console.log('| round | metrics on infer/s | scrapes | metrics off infer/s | on/off |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(`\nmedian on/off: ${median.toFixed(3)} (goal >= 0.97)`);
}

await main();
