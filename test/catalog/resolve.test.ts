import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogError, parseCatalog, resolveModelReference, type DownloadEvent, type ResolveOptions } from '../../src/catalog/index.js';
import { encodeGguf, tinyLlamaGguf } from '../../src/formats/gguf/index.js';
import { startHubServer, type HubServer } from '../support/hub-server.js';
import { tempDir } from '../support/server.js';
import { fakeHardware } from './fake-hardware.js';

const STORIES = path.resolve(import.meta.dirname, '../../../shared/models/stories260K.gguf');
const q8 = encodeGguf(tinyLlamaGguf({ tensorType: 'Q8_0', seed: 3 }));
const f32 = encodeGguf(tinyLlamaGguf({ seed: 3 }));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const catalog = parseCatalog({
  version: 1,
  models: [{
    name: 'tiny-chat', task: 'chat',
    architecture: { architecture: 'llama', parameterCount: 300_000, blockCount: 2, embeddingLength: 64, headCount: 4, headCountKv: 2, headDim: 16, vocabSize: 1000, contextLength: 512 },
    profiles: [
      ...['cpu', 'cuda'].map((device) => ({ engine: 'llamacpp', device, precision: 'q8_0', source: { repo: 'acme/tiny-GGUF', files: [{ path: 'tiny-q8_0.gguf', sha256: sha256(q8) }] } })),
      { engine: 'llamacpp', device: 'cpu', precision: 'f32', source: { repo: 'acme/tiny-GGUF', files: [{ path: 'tiny-f32.gguf' }] } },
    ],
  }],
});

let hub: HubServer;
let dir: string;
let cleanup: () => Promise<void>;
let n = 0;

beforeAll(async () => {
  const stories = existsSync(STORIES) ? [{ id: 'karpathy/stories-GGUF', files: [{ path: 'stories260K.gguf', content: await readFile(STORIES) }] }] : [];
  hub = await startHubServer({
    repos: [{ id: 'acme/tiny-GGUF', files: [{ path: 'tiny-q8_0.gguf', content: q8 }, { path: 'tiny-f32.gguf', content: f32 }, { path: 'README.md', content: new TextEncoder().encode('# tiny') }] }, ...stories],
  });
  ({ dir, cleanup } = await tempDir('inferd-resolve-'));
});
afterAll(async () => {
  await hub.close();
  await cleanup();
});

/** Options with a fresh cache, the local hub, a CPU-only machine, and no environment. */
function options(extra: Partial<ResolveOptions> = {}): ResolveOptions {
  return { catalog, hardware: fakeHardware(), endpoint: hub.url, cacheDir: path.join(dir, `c${++n}`), env: {}, retryBaseMs: 5, ...extra };
}

async function rejection(p: Promise<unknown>): Promise<CatalogError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(CatalogError);
  return err as CatalogError;
}

describe('resolveModelReference', () => {
  it('selects, downloads and parameterizes a catalog model', async () => {
    const events: DownloadEvent[] = [];
    const r = await resolveModelReference('tiny-chat', options({ onProgress: (e) => events.push(e) }));
    expect(r.source).toBe('catalog');
    expect(r.servedModelName).toBe('tiny-chat');
    expect(r.profile?.name).toBe('llamacpp-cpu-f32');
    expect(sha256(await readFile(r.file))).toBe(sha256(f32));
    expect(r.parameters).toEqual({ context_size: '512', max_sequences: '4', gpu: 'false' });
    expect(r.memory).toMatchObject({ weightsFrom: 'file-size', weightsBytes: f32.length, contextSize: 512, maxSequences: 4 });
    expect(r.selection?.evaluations.find((e) => e.profile.name === 'llamacpp-cuda-q8_0')?.status).toBe('incompatible');
    expect(events.map((e) => e.type)).toContain('done');
  });

  it('honours MODEL:PROFILE, the tags selector, context and sequences', async () => {
    const forced = await resolveModelReference('tiny-chat:llamacpp-cpu-q8_0', options({ contextSize: 256, maxSequences: 2 }));
    expect(sha256(await readFile(forced.file))).toBe(sha256(q8));
    expect(forced.parameters).toEqual({ context_size: '256', max_sequences: '2', gpu: 'false' });
    const tagged = await resolveModelReference('tiny-chat', options({ tagsSelector: 'precision=q8_0' }));
    expect(tagged.profile?.name).toBe('llamacpp-cpu-q8_0');
    const cuda = await resolveModelReference('tiny-chat', options({ hardware: fakeHardware({ gpus: [{}] }) }));
    expect(cuda.profile?.name).toBe('llamacpp-cuda-q8_0');
    expect(cuda.parameters.gpu).toBeUndefined();
    expect((await rejection(resolveModelReference('tiny-chat', options({ contextSize: 4096 })))).message).toMatch(/context 4096 is longer than the profile's 512/);
  });

  it('reads defaults from the environment', async () => {
    const cacheDir = path.join(dir, `env${++n}`);
    const r = await resolveModelReference('tiny-chat', {
      catalog, hardware: fakeHardware(), env: { HF_ENDPOINT: hub.url, INFERD_CACHE_DIR: cacheDir, INFERD_MODEL_PROFILE: 'llamacpp-cpu-q8_0' },
    });
    expect(r.profile?.name).toBe('llamacpp-cpu-q8_0');
    expect(r.file.startsWith(path.join(cacheDir, 'models--acme--tiny-GGUF', 'snapshots'))).toBe(true);
    const offline = await rejection(resolveModelReference('tiny-chat', { catalog, hardware: fakeHardware(), env: { HF_ENDPOINT: hub.url, INFERD_CACHE_DIR: cacheDir, HF_HUB_OFFLINE: '1' } }));
    expect(offline.code).toBe('OFFLINE');
    const mark = hub.requests.length;
    const cached = await resolveModelReference('tiny-chat:llamacpp-cpu-q8_0', { catalog, hardware: fakeHardware(), env: { HF_ENDPOINT: hub.url, INFERD_CACHE_DIR: cacheDir, INFERD_OFFLINE: 'true' } });
    expect(cached.file).toBe(r.file);
    expect(hub.requests.length).toBe(mark);
  });

  it('resolves owner/repo[:quant] and hf:// references from the Hub listing', async () => {
    const byQuant = await resolveModelReference('acme/tiny-GGUF:Q8_0', options({ contextSize: 128 }));
    expect(byQuant).toMatchObject({ source: 'hub', servedModelName: 'tiny-q8_0', parameters: { context_size: '128' } });
    expect(sha256(await readFile(byQuant.file))).toBe(sha256(q8));
    expect(byQuant.memory).toMatchObject({ weightsFrom: 'file-size', contextSize: 128 });
    const preferred = await resolveModelReference('acme/tiny-GGUF', options());
    expect(path.basename(preferred.file)).toBe('tiny-q8_0.gguf');
    expect(preferred.parameters).toEqual({});
    const direct = await resolveModelReference('hf://acme/tiny-GGUF/tiny-f32.gguf', options());
    expect(sha256(await readFile(direct.file))).toBe(sha256(f32));
    expect((await rejection(resolveModelReference('acme/tiny-GGUF:q2_k', options()))).message).toMatch(/no GGUF file for q2_k; it has tiny-q8_0.gguf, tiny-f32.gguf/);
  });

  it('lists a cached repository offline', async () => {
    const cacheDir = path.join(dir, `off${++n}`);
    await resolveModelReference('acme/tiny-GGUF:f32', options({ cacheDir }));
    const r = await resolveModelReference('acme/tiny-GGUF:f32', options({ cacheDir, offline: true }));
    expect(path.basename(r.file)).toBe('tiny-f32.gguf');
    expect((await rejection(resolveModelReference('acme/tiny-GGUF:f32', options({ offline: true })))).code).toBe('OFFLINE');
  });

  it('checks local files and refuses what cannot be served', async () => {
    const file = path.join(dir, 'local-model.gguf');
    await writeFile(file, q8);
    const r = await resolveModelReference(file, options());
    expect(r).toMatchObject({ source: 'local', file, servedModelName: 'local-model', parameters: {} });
    expect(r.memory.weightsBytes).toBeGreaterThan(0);
    const junk = path.join(dir, 'junk.gguf');
    await writeFile(junk, 'not a gguf');
    expect((await rejection(resolveModelReference(junk, options()))).code).toBe('INVALID_REFERENCE');
    expect((await rejection(resolveModelReference(path.join(dir, 'missing.gguf'), options()))).code).toBe('NOT_FOUND');
    expect((await rejection(resolveModelReference('./weights.pth', options()))).code).toBe('UNSAFE_FORMAT');
    const unknown = await rejection(resolveModelReference('no-such-model', options()));
    expect(unknown.code).toBe('INVALID_REFERENCE');
    expect(unknown.message).toMatch(/catalog models: tiny-chat/);
  });

  it.skipIf(!existsSync(STORIES))('serves the shared stories260K model through the Hub path (skipped without ../shared)', async () => {
    const r = await resolveModelReference('hf://karpathy/stories-GGUF/stories260K.gguf', options());
    expect(sha256(await readFile(r.file))).toBe(sha256(await readFile(STORIES)));
    expect(r.memory.contextSize).toBe(512);
    expect(r.memory.kvCacheBytes).toBeGreaterThan(0);
  });
});

if (!existsSync(STORIES)) console.warn(`resolve.test.ts: ${STORIES} is absent; the stories260K test is skipped`);
