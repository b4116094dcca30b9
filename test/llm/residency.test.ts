/**
 * Several LLMs on one server within --max-memory, over HTTP: on-demand load, LRU eviction of idle
 * models, idle unload after keep_alive, and 507 for a model that can never fit.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { estimateGgufFileMemory } from '../../src/catalog/index.js';
import { encodeGguf, tinyLlamaGguf } from '../../src/formats/gguf/index.js';
import { client, postJson, startTestServer, tempDir, waitFor, writeModel } from '../support/server.js';

const PARAMS = { context_size: '256', max_sequences: '2', gpu: 'false' };

async function writeLlm(repo: string, name: string, seed: number, params: Record<string, string> = PARAMS): Promise<number> {
  const bytes = encodeGguf(tinyLlamaGguf({ name, seed }));
  const p = Object.entries(params)
    .map(([k, v]) => `parameters { key: "${k}" value: { string_value: "${v}" } }`)
    .join('\n');
  await writeModel(repo, name, `name: "${name}"\nbackend: "llamacpp"\n${p}\n`);
  await writeFile(path.join(repo, name, '1', 'model.gguf'), bytes);
  const file = path.join(repo, name, '1', 'model.gguf');
  return (await estimateGgufFileMemory(file, { contextSize: Number(params.context_size), maxSequences: Number(params.max_sequences) })).totalBytes;
}

async function states(server: RunningServer): Promise<Record<string, string>> {
  const body = (await (await client(server)('/v1/models')).json()) as { data: { id: string; state: string }[] };
  return Object.fromEntries(body.data.map((m) => [m.id, m.state]));
}

const complete = (server: RunningServer, model: string, extra: Record<string, unknown> = {}) =>
  postJson(server, '/v1/completions', { model, prompt: 'Hello', max_tokens: 2, ...extra });

describe('LLM residency within --max-memory', () => {
  let server: RunningServer;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempDir('inferd-residency-');
    cleanup = t.cleanup;
    const size = await writeLlm(t.dir, 'a', 1);
    await writeLlm(t.dir, 'b', 2);
    await writeLlm(t.dir, 'c', 3);
    expect(await writeLlm(t.dir, 'big', 4, { ...PARAMS, context_size: '65536', max_sequences: '64' })).toBeGreaterThan(2.5 * size);
    // Room for two small models, never for `big`.
    server = await startTestServer({ modelRepository: t.dir, modelControlMode: 'explicit', maxMemoryBytes: Math.floor(2.5 * size), keepAliveMs: 60_000 });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('lists known LLMs as unloaded, loads them on demand, and evicts the least recently used idle one', async () => {
    expect(await states(server)).toEqual({ a: 'unloaded', b: 'unloaded', c: 'unloaded', big: 'unloaded' });
    expect((await complete(server, 'a')).status).toBe(200);
    expect((await complete(server, 'b')).status).toBe(200);
    expect((await complete(server, 'a')).status).toBe(200);
    expect(await states(server)).toMatchObject({ a: 'loaded', b: 'loaded', c: 'unloaded' });
    expect((await complete(server, 'c')).status).toBe(200);
    expect(await states(server)).toMatchObject({ a: 'loaded', b: 'unloaded', c: 'loaded' });
  }, 60_000);

  it('answers 507 with the numbers for a model larger than the whole budget', async () => {
    const res = await complete(server, 'big');
    expect(res.status).toBe(507);
    expect(res.body.error.message).toMatch(/needs about [\d.]+ GiB but the memory budget is [\d.]+ GiB/);
    expect((await states(server)).big).toBe('unloaded');
  });

  it("unloads a model idle past its request's keep_alive", async () => {
    expect((await complete(server, 'b', { keep_alive: '1s' })).status).toBe(200);
    expect((await states(server)).b).toBe('loaded');
    await waitFor(async () => (await states(server)).b === 'unloaded', 8000);
    const bad = await complete(server, 'a', { keep_alive: 'soon' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('keep_alive');
  }, 20_000);
});
