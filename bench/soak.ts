/**
 * bench/soak: a bounded soak and fault test of inferd on 127.0.0.1. Starts `inferd serve` on the
 * example repository (explicit model control, every model loaded, plus an identity model `churn`),
 * then for --duration seconds sends a mixed load at --concurrency: valid inference, malformed
 * requests, client aborts, bodies cut off mid-upload, oversized bodies, inference on `churn`
 * while a control loop loads and unloads it, LLM completions when the tiny LLM is served, and a
 * few slowloris connections that the server must close. Prints requests sent/answered/lost,
 * status classes, p50/p99 latency, RSS and open descriptors before/after.
 *
 * Exits non-zero on any unexpected 5xx, any lost request, a crash, a failed final health check,
 * RSS growth after warm-up above --max-rss-growth-mib, or a slowloris connection left open.
 *
 * Usage: node --import tsx bench/soak.ts [--duration 60] [--concurrency 32] [--port 18300]
 *          [--slowloris 4] [--max-rss-growth-mib 64] [--max-fd-growth 16] [--warmup 5] [--seed 1]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateExampleRepository, mulberry32 } from '../src/examples/index.js';
import { percentile, spawnServer, type ServerProcess } from './lib/processes.js';
import { sampleProcess, type ProcSample } from './lib/proc-stats.js';
import { chooseKind, sendRequest, type Outcome, type RequestKind } from './lib/soak-traffic.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
  return value;
}

const DURATION_S = flag('duration', 60);
const CONCURRENCY = flag('concurrency', 32);
const PORT = flag('port', 18300);
const SLOWLORIS = flag('slowloris', 4);
const MAX_RSS_GROWTH_MIB = flag('max-rss-growth-mib', 64);
const WARMUP_S = flag('warmup', 5);
const SEED = flag('seed', 1);
const MAX_FD_GROWTH = flag('max-fd-growth', 16);
/** Server limits the run relies on: small body limit (oversized = 2x) and a short header timeout. */
const MAX_INPUT_BYTES = 1 << 20;
const HEADER_TIMEOUT_S = 5;
/** Quiet time between closing the client's connections and the final sample. */
const IDLE_SETTLE_MS = 2_000;

const WEIGHTS = new Map<RequestKind, number>([
  ['valid', 62],
  ['bad', 15],
  ['abort', 7],
  ['midbody', 3],
  ['oversized', 0.5],
  ['churn', 8],
  ['llm', 4.5],
]);

interface Tally {
  sent: number;
  answered: number;
  aborted: number;
  lost: number;
  byStatus: Map<number, number>;
  byKind: Map<RequestKind, number>;
  /** `kind status` → count, e.g. `churn 503`. */
  byKindStatus: Map<string, number>;
  unexpected: Outcome[];
  latencies: number[];
}

function record(t: Tally, o: Outcome): void {
  t.sent++;
  t.byKind.set(o.kind, (t.byKind.get(o.kind) ?? 0) + 1);
  if (o.result === 'aborted') t.aborted++;
  else if (o.result === 'lost') t.lost++;
  else {
    t.answered++;
    t.byStatus.set(o.status!, (t.byStatus.get(o.status!) ?? 0) + 1);
    t.byKindStatus.set(`${o.kind} ${o.status}`, (t.byKindStatus.get(`${o.kind} ${o.status}`) ?? 0) + 1);
    if (o.kind === 'valid' && o.ms !== undefined) t.latencies.push(o.ms);
  }
  if (!o.expected && t.unexpected.length < 20) t.unexpected.push(o);
  else if (!o.expected) t.unexpected.push({ ...o, detail: undefined });
}

async function traffic(until: number, weights: ReadonlyMap<RequestKind, number>, tally: Tally, seed: number): Promise<void> {
  const random = mulberry32(seed);
  const target = { port: PORT, oversizedBytes: 2 * MAX_INPUT_BYTES, requestTimeoutMs: 30_000 };
  while (Date.now() < until) record(tally, await sendRequest(chooseKind(weights, random), target, random));
}

/** Alternately loads and unloads `churn` through the repository API until `until`. */
async function churnLoop(until: number): Promise<{ cycles: number; failures: string[] }> {
  const failures: string[] = [];
  let cycles = 0;
  for (let load = false; Date.now() < until; load = !load) {
    const action = load ? 'load' : 'unload';
    const res = await fetch(`http://127.0.0.1:${PORT}/v2/repository/models/churn/${action}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }).catch((e: Error) => e);
    if (res instanceof Error || res.status !== 200) failures.push(`${action}: ${res instanceof Error ? res.message : `${res.status} ${await res.text()}`}`);
    cycles += load ? 1 : 0;
    await new Promise((r) => setTimeout(r, 150));
  }
  await fetch(`http://127.0.0.1:${PORT}/v2/repository/models/churn/load`, { method: 'POST', body: '{}' }).catch(() => undefined);
  return { cycles, failures };
}

/** Slowloris connections: headers trickle in one byte a second; the server must close each. */
async function slowloris(count: number, until: number): Promise<{ opened: number; closeAfterS: number[]; leftOpen: number }> {
  const closeAfterS: number[] = [];
  const open = new Map<Socket, number>();
  let opened = 0;
  const start = (): void => {
    const socket = connect(PORT, '127.0.0.1');
    opened++;
    open.set(socket, Date.now());
    socket.on('error', () => undefined);
    socket.on('connect', () => socket.write('POST /v2/models/simple/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    const trickle = setInterval(() => socket.write('X'), 1_000);
    socket.on('close', () => {
      clearInterval(trickle);
      const began = open.get(socket);
      if (began === undefined) return;
      open.delete(socket);
      closeAfterS.push((Date.now() - began) / 1000);
      if (Date.now() < until - 1_000) start();
    });
  };
  for (let i = 0; i < count; i++) start();
  while (Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  // NOTE: a connection older than the header timeout plus slack that is still open was never cut off.
  const leftOpen = [...open.values()].filter((began) => Date.now() - began > (HEADER_TIMEOUT_S + 3) * 1000).length;
  for (const s of [...open.keys()]) {
    open.delete(s);
    s.destroy();
  }
  return { opened, closeAfterS, leftOpen };
}

/** The model the control loop loads and unloads while traffic hits it. */
async function addChurnModel(repo: string): Promise<void> {
  await mkdir(path.join(repo, 'churn', '1'), { recursive: true });
  const io = (kind: string, name: string): string => `${kind} [ { name: "${name}" data_type: TYPE_FP32 dims: [ -1 ] } ]`;
  await writeFile(path.join(repo, 'churn', 'config.pbtxt'), `name: "churn"\nbackend: "identity"\nmax_batch_size: 8\n${io('input', 'INPUT0')}\n${io('output', 'OUTPUT0')}\n`);
}

async function healthy(): Promise<boolean> {
  const ready = await fetch(`http://127.0.0.1:${PORT}/v2/health/live`).then((r) => r.status === 200, () => false);
  const infer = await sendRequest('valid', { port: PORT, oversizedBytes: 0, requestTimeoutMs: 10_000 }, () => 0);
  return ready && infer.status === 200;
}

/**
 * Closes the keep-alive connections of Node's built-in fetch, so the final descriptor count
 * compares an idle server with an idle server. NOTE: the global dispatcher lives under undici's
 * registered symbol; the server's Keep-Alive hint (72 s) would otherwise keep them open.
 */
async function closeFetchPool(): Promise<boolean> {
  const pool = (globalThis as Record<symbol, { close?: () => Promise<void> } | undefined>)[Symbol.for('undici.globalDispatcher.1')];
  if (!pool?.close) return false;
  await pool.close();
  return true;
}

function fmt(s: ProcSample): string {
  return `${s.rssMiB.toFixed(1)} MiB RSS, ${s.openFds} fds (${s.sockets} sockets)`;
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'inferd-soak-'));
  const repo = path.join(work, 'repo');
  await generateExampleRepository(repo);
  await addChurnModel(repo);
  const args = ['serve', '--model-repository', repo, '--http-port', String(PORT), '--allow-grpc', 'false', '--model-control-mode', 'explicit', '--load-model', '*'];
  args.push('--http-max-input-size', String(MAX_INPUT_BYTES), '--http-header-timeout', String(HEADER_TIMEOUT_S), '--strict-readiness', 'false');
  const server: ServerProcess = await spawnServer('src/main.ts', args, PORT, '/v2/health/ready');
  const pid = server.child.pid!;
  let crashed = false;
  server.child.on('exit', (code, signal) => {
    crashed = true;
    process.stderr.write(`inferd exited during the soak: code ${code} signal ${signal}\n`);
  });
  try {
    const llm = await fetch(`http://127.0.0.1:${PORT}/v1/models`).then(async (r) => (r.ok ? JSON.stringify(await r.json()).includes('tiny_llm') : false), () => false);
    const weights = new Map(WEIGHTS);
    if (!llm) weights.delete('llm');
    const atStart = await sampleProcess(pid);
    const warm: Tally = { sent: 0, answered: 0, aborted: 0, lost: 0, byStatus: new Map(), byKind: new Map(), byKindStatus: new Map(), unexpected: [], latencies: [] };
    const warmUntil = Date.now() + WARMUP_S * 1000;
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => traffic(warmUntil, new Map([['valid', 1]]), warm, SEED * 1000 + i)));
    const afterWarmup = await sampleProcess(pid);

    const tally: Tally = { sent: 0, answered: 0, aborted: 0, lost: 0, byStatus: new Map(), byKind: new Map(), byKindStatus: new Map(), unexpected: [], latencies: [] };
    const until = Date.now() + DURATION_S * 1000;
    const rssSeries: number[] = [];
    const sampler = setInterval(() => void sampleProcess(pid).then((s) => rssSeries.push(Math.round(s.rssMiB)), () => undefined), 5_000);
    const [churn, slow] = await Promise.all([
      churnLoop(until),
      slowloris(SLOWLORIS, until),
      ...Array.from({ length: CONCURRENCY }, (_, i) => traffic(until, weights, tally, SEED * 7919 + i)),
    ]);
    clearInterval(sampler);
    const ok = !crashed && (await healthy());
    const poolClosed = await closeFetchPool();
    await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
    const atEnd = await sampleProcess(pid);

    const growth = atEnd.rssMiB - afterWarmup.rssMiB;
    const fdGrowth = atEnd.openFds - atStart.openFds;
    const fiveXx = [...tally.byStatus].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    const unexpected5xx = tally.unexpected.filter((o) => (o.status ?? 0) >= 500).length;
    const classes = ['2xx', '4xx', '5xx'].map((c) => `${c} ${[...tally.byStatus].filter(([s]) => String(s)[0] === c[0]).reduce((n, [, k]) => n + k, 0)}`);
    const lines = [
      `# soak: ${DURATION_S}s at concurrency ${CONCURRENCY} (+${SLOWLORIS} slowloris), seed ${SEED}${llm ? ', LLM traffic on' : ', LLM not served'}`,
      `warm-up: ${WARMUP_S}s of valid requests, sent ${warm.sent}, lost ${warm.lost}`,
      `requests: sent ${tally.sent}, answered ${tally.answered}, aborted on purpose ${tally.aborted}, lost ${tally.lost} (${(tally.sent / DURATION_S).toFixed(0)}/s)`,
      `statuses: ${classes.join(', ')}; by code ${[...tally.byStatus].sort((a, b) => a[0] - b[0]).map(([s, c]) => `${s}:${c}`).join(' ')}`,
      `by kind: ${[...tally.byKind].map(([k, c]) => `${k} ${c}`).join(', ')}`,
      `unexpected answers: ${tally.unexpected.length} (5xx among them: ${unexpected5xx}); all 5xx: ${fiveXx}, of which 503 from the churn model while unloaded: ${tally.byKindStatus.get('churn 503') ?? 0}`,
      `by kind and status: ${[...tally.byKindStatus].sort().map(([k, c]) => `${k}:${c}`).join(' ')}`,
      `valid-request latency: p50 ${percentile(tally.latencies, 50).toFixed(2)} ms, p99 ${percentile(tally.latencies, 99).toFixed(2)} ms (${tally.latencies.length} samples)`,
      `churn model: ${churn.cycles} load/unload cycles, ${churn.failures.length} failed control calls`,
      `slowloris: ${slow.opened} opened, ${slow.closeAfterS.length} closed by the server after ${slow.closeAfterS.length ? `${Math.min(...slow.closeAfterS).toFixed(1)}-${Math.max(...slow.closeAfterS).toFixed(1)}` : '-'} s (header timeout ${HEADER_TIMEOUT_S} s), ${slow.leftOpen} left open past it`,
      `process: start ${fmt(atStart)}; after warm-up ${fmt(afterWarmup)}; end ${fmt(atEnd)}`,
      `RSS growth after warm-up: ${growth.toFixed(1)} MiB (limit ${MAX_RSS_GROWTH_MIB}); RSS every 5 s: ${rssSeries.join(' ')}`,
      `fds: ${atStart.openFds} at start (idle), ${afterWarmup.openFds} after warm-up (${CONCURRENCY} keep-alive connections), ${atEnd.openFds} at end, ${IDLE_SETTLE_MS / 1000} s after ${poolClosed ? 'closing' : 'failing to close'} the client's keep-alive connections (growth ${fdGrowth}, limit ${MAX_FD_GROWTH}); sockets ${atStart.sockets} -> ${afterWarmup.sockets} -> ${atEnd.sockets}`,
      `crashed: ${crashed}; healthy after: ${ok}`,
    ];
    for (const o of tally.unexpected.slice(0, 10)) lines.push(`  unexpected: ${o.kind} ${o.result} ${o.status ?? ''} ${o.detail ?? ''}`);
    for (const f of churn.failures.slice(0, 5)) lines.push(`  churn failure: ${f}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    const failed = unexpected5xx > 0 || tally.lost > 0 || warm.lost > 0 || crashed || !ok || growth > MAX_RSS_GROWTH_MIB || fdGrowth > MAX_FD_GROWTH || churn.failures.length > 0 || slow.leftOpen > 0 || (SLOWLORIS > 0 && slow.closeAfterS.length === 0);
    process.stdout.write(`result: ${failed ? 'FAIL' : 'PASS'}\n`);
    process.exitCode = failed ? 1 : 0;
  } finally {
    server.child.removeAllListeners('exit');
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
