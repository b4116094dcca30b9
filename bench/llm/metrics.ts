/**
 * Summaries of load-generator runs with the usual LLM serving metrics: TTFT (time to first
 * token), TPOT (time per output token after the first, per request), ITL (every gap between
 * tokens), E2E latency, output tokens per second, and goodput (requests per second that met
 * the latency objectives).
 */
import type { RunResult } from './load-generator.js';

/** Median and 99th percentile, in milliseconds. */
export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

/** Latency objectives a request must meet to count towards goodput. */
export interface Slo {
  readonly ttftMs: number;
  readonly tpotMs: number;
}

/** One run, summarized. */
export interface Summary {
  readonly requests: number;
  readonly errors: number;
  readonly wallS: number;
  readonly outputTokens: number;
  readonly outputTokPerS: number;
  readonly requestsPerS: number;
  readonly ttft: Percentiles;
  readonly tpot: Percentiles;
  readonly itl: Percentiles;
  readonly e2e: Percentiles;
  readonly goodputPerS: number;
}

/** Percentiles by linear interpolation between closest ranks. */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: NaN, p99: NaN, mean: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => {
    const pos = (sorted.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
  };
  return { p50: at(0.5), p99: at(0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/** Summarizes a run against `slo`. */
export function summarize(run: RunResult, slo: Slo): Summary {
  const ok = run.records.filter((r) => !r.error && r.tokenTimes.length > 0);
  const ttft = ok.map((r) => r.tokenTimes[0]! - r.start);
  const tpot = ok.filter((r) => r.outputTokens > 1).map((r) => (r.end - r.tokenTimes[0]!) / (r.outputTokens - 1));
  const itl = ok.flatMap((r) => r.tokenTimes.slice(1).map((t, i) => t - r.tokenTimes[i]!));
  const outputTokens = ok.reduce((n, r) => n + r.outputTokens, 0);
  const wallS = run.wallMs / 1000;
  const good = ok.filter((r, i) => ttft[i]! <= slo.ttftMs && (r.outputTokens <= 1 || (r.end - r.tokenTimes[0]!) / (r.outputTokens - 1) <= slo.tpotMs)).length;
  return {
    requests: run.records.length,
    errors: run.records.length - ok.length,
    wallS,
    outputTokens,
    outputTokPerS: outputTokens / wallS,
    requestsPerS: ok.length / wallS,
    ttft: percentiles(ttft),
    tpot: percentiles(tpot),
    itl: percentiles(itl),
    e2e: percentiles(ok.map((r) => r.end - r.start)),
    goodputPerS: good / wallS,
  };
}
