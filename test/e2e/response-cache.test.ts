/**
 * The response cache end to end: `--cache-config local,size=N` plus `response_cache { enable }`
 * per model; hits skip execution and show in statistics as Triton reports them; LRU by bytes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { fp32Infer, identityConfig, postJson, startTestServer, tempDir, writeModel } from '../support/server.js';

let server: RunningServer | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await server?.close();
  await cleanup?.();
  server = undefined;
  cleanup = undefined;
});

async function stats(s: RunningServer, model: string): Promise<any> {
  return ((await (await fetch(`http://127.0.0.1:${s.httpPort}/v2/models/${model}/stats`)).json()) as any).model_stats[0];
}

/** 50 FP32 values: each cached response costs 64 + 64 (key) + 32 + 7 + 200 = 367 bytes. */
const row = (seed: number): number[] => Array.from({ length: 50 }, (_, i) => seed * 100 + i);

async function start(sizeBytes: number): Promise<RunningServer> {
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeModel(t.dir, 'cached', identityConfig('cached', 'response_cache { enable: true }'));
  await writeModel(t.dir, 'plain', identityConfig('plain'));
  server = await startTestServer({ modelRepository: t.dir, cacheConfig: { kind: 'local', sizeBytes } });
  return server;
}

describe('response cache', () => {
  it('answers a repeated request from the cache without executing it', async () => {
    const s = await start(1 << 20);
    const a = await postJson(s, '/v2/models/cached/infer', fp32Infer(row(1)));
    const b = await postJson(s, '/v2/models/cached/infer', fp32Infer(row(1)));
    expect(a.status).toBe(200);
    expect(b.body.outputs).toEqual(a.body.outputs);
    const st = await stats(s, 'cached');
    expect(st.inference_stats.cache_hit.count).toBe(1);
    expect(st.inference_stats.cache_miss.count).toBe(1);
    expect(st.inference_stats.success.count).toBe(2);
    expect(st.inference_stats.queue.count).toBe(2);
    expect(st.inference_stats.compute_infer.count).toBe(1);
    expect(st.execution_count).toBe(1);
    expect(st.inference_count).toBe(1);
    const other = await postJson(s, '/v2/models/cached/infer', fp32Infer(row(2)));
    expect(other.body.outputs[0].data).toEqual(row(2));
    expect((await stats(s, 'cached')).inference_stats.cache_miss.count).toBe(2);
  });

  it('leaves models without response_cache alone', async () => {
    const s = await start(1 << 20);
    await postJson(s, '/v2/models/plain/infer', fp32Infer(row(1)));
    await postJson(s, '/v2/models/plain/infer', fp32Infer(row(1)));
    const st = await stats(s, 'plain');
    expect(st.execution_count).toBe(2);
    expect(st.inference_stats.cache_hit.count + st.inference_stats.cache_miss.count).toBe(0);
  });

  it('evicts the least recently used response when the byte budget is exceeded', async () => {
    const s = await start(800); // room for two responses
    const infer = (seed: number) => postJson(s, '/v2/models/cached/infer', fp32Infer(row(seed)));
    await infer(1); // miss
    await infer(2); // miss
    await infer(1); // hit: 1 is now the most recent
    await infer(3); // miss, evicts 2
    await infer(1); // hit
    await infer(2); // miss again (evicts 3)
    const st = await stats(s, 'cached');
    expect(st.inference_stats.cache_hit.count).toBe(2);
    expect(st.inference_stats.cache_miss.count).toBe(4);
    expect(st.execution_count).toBe(4);
  });
});
