import { describe, expect, it } from 'vitest';
import { closedLoop, openLoop, type RequestRecord, type StreamTarget } from '../../bench/llm/load-generator.js';
import { percentiles, summarize } from '../../bench/llm/metrics.js';

function fakeTarget(tokenMs: number): StreamTarget & { prompts: string[]; maxInFlight: number } {
  let inFlight = 0;
  const t = {
    name: 'fake',
    prompts: [] as string[],
    maxInFlight: 0,
    async send(prompt: string, maxTokens: number): Promise<RequestRecord> {
      t.prompts.push(prompt);
      t.maxInFlight = Math.max(t.maxInFlight, ++inFlight);
      const start = performance.now();
      const tokenTimes: number[] = [];
      for (let i = 0; i < maxTokens; i++) {
        await new Promise((r) => setTimeout(r, tokenMs));
        tokenTimes.push(performance.now());
      }
      inFlight--;
      return { start, tokenTimes, end: performance.now(), outputTokens: maxTokens };
    },
    async close() {},
  };
  return t;
}

describe('load generator', () => {
  it('keeps exactly `concurrency` requests in flight in a closed loop, with unique prompts', async () => {
    const target = fakeTarget(1);
    const run = await closedLoop(target, { concurrency: 3, requests: 7, maxTokens: 2, prompt: (i) => `p${i}` });
    expect(run.records).toHaveLength(7);
    expect(target.maxInFlight).toBe(3);
    expect(new Set(target.prompts).size).toBe(7);
  });

  it('sends open-loop arrivals at about the requested rate', async () => {
    const target = fakeTarget(0);
    const run = await openLoop(target, { rate: 200, requests: 40, maxTokens: 1, seed: 1, prompt: (i) => `p${i}` });
    expect(run.records).toHaveLength(40);
    expect(run.wallMs).toBeGreaterThan(40 / 200 * 1000 * 0.4);
    expect(run.wallMs).toBeLessThan(40 / 200 * 1000 * 3);
  });
});

describe('metrics', () => {
  it('computes percentiles by interpolation', () => {
    expect(percentiles([1, 2, 3, 4])).toMatchObject({ p50: 2.5, mean: 2.5 });
    expect(percentiles([5]).p99).toBe(5);
  });

  it('derives TTFT, TPOT, ITL, throughput and goodput from records', () => {
    const records: RequestRecord[] = [
      { start: 0, tokenTimes: [100, 110, 120], end: 120, outputTokens: 3 },
      { start: 0, tokenTimes: [300, 400, 500], end: 500, outputTokens: 3 },
      { start: 0, tokenTimes: [], end: 10, outputTokens: 0, error: 'boom' },
    ];
    const s = summarize({ records, wallMs: 1000 }, { ttftMs: 200, tpotMs: 50 });
    expect(s).toMatchObject({ requests: 3, errors: 1, outputTokens: 6, outputTokPerS: 6, goodputPerS: 1 });
    expect(s.ttft.p50).toBe(200);
    expect(s.tpot.mean).toBe((10 + 100) / 2);
    expect(s.itl.p50).toBe(55);
  });
});
