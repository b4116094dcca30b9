/**
 * Helpers for the operations tests: a repository with models whose outcomes are known, a
 * workload with exact expected counts, and a reader for the Prometheus text exposition.
 */
import { execFileSync } from 'node:child_process';
import { pino } from 'pino';
import { type RunningServer, startServer } from '../../src/app.js';
import { fp32Infer, identityConfig, postJson, writeModel } from '../support/server.js';

/** Starts inferd on 127.0.0.1 port 0, quiet unless a logger is given; takes every startServer option. */
export function startOpsServer(options: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  return startServer({ host: '127.0.0.1', httpPort: 0, grpcPort: 0, logger: pino({ level: 'silent' }), ...options });
}

/** Value of `fail_on_value` in the `simple` model: requests containing it fail in the backend. */
export const FAIL_VALUE = 7;

/** Writes `simple` (direct scheduler, fails on FAIL_VALUE) and `queued` (dynamic batcher, queue of 1, 300 ms per execute). */
export async function writeOpsModels(repo: string): Promise<void> {
  await writeModel(repo, 'simple', identityConfig('simple', `parameters { key: "fail_on_value" value { string_value: "${FAIL_VALUE}" } }`));
  await writeModel(
    repo,
    'queued',
    identityConfig(
      'queued',
      `dynamic_batching { default_queue_policy { max_queue_size: 1 } }
parameters { key: "execute_delay_ms" value { string_value: "300" } }`,
      1,
    ),
  );
}

/** Counts the workload below produces. */
export const EXPECTED = {
  simple: { success: 5, inferences: 10, executions: 5, backendFailures: 2 },
  queued: { success: 2, inferences: 2, executions: 2, rejected: 2 },
} as const;

/**
 * Runs the known workload: 5 batch-2 successes and 2 backend failures on `simple`; on `queued`
 * one request executes, then of three more one waits and two find the queue full (503).
 */
export async function runWorkload(server: RunningServer): Promise<void> {
  for (let i = 0; i < EXPECTED.simple.success; i++) {
    const res = await postJson(server, '/v2/models/simple/infer', fp32Infer([1, 2, 3, 4], 2));
    if (res.status !== 200) throw new Error(`simple infer failed: ${res.status}`);
  }
  for (let i = 0; i < EXPECTED.simple.backendFailures; i++) {
    const res = await postJson(server, '/v2/models/simple/infer', fp32Infer([FAIL_VALUE]));
    if (res.status === 200) throw new Error('fail_on_value request succeeded');
  }
  const first = postJson(server, '/v2/models/queued/infer', fp32Infer([1]));
  await new Promise((r) => setTimeout(r, 100));
  const rest = await Promise.all([1, 2, 3].map(() => postJson(server, '/v2/models/queued/infer', fp32Infer([1]))));
  const statuses = [(await first).status, ...rest.map((r) => r.status)].sort();
  if (statuses.join() !== '200,200,503,503') throw new Error(`unexpected queued statuses ${statuses.join()}`);
}

/** One sample line of the exposition. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the sample lines of a Prometheus text exposition (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`; throws when absent or ambiguous. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length !== 1) throw new Error(`expected one ${name}${JSON.stringify(labels)}, found ${hits.length}`);
  return (hits[0] as Sample).value;
}

/** Absolute path of a binary on PATH, or undefined. */
export function which(binary: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
