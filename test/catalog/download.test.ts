import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readlink, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CatalogError, HubCache, HubClient, downloadHubFile, type DownloadEvent } from '../../src/catalog/index.js';
import { encodeGguf, tinyLlamaGguf } from '../../src/formats/gguf/index.js';
import { startHubServer, type HubServer } from '../support/hub-server.js';
import { tempDir } from '../support/server.js';

const REPO = 'acme/tiny-GGUF';
const GATED = 'acme/gated-GGUF';
const MODEL = 'tiny-q8_0.gguf';
const TOKEN = 'hf_test_secret_token';
const gguf = encodeGguf(tinyLlamaGguf({ tensorType: 'Q8_0', seed: 7 }));
const big = encodeGguf(tinyLlamaGguf({ seed: 8 }));
const config = new TextEncoder().encode('{"architectures":["LlamaForCausalLM"]}');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
// NOTE: compare hashes, not arrays: deep equality over a megabyte of elements takes seconds.
const fileSha = async (file: string): Promise<string> => sha256(await readFile(file));

let hub: HubServer;
let dir: string;
let cleanup: () => Promise<void>;
let n = 0;

beforeAll(async () => {
  hub = await startHubServer({
    token: TOKEN,
    repos: [
      { id: REPO, files: [{ path: MODEL, content: gguf }, { path: 'big-f32.gguf', content: big }, { path: 'config.json', content: config }] },
      { id: GATED, gated: true, files: [{ path: MODEL, content: gguf }] },
    ],
  });
  ({ dir, cleanup } = await tempDir('inferd-dl-'));
});
afterAll(async () => {
  await hub.close();
  await cleanup();
});

let cache: HubCache;
beforeEach(() => {
  hub.setChunkDelay(0);
  cache = new HubCache(path.join(dir, `cache-${++n}`));
});

function opts(extra: Partial<Parameters<typeof downloadHubFile>[3]> = {}) {
  return { client: new HubClient({ endpoint: hub.url }), cache, retryBaseMs: 5, ...extra };
}

async function rejection(p: Promise<unknown>): Promise<CatalogError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(CatalogError);
  return err as CatalogError;
}

describe('downloadHubFile', () => {
  it('downloads into a huggingface_hub-compatible cache and verifies the LFS sha256', async () => {
    const events: DownloadEvent[] = [];
    const before = hub.transfers(MODEL);
    const r = await downloadHubFile(REPO, 'main', MODEL, opts({ onProgress: (e) => events.push(e) }));
    expect(r).toMatchObject({ verified: 'sha256', fromCache: false, size: gguf.length });
    expect(await fileSha(r.file)).toBe(sha256(gguf));
    const repoDir = path.join(cache.root, 'models--acme--tiny-GGUF');
    const commit = (await readFile(path.join(repoDir, 'refs', 'main'), 'utf8')).trim();
    expect(r.file).toBe(path.join(repoDir, 'snapshots', commit, MODEL));
    expect(await readlink(r.file)).toBe(path.join('..', '..', 'blobs', sha256(gguf)));
    expect(await readdir(path.join(repoDir, 'blobs'))).toEqual([sha256(gguf)]);
    expect(hub.transfers(MODEL) - before).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'done', bytesTotal: gguf.length, transferred: gguf.length });
    expect(events.some((e) => e.type === 'start')).toBe(true);

    const again = await downloadHubFile(REPO, 'main', MODEL, opts());
    expect(again).toMatchObject({ file: r.file, fromCache: true });
    expect(hub.transfers(MODEL) - before).toBe(1);
  });

  it('verifies small non-LFS files by their git blob sha1', async () => {
    const r = await downloadHubFile(REPO, 'main', 'config.json', opts());
    expect(r.verified).toBe('git-sha1');
    expect(await readFile(r.file, 'utf8')).toContain('LlamaForCausalLM');
  });

  it('resumes with Range after a cut connection, within one call and across calls', async () => {
    const file = 'big-f32.gguf';
    const events: DownloadEvent[] = [];
    hub.cutNext(file, 300_000);
    const ranged = hub.requests.length;
    const r = await downloadHubFile(REPO, 'main', file, opts({ onProgress: (e) => events.push(e) }));
    expect(await fileSha(r.file)).toBe(sha256(big));
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(1);
    const resumed = hub.requests.slice(ranged).find((q) => q.range);
    expect(resumed?.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(resumed!.range!)![0])).toBeGreaterThanOrEqual(200_000);

    cache = new HubCache(path.join(dir, `cache-${++n}`));
    hub.cutNext(file, 500_000);
    const err = await rejection(downloadHubFile(REPO, 'main', file, opts({ retries: 0 })));
    expect(err.code).toBe('NETWORK');
    const partial = cache.incompletePath(REPO, sha256(big));
    expect(existsSync(partial)).toBe(true);
    const mark = hub.requests.length;
    const second = await downloadHubFile(REPO, 'main', file, opts());
    expect(await fileSha(second.file)).toBe(sha256(big));
    expect(hub.requests.slice(mark).find((q) => q.path.startsWith('/cdn/'))?.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(existsSync(partial)).toBe(false);
  });

  it('deletes corrupted bytes and downloads again; a second mismatch fails and keeps nothing', async () => {
    const before = hub.transfers(MODEL);
    hub.corruptNext(MODEL, 1);
    const r = await downloadHubFile(REPO, 'main', MODEL, opts());
    expect(await fileSha(r.file)).toBe(sha256(gguf));
    expect(hub.transfers(MODEL) - before).toBe(2);

    cache = new HubCache(path.join(dir, `cache-${++n}`));
    hub.corruptNext(MODEL, 2);
    const err = await rejection(downloadHubFile(REPO, 'main', MODEL, opts()));
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.message).toMatch(/deleted/);
    expect(existsSync(cache.blobPath(REPO, sha256(gguf)))).toBe(false);
    expect(existsSync(cache.incompletePath(REPO, sha256(gguf)))).toBe(false);
    expect(await cache.cachedFile(REPO, 'main', MODEL)).toBeUndefined();
  });

  it('refuses a file whose Hub sha256 differs from the catalog before transferring it', async () => {
    const before = hub.transfers(MODEL);
    const err = await rejection(downloadHubFile(REPO, 'main', MODEL, opts({ expectedSha256: 'a'.repeat(64) })));
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(hub.transfers(MODEL)).toBe(before);
  });

  it('explains gated repositories and never leaks the token', async () => {
    const none = await rejection(downloadHubFile(GATED, 'main', MODEL, opts()));
    expect(none.code).toBe('GATED');
    expect(none.message).toMatch(/HF_TOKEN/);
    const wrong = await rejection(downloadHubFile(GATED, 'main', MODEL, opts({ client: new HubClient({ endpoint: hub.url, token: 'hf_wrong' }) })));
    expect(wrong.code).toBe('GATED');
    expect(wrong.message).toMatch(/no access/);
    expect(wrong.message).not.toContain('hf_wrong');
    const ok = await downloadHubFile(GATED, 'main', MODEL, opts({ client: new HubClient({ endpoint: hub.url, token: TOKEN }) }));
    expect(await fileSha(ok.file)).toBe(sha256(gguf));
  });

  it('reports missing repositories, revisions and files as NOT_FOUND', async () => {
    expect((await rejection(downloadHubFile('acme/nope', 'main', MODEL, opts()))).code).toBe('NOT_FOUND');
    expect((await rejection(downloadHubFile(REPO, 'v9', MODEL, opts()))).code).toBe('NOT_FOUND');
    const missing = await rejection(downloadHubFile(REPO, 'main', 'missing.gguf', opts()));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain('missing.gguf');
  });

  it('refuses pickle checkpoints without a request', async () => {
    const mark = hub.requests.length;
    expect((await rejection(downloadHubFile(REPO, 'main', 'pytorch_model.bin', opts()))).code).toBe('UNSAFE_FORMAT');
    expect(hub.requests.length).toBe(mark);
  });

  it('offline mode serves cached files without a request and explains a miss', async () => {
    const miss = await rejection(downloadHubFile(REPO, 'main', MODEL, opts({ offline: true })));
    expect(miss.code).toBe('OFFLINE');
    const online = await downloadHubFile(REPO, 'main', MODEL, opts());
    const mark = hub.requests.length;
    const hit = await downloadHubFile(REPO, 'main', MODEL, opts({ offline: true }));
    expect(hit).toMatchObject({ file: online.file, fromCache: true });
    expect(hub.requests.length).toBe(mark);
  });

  it('falls back to the cache when the Hub cannot be reached', async () => {
    await downloadHubFile(REPO, 'main', MODEL, opts());
    const down = new HubClient({ endpoint: 'http://127.0.0.1:9', requestTimeoutMs: 2000 });
    const hit = await downloadHubFile(REPO, 'main', MODEL, opts({ client: down, retries: 0 }));
    expect(hit.fromCache).toBe(true);
    cache = new HubCache(path.join(dir, `cache-${++n}`));
    expect((await rejection(downloadHubFile(REPO, 'main', MODEL, opts({ client: down, retries: 1 })))).code).toBe('NETWORK');
  });

  it('lets two concurrent downloads of one file share a single transfer', async () => {
    hub.setChunkDelay(20);
    const before = hub.transfers('big-f32.gguf');
    const waits: DownloadEvent[] = [];
    const onProgress = (e: DownloadEvent): void => void (e.type === 'waiting' && waits.push(e));
    const [a, b] = await Promise.all([
      downloadHubFile(REPO, 'main', 'big-f32.gguf', opts({ onProgress })),
      downloadHubFile(REPO, 'main', 'big-f32.gguf', opts({ onProgress })),
    ]);
    expect(a.file).toBe(b.file);
    expect(hub.transfers('big-f32.gguf') - before).toBe(1);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ holder: expect.stringContaining(`pid ${process.pid}`) });
    expect([a.fromCache, b.fromCache].sort()).toEqual([false, true]);
    expect(await fileSha(a.file)).toBe(sha256(big));
  });

  it('breaks a lock left by a dead process', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const lock = cache.lockPath(REPO, sha256(gguf));
    await mkdir(path.dirname(lock), { recursive: true });
    const os = await import('node:os');
    await writeFile(lock, JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), token: 'x' }));
    const r = await downloadHubFile(REPO, 'main', MODEL, opts());
    expect(r.fromCache).toBe(false);
    expect(existsSync(lock)).toBe(false);
  });

  it('stops on abort and keeps the partial file for a later resume', async () => {
    hub.setChunkDelay(20);
    const ctl = new AbortController();
    const p = downloadHubFile(REPO, 'main', 'big-f32.gguf', opts({
      signal: ctl.signal,
      onProgress: (e) => e.type === 'progress' && e.bytesDone > 100_000 && ctl.abort(),
      progressIntervalMs: 0,
    }));
    expect((await rejection(p)).code).toBe('ABORTED');
    expect(existsSync(cache.incompletePath(REPO, sha256(big)))).toBe(true);
  });

  it.skipIf(!existsSync('/dev/full'))('reports a full disk as DISK_FULL', async () => {
    const partial = cache.incompletePath(REPO, sha256(gguf));
    await mkdir(path.dirname(partial), { recursive: true });
    // NOTE: /dev/full accepts opens and fails every write with ENOSPC, like a full file system.
    await symlink('/dev/full', partial);
    const err = await rejection(downloadHubFile(REPO, 'main', MODEL, opts()));
    expect(err.code).toBe('DISK_FULL');
    expect(err.message).toMatch(/disk full/);
  });
});
