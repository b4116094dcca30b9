import http from 'node:http';
import { once } from 'node:events';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { SPAN_ATTRIBUTES } from '../../src/core/tracing/request-tracer.js';
import { fp32Infer, identityConfig, postJson, startTestServer, tempDir, waitFor, writeModel } from '../support/server.js';
import { startOpsServer } from './support.js';

let server: RunningServer | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await server?.close();
  await cleanup?.();
  server = undefined;
  cleanup = undefined;
});

async function repo(): Promise<string> {
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeModel(
    t.dir,
    'batched',
    identityConfig('batched', `dynamic_batching { max_queue_delay_microseconds: 100000 }
parameters { key: "execute_delay_ms" value { string_value: "50" } }`),
  );
  return t.dir;
}

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('tracing', () => {
  it('records frontend → infer → queue/compute → response spans with model, version and batch size', async () => {
    const exporter = new InMemorySpanExporter();
    server = await startOpsServer({ modelRepository: await repo(), tracing: { exporter } });
    const results = await Promise.all([
      postJson(server, '/v2/models/batched/infer', fp32Infer([1, 2], 1)),
      postJson(server, '/v2/models/batched/infer', fp32Infer([3, 4, 5, 6], 2)),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    await waitFor(() => exporter.getFinishedSpans().filter((s) => s.name.startsWith('POST ')).length === 2, 5000);
    const spans = exporter.getFinishedSpans();
    const roots = spans.filter((s) => s.name === 'POST /v2/models/batched/infer');
    expect(roots).toHaveLength(2);
    for (const root of roots) {
      expect(root.attributes['http.response.status_code']).toBe(200);
      expect(root.attributes[SPAN_ATTRIBUTES.requestId]).toMatch(/^[0-9a-f-]{36}$/);
      const children = spans.filter((s) => parentOf(s) === root.spanContext().spanId);
      expect(children.map((s) => s.name).sort()).toEqual(['infer batched', 'response']);
      const infer = children.find((s) => s.name === 'infer batched') as ReadableSpan;
      expect(infer.attributes).toMatchObject({ [SPAN_ATTRIBUTES.model]: 'batched', [SPAN_ATTRIBUTES.version]: '1', [SPAN_ATTRIBUTES.batchSize]: 3 });
      const steps = spans.filter((s) => parentOf(s) === infer.spanContext().spanId);
      expect(steps.map((s) => s.name).sort()).toEqual(['compute', 'queue']);
      const compute = steps.find((s) => s.name === 'compute') as ReadableSpan;
      // Both requests ran in one execution of 3 items taking about 50 ms.
      expect(compute.attributes[SPAN_ATTRIBUTES.batchSize]).toBe(3);
      const ms = compute.duration[0] * 1e3 + compute.duration[1] / 1e6;
      expect(ms).toBeGreaterThanOrEqual(45);
      expect(root.spanContext().traceId).toBe(compute.spanContext().traceId);
    }
  });

  it('is off by default: no tracer, and schedulers are not wrapped', async () => {
    server = await startTestServer({ modelRepository: await repo() });
    expect(server.observability.tracer).toBeUndefined();
    const [version] = server.repository.versionsOf('batched');
    expect(version?.scheduler?.constructor.name).toBe('DynamicBatcher');
    expect(version?.stats.observer).toBeUndefined();
  });

  it('exports spans over OTLP/HTTP to --otlp-endpoint', async () => {
    const bodies: string[] = [];
    const collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? ''}\n${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    try {
      const port = (collector.address() as { port: number }).port;
      server = await startTestServer({ modelRepository: await repo(), otlpEndpoint: `http://127.0.0.1:${port}` });
      expect((await postJson(server, '/v2/models/batched/infer', fp32Infer([1]))).status).toBe(200);
      await server.close();
      server = undefined;
      const all = bodies.join('\n');
      expect(all).toMatch(/^POST \/v1\/traces application\/json/m);
      for (const name of ['POST /v2/models/batched/infer', 'infer batched', 'queue', 'compute', 'response']) expect(all).toContain(`"${name}"`);
      expect(all).toContain('"inferd"');
    } finally {
      collector.close();
    }
  });
});
