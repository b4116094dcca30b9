/**
 * NIM's cache utilities as subprocesses against a local Hub on 127.0.0.1: `download-to-cache`
 * (best profile, profile ids without a model name, --all), and `create-model-store` copying a
 * profile out of the cache (offline, or downloading first) into a folder with a manifest, refusing
 * damaged cache bytes, and a store that `inferd serve --model` loads with the cache gone.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifyProfile, parseCatalog } from '../../src/catalog/index.js';
import { encodeGguf, tinyLlamaGguf } from '../../src/formats/gguf/index.js';
import { startHubServer, type HubServer } from '../support/hub-server.js';
import { tempDir, waitFor } from '../support/server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'src/main.ts')];
const REPO = 'acme/tiny-GGUF';
const f32 = encodeGguf(tinyLlamaGguf({ seed: 31 }));
const q8 = encodeGguf(tinyLlamaGguf({ seed: 31, tensorType: 'Q8_0' }));
const notes = new TextEncoder().encode('{"notes":"carried with the model"}');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const arch = { architecture: 'llama', parameterCount: 300_000, blockCount: 2, embeddingLength: 64, headCount: 4, headCountKv: 2, headDim: 16, vocabSize: 1000, contextLength: 512 };
const catalogDoc = {
  version: 1,
  models: [
    { name: 'tiny-chat', task: 'chat', architecture: arch, profiles: [
      { engine: 'llamacpp', device: 'cpu', precision: 'f32', source: { repo: REPO, files: [{ path: 'tiny-f32.gguf' }] } },
      { engine: 'llamacpp', device: 'cpu', precision: 'q8_0', source: { repo: REPO, files: [{ path: 'tiny-q8_0.gguf', sha256: sha256(q8) }] } },
      { engine: 'llamacpp', device: 'cpu', precision: 'q8_0', name: 'bundle', source: { repo: REPO, files: [{ path: 'bundle/tiny-q8_0.gguf' }, { path: 'bundle/notes.json' }] } },
    ] },
    { name: 'tiny-twin', task: 'chat', architecture: arch, profiles: [
      { engine: 'llamacpp', device: 'cpu', precision: 'q8_0', source: { repo: REPO, files: [{ path: 'tiny-q8_0.gguf' }] } },
    ] },
  ],
};
const profiles = parseCatalog(catalogDoc, 'test').models[0]!.profiles.map((p) => identifyProfile('tiny-chat', p));
const [F32, Q8, BUNDLE] = profiles as [(typeof profiles)[0], (typeof profiles)[0], (typeof profiles)[0]];

let hub: HubServer;
let dir: string;
let cleanup: () => Promise<void>;
let n = 0;

beforeAll(async () => {
  hub = await startHubServer({
    repos: [{ id: REPO, files: [
      { path: 'tiny-f32.gguf', content: f32 }, { path: 'tiny-q8_0.gguf', content: q8 },
      { path: 'bundle/tiny-q8_0.gguf', content: q8 }, { path: 'bundle/notes.json', content: notes },
    ] }],
  });
  ({ dir, cleanup } = await tempDir('inferd-model-store-'));
  await writeFile(path.join(dir, 'catalog.json'), JSON.stringify(catalogDoc));
});
afterAll(async () => {
  await hub?.close();
  await cleanup?.();
});

function env(cacheDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HF_|HUGGING_FACE|INFERD_)/.test(k)));
  return { ...base, HF_ENDPOINT: hub.url, INFERD_CACHE_DIR: cacheDir, INFERD_CATALOG: path.join(dir, 'catalog.json'), ...extra };
}

/** Runs the CLI (asynchronously: the hub lives in this process), killed after 60 s. */
function cli(args: readonly string[], e: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const last = (stdout: string): any => JSON.parse(stdout.trim().split('\n').at(-1)!);
const fresh = (): string => path.join(dir, `cache-${++n}`);

describe('inferd download-to-cache', () => {
  it('downloads the best profile, profiles named by id alone, or every profile', async () => {
    const cache = fresh();
    const best = await cli(['download-to-cache', 'tiny-chat', '--json'], env(cache));
    expect(best.status).toBe(0);
    expect(last(best.stdout)).toMatchObject({ event: 'complete', model: 'tiny-chat', profiles: [{ id: F32.id, name: 'llamacpp-cpu-f32' }] });

    const byId = await cli(['download-to-cache', '-p', Q8.id.slice(0, 12), BUNDLE.id, '--json'], env(cache));
    expect(byId.status).toBe(0);
    const done = last(byId.stdout);
    expect(done.profiles.map((p: any) => [p.model, p.name])).toEqual([['tiny-chat', 'llamacpp-cpu-q8_0'], ['tiny-chat', 'bundle']]);
    expect(done.files.map((f: string) => path.relative(path.join(cache, 'models--acme--tiny-GGUF', 'snapshots'), f).split(path.sep).slice(1).join('/'))).toEqual(['tiny-q8_0.gguf', 'bundle/tiny-q8_0.gguf', 'bundle/notes.json']);

    const ambiguous = await cli(['download-to-cache', '--profile', 'llamacpp-cpu-q8_0'], env(cache));
    expect(ambiguous.status).toBe(1);
    expect(ambiguous.stderr).toMatch(/profile 'llamacpp-cpu-q8_0' is ambiguous \(models .*tiny-chat, tiny-twin\); name the model/);
    const fromEnv = await cli(['download-to-cache', '--profile', 'llamacpp-cpu-q8_0', '--json'], env(cache, { INFERD_MODEL: 'tiny-chat' }));
    expect(fromEnv.status).toBe(0);
    expect(fromEnv.stdout.split('\n')[0]).toMatch(/"event":"cached".*"path":"tiny-q8_0.gguf"/);

    // The Helm chart's init container passes the model as a flag.
    const all = await cli(['download-to-cache', '--model', 'tiny-chat', '--all', '--json'], env(fresh()));
    expect(all.status).toBe(0);
    expect(last(all.stdout).profiles.map((p: any) => p.name)).toEqual(['llamacpp-cpu-f32', 'llamacpp-cpu-q8_0', 'bundle']);
    const both = await cli(['download-to-cache', 'tiny-chat', '--all', '-p', Q8.id], env(cache));
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(/--all and --profiles exclude each other/);
  }, 120_000);
});

describe('inferd create-model-store', () => {
  it('copies a cached profile offline into a folder with a manifest, and serve loads it with the cache gone', async () => {
    const cache = fresh();
    expect((await cli(['download-to-cache', 'tiny-chat', '-p', Q8.id], env(cache))).status).toBe(0);
    const store = path.join(dir, 'store-offline');
    const res = await cli(['create-model-store', '--profile', Q8.id.slice(0, 16), '--model-store', store, '--json'], env(cache, { HF_HUB_OFFLINE: '1' }));
    expect(res.status).toBe(0);
    const done = last(res.stdout);
    expect(done.modelFile).toBe(path.join(store, 'tiny-q8_0.gguf'));
    const manifest = JSON.parse(await readFile(path.join(store, 'model-store.json'), 'utf8'));
    expect(manifest).toMatchObject({
      version: 1, model: 'tiny-chat', task: 'chat', modelFile: 'tiny-q8_0.gguf',
      profile: { id: Q8.id, name: 'llamacpp-cpu-q8_0', engine: 'llamacpp', device: 'cpu', precision: 'q8_0' },
      source: { repo: REPO, revision: 'main' },
      files: [{ path: 'tiny-q8_0.gguf', sizeBytes: q8.length, sha256: sha256(q8) }],
    });
    expect(manifest.source.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(sha256(await readFile(path.join(store, 'tiny-q8_0.gguf')))).toBe(sha256(q8));
    expect((await readdir(store)).sort()).toEqual(['model-store.json', 'tiny-q8_0.gguf']);

    await rm(cache, { recursive: true, force: true });
    const port = 23000 + Math.floor(Math.random() * 1000);
    const child = spawn(process.execPath, [...CLI, 'serve', '--model', done.modelFile, '--llm-parameter', 'context_size=128', '--http-port', String(port), '--grpc-port', '0', '--log-level', 'warn'], {
      env: env(cache, { HF_HUB_OFFLINE: '1' }), stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      await waitFor(() => fetch(`http://127.0.0.1:${port}/v1/health/ready`).then((r) => r.ok, () => false), 60_000).catch((err: Error) => {
        throw new Error(`${err.message}: ${stderr}`);
      });
      const models = (await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toContain('tiny-q8_0');
    } finally {
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 10_000))]);
    }
  }, 120_000);

  it('downloads a missing profile first and keeps the repository layout of its files', async () => {
    const cache = fresh();
    const store = path.join(dir, 'store-bundle');
    // NOTE: the fake Hub's CDN serves content by sha256, so a transfer of these bytes counts under either path.
    const q8Transfers = (): number => hub.transfers('bundle/tiny-q8_0.gguf') + hub.transfers('tiny-q8_0.gguf');
    const before = q8Transfers();
    const res = await cli(['create-model-store', 'tiny-chat', '-p', 'bundle', '-m', store], env(cache));
    expect(res.status).toBe(0);
    expect(q8Transfers() - before).toBe(1);
    // NOTE: without a terminal the command speaks JSON lines: progress, then the result.
    expect(res.stdout.split('\n')[0]).toMatch(/"event":"start".*"path":"bundle\/tiny-q8_0.gguf"/);
    expect(last(res.stdout)).toMatchObject({ event: 'complete', modelStore: store, modelFile: path.join(store, 'bundle', 'tiny-q8_0.gguf') });
    const manifest = JSON.parse(await readFile(path.join(store, 'model-store.json'), 'utf8'));
    expect(manifest.modelFile).toBe('bundle/tiny-q8_0.gguf');
    expect(manifest.files).toEqual([
      { path: 'bundle/tiny-q8_0.gguf', sizeBytes: q8.length, sha256: sha256(q8) },
      { path: 'bundle/notes.json', sizeBytes: notes.length, sha256: sha256(notes) },
    ]);
    expect(await readFile(path.join(store, 'bundle', 'notes.json'), 'utf8')).toBe(new TextDecoder().decode(notes));
  }, 120_000);

  it('refuses damaged cache bytes and leaves nothing behind, and needs --profile', async () => {
    const cache = fresh();
    expect((await cli(['download-to-cache', 'tiny-chat', '-p', 'llamacpp-cpu-f32'], env(cache))).status).toBe(0);
    const blobs = path.join(cache, 'models--acme--tiny-GGUF', 'blobs');
    const [name] = await readdir(blobs);
    const bytes = Buffer.from(await readFile(path.join(blobs, name!)));
    bytes[100]! ^= 0xff;
    await writeFile(path.join(blobs, name!), bytes);
    const store = path.join(dir, 'store-bad');
    const res = await cli(['create-model-store', 'tiny-chat', '-p', 'llamacpp-cpu-f32', '-m', store], env(cache, { INFERD_OFFLINE: '1' }));
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`^inferd: acme/tiny-GGUF/tiny-f32\\.gguf in the cache hashes to ${sha256(bytes)}, expected ${sha256(f32)}; run 'inferd cache verify --repair'`));
    expect(existsSync(store) ? await readdir(store) : []).toEqual([]);

    const missing = await cli(['create-model-store', 'tiny-chat', '-m', store], env(cache));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/required option '-p, --profile <profile>' not specified/);
  }, 120_000);
});
