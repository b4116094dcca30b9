/**
 * The NIM start-up flow against a local Hub stand-in: `serve --model hf://...` downloads into the
 * cache and serves; liveness answers during the download while readiness waits for the load;
 * `/v1/manifest` reports what was resolved; `POST /api/pull` streams a second model's download
 * progress and makes it loadable on demand.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { encodeGguf, tinyLlamaGguf } from '../../src/formats/gguf/index.js';
import { startHubServer, type HubServer } from '../support/hub-server.js';
import { client, postJson, startTestServer, waitFor } from '../support/server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ENV = ['HF_ENDPOINT', 'INFERD_CACHE_DIR', 'HF_HUB_OFFLINE', 'INFERD_OFFLINE'] as const;

describe('serve --model hf://… and /api/pull', () => {
  let hub: HubServer;
  let cacheDir: string;
  let server: RunningServer;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    hub = await startHubServer({
      repos: [
        { id: 'acme/tiny-gguf', files: [{ path: 'tiny-q8_0.gguf', content: encodeGguf(tinyLlamaGguf({ name: 'tiny', seed: 1 })) }] },
        { id: 'acme/other-gguf', files: [{ path: 'other.gguf', content: encodeGguf(tinyLlamaGguf({ name: 'other', seed: 2 })) }] },
      ],
    });
    cacheDir = await mkdtemp(path.join(tmpdir(), 'inferd-hub-cache-'));
    for (const k of ENV) saved.set(k, process.env[k]);
    process.env.HF_ENDPOINT = hub.url;
    process.env.INFERD_CACHE_DIR = cacheDir;
    delete process.env.HF_HUB_OFFLINE;
    delete process.env.INFERD_OFFLINE;
    server = await startTestServer({ models: ['hf://acme/tiny-gguf/tiny-q8_0.gguf'], servedModelNames: ['tiny'], llmParameters: { context_size: '256', gpu: 'false' } });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await hub?.close();
    for (const [k, v] of saved) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('downloads the model once into the cache and serves it under its name', async () => {
    expect(hub.transfers('tiny-q8_0.gguf')).toBe(1);
    expect((await client(server)('/v1/health/ready')).status).toBe(200);
    const res = await postJson(server, '/v1/completions', { model: 'tiny', prompt: 'Hi', max_tokens: 3 });
    expect(res.status).toBe(200);
    const manifest = (await (await client(server)('/v1/manifest')).json()) as { models: { name: string; source: string; file: string }[] };
    expect(manifest.models).toMatchObject([{ name: 'tiny', source: 'hub' }]);
    expect(manifest.models[0]!.file.startsWith(cacheDir)).toBe(true);
  });

  it('streams pull progress as NDJSON, then serves the pulled model on demand', async () => {
    const res = await client(server)('/api/pull', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'hf://acme/other-gguf/other.gguf' }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/ndjson/);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status?: string; error?: string; model?: string; completed?: number; total?: number });
    expect(lines[0]).toEqual({ status: 'resolving' });
    expect(lines.some((l) => l.status === 'downloading' && typeof l.total === 'number')).toBe(true);
    expect(lines.at(-1)).toEqual({ status: 'success', model: 'other' });
    const models = (await (await client(server)('/v1/models')).json()) as { data: { id: string; state: string }[] };
    expect(models.data.map((m) => [m.id, m.state])).toEqual([
      ['other', 'unloaded'],
      ['tiny', 'loaded'],
    ]);
    expect((await postJson(server, '/v1/completions', { model: 'other', prompt: 'Hi', max_tokens: 2 })).status).toBe(200);
    await waitFor(async () => ((await (await client(server)('/v1/models')).json()) as { data: { state: string }[] }).data.every((m) => m.state === 'loaded'));
  });

  it('answers live at once and ready only after the download and load (CLI, slow hub)', async () => {
    const cold = await mkdtemp(path.join(tmpdir(), 'inferd-hub-cold-'));
    hub.setChunkDelay(60);
    const port = 19600 + Math.floor(Math.random() * 300);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'serve', '--model', 'hf://acme/tiny-gguf/tiny-q8_0.gguf', '--http-port', String(port), '--grpc-port', '0', '--log-level', 'warn'], {
      env: { ...process.env, INFERD_CACHE_DIR: cold },
      stdio: 'ignore',
    });
    const status = (p: string): Promise<number> => fetch(`http://127.0.0.1:${port}${p}`).then((r) => r.status, () => 0);
    try {
      await waitFor(async () => (await status('/v1/health/live')) === 200, 30_000);
      expect(await status('/v1/health/ready')).toBe(503);
      await waitFor(async () => (await status('/v1/health/ready')) === 200, 60_000);
      expect(await status('/v1/models')).toBe(200);
    } finally {
      hub.setChunkDelay(0);
      child.kill('SIGTERM');
      await once(child, 'exit');
      await rm(cold, { recursive: true, force: true });
    }
  }, 90_000);

  it('reports a missing repository inside the stream, and a bad body with 400', async () => {
    const res = await client(server)('/api/pull', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'hf://acme/missing/x.gguf' }) });
    const last = JSON.parse((await res.text()).trim().split('\n').at(-1)!) as { error?: string };
    expect(last.error).toMatch(/not found|401|404|missing/i);
    expect((await postJson(server, '/api/pull', { stream: false })).status).toBe(400);
  });
});
