/**
 * Start-up benchmark: `inferd serve --model …` from spawn to the first 200 of `/v1/health/live`
 * and of `/v1/health/ready`, for a ~100 MiB Q8_0 GGUF model reached three ways:
 *
 * - `local`: a cached file passed as `--model FILE`;
 * - `hub-cold` / `hub-warm`: `--model hf://bench/startup-GGUF/<file>` with HF_ENDPOINT pointing at
 *   a Hub stand-in (test/support/hub-server.ts) started in this process, first with an empty cache
 *   dir (the download is part of start-up), then with the cache filled;
 * - `catalog-cold` / `catalog-warm`: the same file as catalog model `startup-100m` (INFERD_CATALOG
 *   holds a catalog whose profile's source is the local hub), which adds inspection and selection.
 *
 *   node --import tsx bench/startup.ts [--runs 3] [--no-engine-floor] [--scenarios local,hub-cold,hub-warm,catalog-cold,catalog-warm]
 *     [--cache-dir .cache/startup-bench] [--entry src/main.ts[,dist/src/main.js]] [--out bench/RESULTS-startup.md] [--timeout 120]
 *
 * `--entry` lists the CLI entry points to measure: `src/main.ts` runs through tsx (compiling
 * TypeScript at start), a `.js` entry (a `tsc -p tsconfig.build.json` build) runs as shipped. Scenarios run one server at
 * a time; each server is stopped (SIGTERM, then waited for) before the next starts. Each round also
 * times the engine floor: node-llama-cpp alone loading the same file (see engineOnce).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveModelReference } from '../src/catalog/index.js';
import { tinyLlamaGguf, tinyLlamaParameterCount, writeGgufFile, type TinyLlamaOptions } from '../src/formats/gguf/index.js';
import { startHubServer, type HubServer } from '../test/support/hub-server.js';
import { ROOT } from './lib/processes.js';

const args = process.argv.slice(2);
const opt = (flag: string, fallback: string): string => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const RUNS = Number(opt('--runs', '3'));
const SCENARIOS = opt('--scenarios', 'local,hub-cold,hub-warm,catalog-cold,catalog-warm').split(',');
const CACHE = path.resolve(ROOT, opt('--cache-dir', '.cache/startup-bench'));
const ENTRIES = opt('--entry', 'src/main.ts').split(',');
const OUT = opt('--out', path.join('bench', 'RESULTS-startup.md'));
const TIMEOUT_MS = Number(opt('--timeout', '120')) * 1000;
const ENGINE_FLOOR = !args.includes('--no-engine-floor');
/** The pseudo launcher of the engine-floor rows. */
const ENGINE = 'node-llama-cpp';

/** The ~100 MiB model: 98.7M parameters, Q8_0 (vocabulary 32,000, width 768, 7 layers). */
const MODEL: TinyLlamaOptions = {
  name: 'startup-100m', seed: 5, vocabSize: 32000, embeddingLength: 768, blockCount: 7, headCount: 12, headCountKv: 12, feedForwardLength: 2048, contextLength: 2048, tensorType: 'Q8_0',
};
const FILE_NAME = 'startup-100m-q8_0.gguf';
const REPO = 'bench/startup-GGUF';
const CATALOG_MODEL = 'startup-100m';

async function benchModel(): Promise<string> {
  const file = path.join(CACHE, FILE_NAME);
  if (existsSync(file)) return file;
  await mkdir(CACHE, { recursive: true });
  log(`generating ${(tinyLlamaParameterCount(MODEL) / 1e6).toFixed(1)}M-parameter Q8_0 model into ${file} ...`);
  await writeGgufFile(`${file}.partial`, tinyLlamaGguf(MODEL));
  await rename(`${file}.partial`, file);
  return file;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** One start-up: milliseconds from spawn to the first 200 of live and of ready. */
interface Sample {
  readonly liveMs: number;
  readonly readyMs: number;
  /** 1-minute load average when the run started (other jobs share this machine). */
  readonly load: number;
}

/** Polls `url` every 10 ms until it answers 200; returns ms since `t0`. */
async function firstOk(url: string, t0: number, alive: () => boolean, deadline: number): Promise<number> {
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(async (r) => {
      await r.body?.cancel();
      return r.status === 200;
    }, () => false);
    if (ok) return performance.now() - t0;
    if (!alive()) throw new Error(`server exited before ${url} answered 200`);
    if (performance.now() > deadline) throw new Error(`${url} did not answer 200 within ${TIMEOUT_MS / 1000} s`);
    await sleep(10);
  }
}

/** Environment of a serve process: none of this shell's INFERD_/HF_ settings, plus `extra`. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HF_|HUGGING_FACE|INFERD_)/.test(k)));
  return { ...base, ...extra };
}

function serveArgs(model: string, port: number): string[] {
  return ['serve', '--model', model, '--http-port', String(port), '--grpc-port', '0', '--allow-grpc', 'false', '--log-level', 'warn'];
}

/** The argv after `node` for one serve through `entry`. */
function nodeArgs(entry: string, model: string, port: number): string[] {
  return [...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), path.resolve(ROOT, entry), ...serveArgs(model, port)];
}

async function startOnce(entry: string, model: string, env: Record<string, string>): Promise<Sample> {
  const port = await freePort();
  const load = os.loadavg()[0]!;
  const t0 = performance.now();
  const child = spawn(process.execPath, nodeArgs(entry, model, port), { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const deadline = t0 + TIMEOUT_MS;
  const base = `http://127.0.0.1:${port}`;
  try {
    const [liveMs, readyMs] = await Promise.all([firstOk(`${base}/v1/health/live`, t0, alive, deadline), firstOk(`${base}/v1/health/ready`, t0, alive, deadline)]);
    return { liveMs, readyMs, load };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- serve stderr ---\n${stderr}`);
  } finally {
    if (alive()) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  }
}

/**
 * The engine floor: a bare `node` process that imports node-llama-cpp, loads the same file and
 * creates the context the llamacpp backend would (context 2048 = the model's, 4 sequences, batch
 * 512, 1 thread, gpu auto). "live" is the import done, "ready" the context created.
 */
async function engineOnce(file: string): Promise<Sample> {
  const code = [
    "const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');",
    "process.stdout.write('imported\\n');",
    "const llama = await getLlama({ gpu: 'auto', build: 'never', logLevel: LlamaLogLevel.warn, progressLogs: false });",
    `const model = await llama.loadModel({ modelPath: ${JSON.stringify(file)}, gpuLayers: llama.gpu === false ? 0 : 'auto' });`,
    'await model.createContext({ contextSize: 2048, sequences: 4, batchSize: 512, threads: 1, failedCreationRemedy: false });',
    "process.stdout.write('ready\\n');",
    'process.exit(0);',
  ].join('\n');
  // NOTE: a file, not `node -e`: node-llama-cpp tests its binary in a child that inherits execArgv, and `--input-type` breaks that child.
  const script = path.join(CACHE, 'engine-floor.mjs');
  await writeFile(script, code);
  const load = os.loadavg()[0]!;
  const t0 = performance.now();
  const child = spawn(process.execPath, [script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const marks = new Map<string, number>();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line) marks.set(line, performance.now() - t0);
  });
  const status = await new Promise<number | null>((r) => child.once('exit', r));
  const liveMs = marks.get('imported');
  const readyMs = marks.get('ready');
  if (status !== 0 || liveMs === undefined || readyMs === undefined) throw new Error(`engine floor run failed (${status}): ${stderr}`);
  return { liveMs, readyMs, load };
}

/** A scenario: the --model value, its environment, and what to do to the cache before each run. */
interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly model: string;
  readonly env: Record<string, string>;
  readonly beforeEach?: () => Promise<void>;
  /** Untimed set-up before the first run (filling the warm cache). */
  readonly prepare?: () => Promise<void>;
}

function scenarios(file: string, hub: HubServer | undefined, catalogFile: string): Scenario[] {
  const cold = path.join(CACHE, 'hub-cache-cold');
  const warm = path.join(CACHE, 'hub-cache-warm');
  const hubEnv = (cacheDir: string): Record<string, string> => ({ HF_ENDPOINT: hub?.url ?? '', INFERD_CACHE_DIR: cacheDir, INFERD_CATALOG: catalogFile });
  const empty = (dir: string) => async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  };
  const hubRef = `hf://${REPO}/${FILE_NAME}`;
  const fill = (ref: string) => async (): Promise<void> => {
    await resolveModelReference(ref, { cacheDir: warm, endpoint: hub?.url, catalogFile, offline: false });
  };
  const all: Scenario[] = [
    { name: 'local', description: 'cached GGUF file, `--model FILE`', model: file, env: {} },
    { name: 'hub-cold', description: `\`--model ${hubRef}\`, empty cache (downloads 100 MiB from the local hub)`, model: hubRef, env: hubEnv(cold), beforeEach: empty(cold) },
    { name: 'hub-warm', description: `\`--model ${hubRef}\`, file already in the cache`, model: hubRef, env: hubEnv(warm), prepare: fill(hubRef) },
    { name: 'catalog-cold', description: `\`--model ${CATALOG_MODEL}\` (catalog → inspect → select), empty cache`, model: CATALOG_MODEL, env: hubEnv(cold), beforeEach: empty(cold) },
    { name: 'catalog-warm', description: `\`--model ${CATALOG_MODEL}\` (catalog → inspect → select), file already in the cache`, model: CATALOG_MODEL, env: hubEnv(warm), prepare: fill(CATALOG_MODEL) },
  ];
  return all.filter((s) => SCENARIOS.includes(s.name));
}

interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function stats(values: readonly number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, min: s[0]!, max: s.at(-1)! };
}

const secs = (ms: number): string => (ms / 1000).toFixed(2);
const fmt = (st: Stats): string => `${secs(st.median)} s (${secs(st.min)}–${secs(st.max)})`;

interface Result {
  readonly entry: string;
  readonly scenario: Scenario;
  readonly samples: Sample[];
}

async function writeCatalog(file: string, sizeBytes: number): Promise<string> {
  const catalogFile = path.join(CACHE, 'catalog.json');
  const architecture = {
    architecture: 'llama', parameterCount: tinyLlamaParameterCount(MODEL), blockCount: MODEL.blockCount, embeddingLength: MODEL.embeddingLength, headCount: MODEL.headCount,
    headCountKv: MODEL.headCountKv, headDim: MODEL.embeddingLength! / MODEL.headCount!, vocabSize: MODEL.vocabSize, contextLength: MODEL.contextLength,
  };
  await writeFile(catalogFile, JSON.stringify({
    version: 1,
    models: [{ name: CATALOG_MODEL, task: 'chat', description: `start-up bench model (${path.basename(file)})`, architecture, profiles: [
      { engine: 'llamacpp', device: 'cpu', precision: 'q8_0', source: { repo: REPO, files: [{ path: FILE_NAME, sizeBytes }] } },
    ] }],
  }, null, 2));
  return catalogFile;
}

function report(results: readonly Result[], fileBytes: number): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const launcher = (entry: string): string => (entry === ENGINE ? 'node-llama-cpp only' : `node ${entry.endsWith('.ts') ? '--import tsx ' : ''}${entry}`);
  const rows = results.map(({ entry, scenario, samples }) =>
    `| ${launcher(entry)} | ${scenario.name} | ${scenario.description} | ${samples.length} | ${fmt(stats(samples.map((s) => s.liveMs)))} | ${fmt(stats(samples.map((s) => s.readyMs)))} |`);
  const runs = results.map(({ entry, scenario, samples }) =>
    `- ${launcher(entry)}, ${scenario.name}: ready ${samples.map((s) => secs(s.readyMs)).join(', ')} s; live ${samples.map((s) => secs(s.liveMs)).join(', ')} s; load average ${samples.map((s) => s.load.toFixed(1)).join(', ')}`);
  const goals = results.filter((r) => r.scenario.name === 'local').map((r) => {
    const median = stats(r.samples.map((s) => s.readyMs)).median;
    return `- \`${launcher(r.entry)}\`, local file: median ${secs(median)} s — ${median < 2000 ? 'met' : 'NOT met'}`;
  });
  const cmd = `node --import tsx bench/startup.ts ${args.filter((a) => a !== '--out' && a !== OUT).join(' ')}`.trim();
  return [
    '# bench/startup — results',
    '',
    `Command: \`${cmd}\``,
    '',
    `Each run spawns \`<launcher> ${serveArgs('<model>', 0).join(' ').replace('--http-port 0', '--http-port <free port>')}\` and polls`,
    '`/v1/health/live` and `/v1/health/ready` every 10 ms; figures are milliseconds from `spawn` to the first',
    'HTTP 200 of each, as median (min–max). The server is stopped and waited for between runs; each round runs',
    'every scenario once (so load from other jobs on this shared machine spreads over all of them), and the',
    '1-minute load average at each start is listed per run below. The `node-llama-cpp only` row is the floor:',
    'a bare `node` script that imports node-llama-cpp (its "live" column) and loads the same file with the context the',
    'llamacpp backend creates (its "ready" column), with no inferd code at all.',
    '`node --import tsx src/main.ts` compiles TypeScript as it starts (the dev launcher); a `.js` launcher is',
    '`npx tsc -p tsconfig.build.json --outDir <dir>` of the same tree, as `npm run build` ships it.',
    '',
    `Model: ${(tinyLlamaParameterCount(MODEL) / 1e6).toFixed(1)}M-parameter Llama-architecture GGUF, Q8_0, ${(fileBytes / 2 ** 20).toFixed(1)} MiB`,
    '(vocabulary 32,000, width 768, 7 layers; generated by `tinyLlamaGguf`), default llamacpp parameters',
    '(`--model` adds none for a local or hf:// file; the catalog adds `context_size`, `max_sequences`, `gpu=false`).',
    'The hub is `test/support/hub-server.ts` on 127.0.0.1 in the bench process (64 KiB writes, 302 to its CDN path, sha256 in `X-Linked-Etag`).',
    `Machine: ${cpu}, ${os.cpus().length} logical cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    'The file is in the OS page cache after the first run of a scenario (no root to drop caches), as it is for any restart.',
    '',
    '| launcher | scenario | --model | runs | /v1/health/live | /v1/health/ready |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    'Per run:',
    '',
    ...runs,
    '',
    ...(goals.length ? ['Goal (issue #5): cached start-up to ready < 2 s for a 100 MB model.', '', ...goals, ''] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const file = await benchModel();
  const bytes = await readFile(file);
  const needsHub = SCENARIOS.some((s) => s.startsWith('hub') || s.startsWith('catalog'));
  const catalogFile = await writeCatalog(file, bytes.length);
  const hub = needsHub ? await startHubServer({ repos: [{ id: REPO, files: [{ path: FILE_NAME, content: bytes }] }] }) : undefined;
  const plan = ENTRIES.flatMap((entry) => scenarios(file, hub, catalogFile).map((scenario): Result => ({ entry, scenario, samples: [] })));
  if (ENGINE_FLOOR) plan.push({ entry: ENGINE, scenario: { name: 'engine-floor', description: 'no inferd: a `node` script importing node-llama-cpp, `loadModel`, `createContext` (2048 × 4)', model: file, env: {} }, samples: [] });
  try {
    for (const r of plan) await r.scenario.prepare?.();
    // NOTE: rounds go through every scenario once, so load from other jobs on this shared machine spreads over all of them.
    for (let i = 0; i < RUNS; i++) {
      for (const r of plan) {
        await r.scenario.beforeEach?.();
        const s = r.entry === ENGINE ? await engineOnce(file) : await startOnce(r.entry, r.scenario.model, r.scenario.env);
        log(`${r.entry} ${r.scenario.name} #${i + 1}: live ${secs(s.liveMs)} s, ready ${secs(s.readyMs)} s (load ${s.load.toFixed(1)})`);
        r.samples.push(s);
      }
    }
  } finally {
    await hub?.close();
    await rm(path.join(CACHE, 'hub-cache-cold'), { recursive: true, force: true });
  }
  for (const r of plan) log(`${r.entry} ${r.scenario.name}: live ${fmt(stats(r.samples.map((s) => s.liveMs)))}, ready ${fmt(stats(r.samples.map((s) => s.readyMs)))}`);
  const text = report(plan, bytes.length);
  await writeFile(path.resolve(ROOT, OUT), text);
  process.stdout.write(text);
}

await main();
