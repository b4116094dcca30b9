/**
 * LLM serving benchmark: inferd over HTTP vs node-llama-cpp driven directly in-process, at
 * several closed-loop concurrencies (each target gets as many sequences as the concurrency),
 * plus an optional open-loop Poisson run and a prefix-reuse TTFT experiment against inferd.
 * Every request has a unique prompt so no cache flatters the result.
 *
 *   node --import tsx bench/llm/run.ts [--concurrency 1,4,16] [--max-tokens 128] [--requests N]
 *     [--targets inferd,direct,lockstep] [--rounds N] [--poisson-rate R --poisson-requests M] [--prefix]
 *     [--context-size 512] [--batch-size 512] [--threads 1] [--instances N] [--cache-dir DIR] [--json FILE]
 *
 * `--instances N` splits inferd's sequences over N llama.cpp contexts (instance_group count), each
 * with `--threads` threads; the direct targets keep one context, so compare such rows with care.
 */
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { ENGLISH_WORDS } from '../../src/formats/gguf/english-words.js';
import { closedLoop, openLoop, seeded, type StreamTarget } from './load-generator.js';
import { summarize, type Slo, type Summary } from './metrics.js';
import { benchModel, DEFAULT_CACHE_DIR } from './model-cache.js';
import { directTarget, inferdTarget, startInferdServer, type EngineSettings } from './targets.js';

const args = process.argv.slice(2);
const opt = (flag: string, fallback: string): string => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const flag = (name: string): boolean => args.includes(name);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const concurrencies = opt('--concurrency', '1,4,16').split(',').map(Number);
const maxTokens = Number(opt('--max-tokens', '128'));
const targets = opt('--targets', 'inferd,direct,lockstep').split(',');
const base: Omit<EngineSettings, 'sequences'> = { contextSize: Number(opt('--context-size', '512')), batchSize: Number(opt('--batch-size', '512')), threads: Number(opt('--threads', '1')), instances: Number(opt('--instances', '1')) };
const slo: Slo = { ttftMs: Number(opt('--slo-ttft', '2000')), tpotMs: Number(opt('--slo-tpot', '100')) };

/** A unique prompt per (run, index): a numbered line of seeded words. */
function promptFactory(run: string, words = 24): (i: number) => string {
  return (i) => {
    const random = seeded(hash(`${run}:${i}`));
    return `Request ${run}-${i}: ${Array.from({ length: words }, () => ENGLISH_WORDS[Math.floor(random() * ENGLISH_WORDS.length)]).join(' ')}`;
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

async function makeTarget(kind: string, modelFile: string, engine: EngineSettings): Promise<StreamTarget> {
  if (kind === 'direct') return directTarget(modelFile, engine);
  if (kind === 'lockstep') return directTarget(modelFile, engine, true);
  const { url, child } = await startInferdServer(modelFile, engine);
  return inferdTarget(url, 'bench', child);
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '-');

function row(target: string, c: number, s: Summary): string {
  return `| ${target} | ${c} | ${s.requests - s.errors}/${s.requests} | ${s.outputTokPerS.toFixed(1)} | ${ms(s.ttft.p50)} | ${ms(s.ttft.p99)} | ${ms(s.tpot.p50)} | ${ms(s.tpot.p99)} | ${ms(s.itl.p50)} | ${ms(s.itl.p99)} | ${ms(s.e2e.p50)} | ${ms(s.e2e.p99)} | ${s.goodputPerS.toFixed(2)} |`;
}

const HEADER =
  '| target | concurrency | ok | output tok/s | TTFT p50 | TTFT p99 | TPOT p50 | TPOT p99 | ITL p50 | ITL p99 | E2E p50 | E2E p99 | goodput req/s |\n' +
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';

const modelFile = await benchModel(opt('--cache-dir', DEFAULT_CACHE_DIR), log);
const results: { target: string; concurrency: number; summary: Summary }[] = [];
const lines: string[] = [];
lines.push(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}; ${maxTokens} output tokens per request, greedy, ignore_eos; ` +
  `context ${base.contextSize}, batch ${base.batchSize}, ${base.threads} thread(s); SLO for goodput: TTFT ≤ ${slo.ttftMs} ms and TPOT ≤ ${slo.tpotMs} ms.`, '', HEADER);

const rounds = Math.max(1, Number(opt('--rounds', '1')));
/** Every measured run, so rounds can be reduced to the median per (target, concurrency). */
const runs: { target: string; concurrency: number; summary: Summary }[] = [];
for (const c of concurrencies) {
  const requests = Number(opt('--requests', String(Math.max(8, 3 * c))));
  // NOTE: targets alternate order each round so a drifting machine speed hits every target alike.
  for (let round = 0; round < rounds; round++) {
    for (const kind of round % 2 === 0 ? targets : [...targets].reverse()) {
      const target = await makeTarget(kind, modelFile, { ...base, sequences: c });
      await closedLoop(target, { concurrency: c, requests: c, maxTokens: 8, prompt: promptFactory(`warm-${kind}-${c}-${round}`) });
      log(`${target.name}: concurrency ${c}, ${requests} requests (round ${round + 1}/${rounds}) ...`);
      const run = await closedLoop(target, { concurrency: c, requests, maxTokens, prompt: promptFactory(`${kind}-${c}-${round}`) });
      const summary = summarize(run, slo);
      runs.push({ target: target.name, concurrency: c, summary });
      log(row(target.name, c, summary));
      await target.close();
    }
  }
  for (const name of [...new Set(runs.filter((r) => r.concurrency === c).map((r) => r.target))]) {
    const mine = runs.filter((r) => r.concurrency === c && r.target === name).sort((a, b) => a.summary.outputTokPerS - b.summary.outputTokPerS);
    const median = mine[Math.floor((mine.length - 1) / 2)]!;
    results.push(median);
    lines.push(row(name, c, median.summary) + (rounds > 1 ? ` ${mine.map((r) => r.summary.outputTokPerS.toFixed(1)).join(' / ')} |` : ''));
  }
}
if (rounds > 1) lines.push('', `Each row is the median of ${rounds} rounds by output tok/s (targets alternate order per round); the last column lists every round's tok/s.`);

const ratio = (c: number, name: string): string => {
  const i = results.find((r) => r.concurrency === c && r.target.startsWith('inferd'));
  const d = results.find((r) => r.concurrency === c && r.target === name);
  return i && d ? (i.summary.outputTokPerS / d.summary.outputTokPerS).toFixed(3) : '-';
};
for (const name of ['node-llama-cpp (direct)', 'node-llama-cpp (direct, lock-step)']) {
  if (results.some((r) => r.target === name)) lines.push('', `inferd / ${name} output tok/s: ${concurrencies.map((c) => `c=${c}: ${ratio(c, name)}`).join(', ')}`);
}
const inferdAt = (c: number) => results.find((r) => r.concurrency === c && r.target.startsWith('inferd'))?.summary.outputTokPerS;
const lo = inferdAt(Math.min(...concurrencies));
const hi = inferdAt(Math.max(...concurrencies));
if (lo && hi) lines.push(`inferd scaling, c=${Math.max(...concurrencies)} vs c=${Math.min(...concurrencies)}: ${(hi / lo).toFixed(2)}×`);

const rate = Number(opt('--poisson-rate', '0'));
if (rate > 0) {
  const sequences = Math.max(...concurrencies);
  const target = await makeTarget('inferd', modelFile, { ...base, sequences });
  const requests = Number(opt('--poisson-requests', '30'));
  log(`inferd open loop: Poisson ${rate} req/s, ${requests} requests, ${sequences} sequences ...`);
  const run = await openLoop(target, { rate, requests, maxTokens, seed: 7, prompt: promptFactory('poisson') });
  const s = summarize(run, slo);
  lines.push('', `Open loop (Poisson arrivals, mean ${rate} req/s, ${requests} requests, ${sequences} sequences):`, '', HEADER, row(`${target.name}, Poisson ${rate}/s`, sequences, s));
  results.push({ target: `${target.name} poisson ${rate}`, concurrency: sequences, summary: s });
  await target.close();
}

if (flag('--prefix')) {
  const prefixWords = Number(opt('--prefix-words', '300'));
  const target = await makeTarget('inferd', modelFile, { ...base, contextSize: 1024, sequences: 4 });
  const system = promptFactory('system', prefixWords)(0);
  const suffix = promptFactory('question', 8);
  const unique = promptFactory('unique-prefix', prefixWords);
  await closedLoop(target, { concurrency: 1, requests: 1, maxTokens: 4, prompt: (i) => `${system}\n${suffix(1000 + i)}` });
  const shared = summarize(await closedLoop(target, { concurrency: 1, requests: 10, maxTokens: 8, prompt: (i) => `${system}\n${suffix(i)}` }), slo);
  const cold = summarize(await closedLoop(target, { concurrency: 1, requests: 10, maxTokens: 8, prompt: (i) => `${unique(i)}\n${suffix(i)}` }), slo);
  lines.push(
    '',
    `Prefix reuse (inferd, ${prefixWords}-word shared system prompt + unique question, 8 output tokens, sequential):`,
    '',
    '| prompt prefix | TTFT p50 ms | TTFT p99 ms |',
    '|---|---:|---:|',
    `| shared (reused from the KV cache) | ${ms(shared.ttft.p50)} | ${ms(shared.ttft.p99)} |`,
    `| unique (evaluated in full) | ${ms(cold.ttft.p50)} | ${ms(cold.ttft.p99)} |`,
    '',
    `TTFT gain from prefix reuse: ${(cold.ttft.p50 / shared.ttft.p50).toFixed(1)}× at p50.`,
  );
  await target.close();
}

process.stdout.write(`${lines.join('\n')}\n`);
const json = opt('--json', '');
if (json) await writeFile(json, JSON.stringify(results, null, 2));
