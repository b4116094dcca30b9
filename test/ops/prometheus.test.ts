/**
 * Scrapes inferd with Debian's real Prometheus server on 127.0.0.1 and reads the series back
 * through Prometheus's HTTP query API after a known workload. Skips visibly without `prometheus`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { startTestServer, tempDir } from '../support/server.js';
import { EXPECTED, runWorkload, which, writeOpsModels } from './support.js';

const PROMETHEUS = which('prometheus');
if (!PROMETHEUS) console.warn('test/ops/prometheus.test.ts: prometheus not found; skipping (apt-get install prometheus)');

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  return port;
}

describe.skipIf(!PROMETHEUS)('real Prometheus scraping inferd', () => {
  let server: RunningServer;
  let prometheus: ChildProcess;
  let promPort: number;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    await writeOpsModels(t.dir);
    server = await startTestServer({ modelRepository: t.dir, metricsPort: 0 });
    promPort = await freePort();
    const config = path.join(t.dir, 'prometheus.yml');
    await writeFile(
      config,
      `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: inferd
    static_configs:
      - targets: ['127.0.0.1:${server.httpPort}']
  - job_name: inferd-metrics-port
    static_configs:
      - targets: ['127.0.0.1:${server.metricsPort}']
`,
    );
    prometheus = spawn(
      PROMETHEUS as string,
      [`--config.file=${config}`, `--storage.tsdb.path=${path.join(t.dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`],
      { stdio: 'ignore' },
    );
    await runWorkload(server);
  }, 30_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
    }
    await server?.close();
    await cleanup?.();
  });

  async function query(promql: string): Promise<{ labels: Record<string, string>; value: number }[]> {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`query failed: ${JSON.stringify(body)}`);
    return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  }

  /** Polls until Prometheus has scraped the finished workload from both targets. */
  async function settled(): Promise<void> {
    const until = Date.now() + 25_000;
    for (;;) {
      const rows = await query('nv_inference_request_success{model="queued"}').catch(() => []);
      if (rows.length === 2 && rows.every((r) => r.value === EXPECTED.queued.success)) return;
      if (Date.now() > until) throw new Error(`Prometheus did not see the workload: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('stores the exact workload counts under Triton names and labels', async () => {
    await settled();
    const one = async (promql: string): Promise<number> => {
      const rows = await query(promql);
      expect(rows, promql).toHaveLength(1);
      return (rows[0] as { value: number }).value;
    };
    const job = 'job="inferd"';
    expect(await one(`nv_inference_request_success{${job},model="simple",version="1"}`)).toBe(EXPECTED.simple.success);
    expect(await one(`nv_inference_count{${job},model="simple",version="1"}`)).toBe(EXPECTED.simple.inferences);
    expect(await one(`nv_inference_exec_count{${job},model="simple",version="1"}`)).toBe(EXPECTED.simple.executions);
    expect(await one(`nv_inference_request_failure{${job},model="simple",reason="BACKEND"}`)).toBe(EXPECTED.simple.backendFailures);
    expect(await one(`nv_inference_request_failure{${job},model="queued",reason="REJECTED"}`)).toBe(EXPECTED.queued.rejected);
    expect(await one(`sum(nv_inference_request_failure{${job}})`)).toBe(EXPECTED.simple.backendFailures + EXPECTED.queued.rejected);
    expect(await one(`inferd_requests_rejected_total{${job},code="503"}`)).toBe(EXPECTED.queued.rejected);
    // The separate metrics port carries the same series.
    expect(await one('nv_inference_exec_count{job="inferd-metrics-port",model="queued"}')).toBe(EXPECTED.queued.executions);
    // Both targets are up: every scrape parsed.
    const up = await query('up');
    expect(up.map((r) => r.value)).toEqual([1, 1]);
  }, 40_000);
});
