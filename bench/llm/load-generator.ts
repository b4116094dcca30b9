/**
 * A reusable LLM load generator: closed-loop (N workers, each sending its next request when the
 * previous one finished) and open-loop (Poisson arrivals at a fixed mean rate, independent of
 * how fast the server answers). Every request streams and records when each token arrived.
 */

/** Timings of one streamed request, in milliseconds on one monotonic clock. */
export interface RequestRecord {
  readonly start: number;
  /** Arrival times of every streamed token (or text chunk) in order. */
  readonly tokenTimes: readonly number[];
  readonly end: number;
  /** Tokens generated, as the server counted them (usage) or as chunks when it did not say. */
  readonly outputTokens: number;
  readonly error?: string;
}

/** Something requests can be sent to. */
export interface StreamTarget {
  readonly name: string;
  /** Sends one streamed request and resolves with its timings (errors are recorded, not thrown). */
  send(prompt: string, maxTokens: number): Promise<RequestRecord>;
  close(): Promise<void>;
}

/** A run's raw results. */
export interface RunResult {
  readonly records: readonly RequestRecord[];
  readonly wallMs: number;
}

/** Runs `requests` requests through `concurrency` closed-loop workers; `prompt(i)` must be unique per i. */
export async function closedLoop(target: StreamTarget, opts: { concurrency: number; requests: number; maxTokens: number; prompt: (i: number) => string }): Promise<RunResult> {
  const records: RequestRecord[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < opts.requests; i = next++) records.push(await target.send(opts.prompt(i), opts.maxTokens));
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return { records, wallMs: performance.now() - start };
}

/** A seeded uniform [0, 1) generator (mulberry32), so arrival schedules repeat across runs. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sends `requests` requests with exponential inter-arrival times of mean 1/`rate` seconds. */
export async function openLoop(target: StreamTarget, opts: { rate: number; requests: number; maxTokens: number; seed: number; prompt: (i: number) => string }): Promise<RunResult> {
  const random = seeded(opts.seed);
  const start = performance.now();
  const pending: Promise<RequestRecord>[] = [];
  let at = 0;
  for (let i = 0; i < opts.requests; i++) {
    const wait = start + at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(target.send(opts.prompt(i), opts.maxTokens));
    at += (-Math.log(1 - random()) / opts.rate) * 1000;
  }
  const records = await Promise.all(pending);
  return { records, wallMs: performance.now() - start };
}
