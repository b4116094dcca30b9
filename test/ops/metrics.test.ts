import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { client, startTestServer, tempDir } from '../support/server.js';
import { EXPECTED, parseExposition, runWorkload, sampleValue, which, writeOpsModels } from './support.js';

let server: RunningServer | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await server?.close();
  await cleanup?.();
  server = undefined;
  cleanup = undefined;
});

async function start(extra: Parameters<typeof startTestServer>[0] = {}): Promise<{ server: RunningServer; dir: string }> {
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeOpsModels(t.dir);
  server = await startTestServer({ modelRepository: t.dir, ...extra });
  return { server, dir: t.dir };
}

const PROMTOOL = which('promtool');

describe('GET /metrics', () => {
  it('exposes Triton counters that match a known workload exactly, and the statistics extension agrees', async () => {
    const { server } = await start();
    await runWorkload(server);
    const res = await client(server)('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await res.text());
    const simple = { model: 'simple', version: '1' };
    const queued = { model: 'queued', version: '1' };
    expect(sampleValue(samples, 'nv_inference_request_success', simple)).toBe(EXPECTED.simple.success);
    expect(sampleValue(samples, 'nv_inference_count', simple)).toBe(EXPECTED.simple.inferences);
    expect(sampleValue(samples, 'nv_inference_exec_count', simple)).toBe(EXPECTED.simple.executions);
    expect(sampleValue(samples, 'nv_inference_request_failure', { ...simple, reason: 'BACKEND' })).toBe(EXPECTED.simple.backendFailures);
    expect(sampleValue(samples, 'nv_inference_request_failure', { ...simple, reason: 'REJECTED' })).toBe(0);
    expect(sampleValue(samples, 'nv_inference_request_success', queued)).toBe(EXPECTED.queued.success);
    expect(sampleValue(samples, 'nv_inference_request_failure', { ...queued, reason: 'REJECTED' })).toBe(EXPECTED.queued.rejected);
    expect(sampleValue(samples, 'nv_inference_exec_count', queued)).toBe(EXPECTED.queued.executions);
    expect(sampleValue(samples, 'inferd_requests_rejected_total', { protocol: 'http', code: '503' })).toBe(EXPECTED.queued.rejected);
    expect(sampleValue(samples, 'nv_inference_pending_request_count', queued)).toBe(0);

    // The cumulative durations are the statistics extension's nanoseconds in whole microseconds.
    const stats = (await (await client(server)('/v2/models/queued/stats')).json()) as any;
    const st = stats.model_stats[0].inference_stats;
    expect(sampleValue(samples, 'nv_inference_request_duration_us', queued)).toBe(Math.round(st.success.ns / 1000));
    expect(sampleValue(samples, 'nv_inference_queue_duration_us', queued)).toBe(Math.round(st.queue.ns / 1000));
    expect(sampleValue(samples, 'nv_inference_compute_infer_duration_us', queued)).toBe(Math.round(st.compute_infer.ns / 1000));
    // Two executions of a 300 ms model: at least 600 ms of compute.
    expect(sampleValue(samples, 'nv_inference_compute_infer_duration_us', queued)).toBeGreaterThanOrEqual(600_000);
    expect(sampleValue(samples, 'inferd_model_load_duration_seconds', simple)).toBeGreaterThan(0);

    expect(sampleValue(samples, 'nv_cpu_memory_total_bytes')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'nv_cpu_memory_used_bytes')).toBeGreaterThan(0);
    const cpu = sampleValue(samples, 'nv_cpu_utilization');
    expect(cpu).toBeGreaterThanOrEqual(0);
    expect(cpu).toBeLessThanOrEqual(1);
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(samples.some((s) => s.name.startsWith('nv_gpu_'))).toBe(which('nvidia-smi') !== undefined);
  });

  it('serves the same exposition on /v1/metrics and on a separate --metrics-port', async () => {
    const { server } = await start({ metricsPort: 0 });
    expect(server.metricsPort).toBeGreaterThan(0);
    const v1 = await client(server)('/v1/metrics');
    expect(v1.status).toBe(200);
    expect(await v1.text()).toMatch(/^# HELP nv_inference_request_success /m);
    const separate = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`);
    expect(separate.status).toBe(200);
    expect(await separate.text()).toMatch(/^nv_inference_request_success\{model="simple",version="1"\} 0$/m);
    expect((await fetch(`http://127.0.0.1:${server.metricsPort}/v2/health/live`)).status).toBe(404);
  });

  it('adds Triton latency summaries with summary_latencies=true and drops duration counters with counter_latencies=false', async () => {
    const { server } = await start({ metricsConfig: { counterLatencies: false, summaryLatencies: true } });
    await runWorkload(server);
    const samples = parseExposition(await (await client(server)('/metrics')).text());
    const simple = { model: 'simple', version: '1' };
    expect(sampleValue(samples, 'nv_inference_request_summary_us_count', simple)).toBe(EXPECTED.simple.success);
    expect(sampleValue(samples, 'nv_inference_queue_summary_us', { ...simple, quantile: '0.5' })).toBeGreaterThanOrEqual(0);
    expect(samples.some((s) => s.name === 'nv_inference_request_duration_us')).toBe(false);
  });

  it('is absent with --allow-metrics=false', async () => {
    const { server } = await start({ allowMetrics: false });
    expect((await client(server)('/metrics')).status).toBe(404);
  });

  it.skipIf(!PROMTOOL)('passes `promtool check metrics` (exit 0, or 3 for Triton/NIM naming lint only)', async () => {
    const { server, dir } = await start({ metricsConfig: { counterLatencies: true, summaryLatencies: true }, metricsVllmAliases: true });
    await runWorkload(server);
    const text = await (await client(server)('/metrics')).text();
    // promtool accepts empty input, so make sure there is something to check.
    expect(text).toMatch(/^nv_inference_request_success\{model="simple",version="1"\} 5$/m);
    const file = path.join(dir, 'exposition.txt');
    await writeFile(file, text);
    const result = await new Promise<{ code: number; out: string }>((resolve) => {
      const child = execFile('sh', ['-c', `"${PROMTOOL}" check metrics < "${file}"`], { timeout: 10_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
      });
      child.stdin?.end();
    });
    expect([0, 3], result.out).toContain(result.code);
    expect(result.out).not.toMatch(/error while linting|parse error/i);
  });
});

if (!PROMTOOL) console.warn('test/ops/metrics.test.ts: promtool not found; skipping the promtool check (apt-get install prometheus)');
