/**
 * `inferd cache ls|verify|rm` as subprocesses against caches filled from local Hub servers on
 * 127.0.0.1: listings with revisions and shared blobs, verification by sha256 and git blob sha1,
 * damage found and repaired, and removal that keeps blobs other snapshots still link to.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGguf, tinyLlamaGguf } from '../../src/formats/gguf/index.js';
import { startHubServer, type HubServer } from '../support/hub-server.js';
import { tempDir } from '../support/server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'src/main.ts')];
const REPO = 'acme/tiny-GGUF';
const OTHER = 'acme/other-GGUF';
const f32 = encodeGguf(tinyLlamaGguf({ seed: 21 }));
const q8 = encodeGguf(tinyLlamaGguf({ seed: 21, tensorType: 'Q8_0' }));
const oldOther = encodeGguf(tinyLlamaGguf({ seed: 22, tensorType: 'Q8_0' }));
const newOther = encodeGguf(tinyLlamaGguf({ seed: 23, tensorType: 'Q8_0' }));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const gitSha1 = (b: Uint8Array): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const OLD_COMMIT = 'a'.repeat(40);
const NEW_COMMIT = 'b'.repeat(40);

let hub: HubServer;
let oldHub: HubServer;
let dir: string;
let cacheDir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  hub = await startHubServer({
    repos: [
      // NOTE: lfs: false makes the Hub name this file's blob by its git sha1, the other path verify knows.
      { id: REPO, files: [{ path: 'tiny-f32.gguf', content: f32, lfs: false }, { path: 'tiny-q8_0.gguf', content: q8 }, { path: 'copies/tiny-q8_0.gguf', content: q8 }] },
      { id: OTHER, commit: NEW_COMMIT, files: [{ path: 'other-q8_0.gguf', content: newOther }] },
    ],
  });
  oldHub = await startHubServer({ repos: [{ id: OTHER, commit: OLD_COMMIT, files: [{ path: 'other-q8_0.gguf', content: oldOther }] }] });
  ({ dir, cleanup } = await tempDir('inferd-cache-cli-'));
  cacheDir = path.join(dir, 'cache');
  const arch = { architecture: 'llama', parameterCount: 300_000, blockCount: 2, embeddingLength: 64, headCount: 4, headCountKv: 2, headDim: 16, vocabSize: 1000, contextLength: 512 };
  await writeFile(path.join(dir, 'catalog.json'), JSON.stringify({
    version: 1,
    models: [{ name: 'tiny-chat', task: 'chat', architecture: arch, profiles: [
      { engine: 'llamacpp', device: 'cpu', precision: 'f32', source: { repo: REPO, files: [{ path: 'tiny-f32.gguf' }] } },
      { engine: 'llamacpp', device: 'cpu', precision: 'q8_0', source: { repo: REPO, files: [{ path: 'tiny-q8_0.gguf' }] } },
    ] }],
  }));
});
afterAll(async () => {
  await hub?.close();
  await oldHub?.close();
  await cleanup?.();
});

function env(endpoint = hub.url): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HF_|HUGGING_FACE|INFERD_)/.test(k)));
  return { ...base, HF_ENDPOINT: endpoint, INFERD_CACHE_DIR: cacheDir, INFERD_CATALOG: path.join(dir, 'catalog.json') };
}

/** Runs the CLI (asynchronously: the hub lives in this process), killed after 60 s. */
function cli(args: readonly string[], e: NodeJS.ProcessEnv = env()): Promise<{ status: number | null; stdout: string; stderr: string }> {
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

const repoDir = (repo: string): string => path.join(cacheDir, `models--${repo.replace('/', '--')}`);
const blob = (repo: string, etag: string): string => path.join(repoDir(repo), 'blobs', etag);
const snapshot = (repo: string, commit: string, file: string): string => path.join(repoDir(repo), 'snapshots', commit, file);

async function ls(): Promise<any> {
  const res = await cli(['cache', 'ls', '--json']);
  expect(res.status).toBe(0);
  return JSON.parse(res.stdout);
}

describe('inferd cache', () => {
  let commit: string;

  it('lists an empty cache, then repositories, revisions, files, shared blobs and the total', async () => {
    const empty = await cli(['cache', 'ls']);
    expect(empty.status).toBe(0);
    expect(empty.stdout).toMatch(/is empty/);
    expect((await cli(['download-to-cache', 'tiny-chat', '--all', '--json'])).status).toBe(0);
    expect((await cli(['download', 'hf://acme/tiny-GGUF/copies/tiny-q8_0.gguf'])).status).toBe(0);
    expect((await cli(['download', 'hf://acme/other-GGUF/other-q8_0.gguf'], env(oldHub.url))).status).toBe(0);
    expect((await cli(['download', 'hf://acme/other-GGUF/other-q8_0.gguf'])).status).toBe(0);

    const listing = await ls();
    expect(listing.root).toBe(cacheDir);
    expect(listing.repos.map((r: any) => r.repo)).toEqual([OTHER, REPO]);
    const tiny = listing.repos[1];
    expect(tiny.revisions).toHaveLength(1);
    commit = tiny.revisions[0].commit;
    expect(tiny.revisions[0].refs).toEqual(['main']);
    expect(tiny.revisions[0].files.map((f: any) => [f.path, f.sizeBytes])).toEqual([
      ['copies/tiny-q8_0.gguf', q8.length], ['tiny-f32.gguf', f32.length], ['tiny-q8_0.gguf', q8.length],
    ]);
    expect(tiny.blobs.map((b: any) => [b.etag, b.referencedBy.length]).sort()).toEqual([[gitSha1(f32), 1], [sha256(q8), 2]].sort());
    expect(tiny.sizeBytes).toBe(f32.length + q8.length);
    const other = listing.repos[0];
    expect(other.revisions.map((r: any) => [r.commit, r.refs])).toEqual([[OLD_COMMIT, []], [NEW_COMMIT, ['main']]]);
    expect(listing.sizeBytes).toBe(f32.length + q8.length + oldOther.length + newOther.length);

    const text = await cli(['cache', 'ls']);
    expect(text.stdout).toMatch(new RegExp(`^  revision ${commit.slice(0, 12)} \\(main\\)  3 files`, 'm'));
    expect(text.stdout).toMatch(/^ {4}copies\/tiny-q8_0\.gguf\s+\d/m);
    expect(text.stdout).toMatch(/^total [\d.]+ (KiB|MiB) in 2 repositories/m);
  }, 120_000);

  it('verifies every blob by sha256 or git sha1, and reports damage with exit status 1', async () => {
    const clean = await cli(['cache', 'verify']);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(/checked 4 blobs \([^)]+\): 4 ok, 0 corrupt, 0 missing, 0 skipped/);
    expect(clean.stdout).toMatch(/^ok\s+acme\/tiny-GGUF\s+tiny-f32\.gguf .* git-sha1$/m);

    const bytes = Buffer.from(await readFile(blob(REPO, sha256(q8))));
    bytes[bytes.length >> 1]! ^= 0x55;
    await writeFile(blob(REPO, sha256(q8)), bytes);
    await appendFile(blob(REPO, gitSha1(f32)), 'x');

    const bad = await cli(['cache', 'verify', '--json']);
    expect(bad.status).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(report).toMatchObject({ ok: 2, corrupt: 2, missing: 0 });
    const q8Check = report.checks.find((c: any) => c.etag === sha256(q8));
    expect(q8Check).toMatchObject({ status: 'corrupt', algorithm: 'sha256', actual: sha256(bytes) });
    expect(q8Check.paths.sort()).toEqual([`${commit}/copies/tiny-q8_0.gguf`, `${commit}/tiny-q8_0.gguf`]);
    expect(bad.stderr).toMatch(/^inferd: 2 damaged files in the cache; run 'inferd cache verify --repair'/);

    const one = await cli(['cache', 'verify', 'tiny-chat:llamacpp-cpu-f32']);
    expect(one.status).toBe(1);
    expect(one.stdout).toMatch(/^CORRUPT\s+acme\/tiny-GGUF\s+tiny-f32\.gguf: git-sha1 of /m);
    expect(one.stdout).toMatch(/checked 1 blob /);
    const otherOnly = await cli(['cache', 'verify', OTHER]);
    expect(otherOnly.status).toBe(0);
    expect(otherOnly.stdout).toMatch(/2 ok, 0 corrupt/);
  }, 120_000);

  it('repairs by deleting damaged blobs and their links, so a download fetches them again', async () => {
    const repair = await cli(['cache', 'verify', REPO, '--repair']);
    expect(repair.status).toBe(1);
    expect(repair.stdout).toMatch(/removed .*blobs\/[0-9a-f]{64} and its snapshot links/);
    expect(existsSync(blob(REPO, sha256(q8)))).toBe(false);
    expect(existsSync(snapshot(REPO, commit, 'copies/tiny-q8_0.gguf'))).toBe(false);
    const before = hub.transfers('tiny-q8_0.gguf') + hub.transfers('copies/tiny-q8_0.gguf');
    expect((await cli(['download-to-cache', 'tiny-chat', '--all'])).status).toBe(0);
    expect((await cli(['download', 'hf://acme/tiny-GGUF/copies/tiny-q8_0.gguf'])).status).toBe(0);
    expect(hub.transfers('tiny-q8_0.gguf') + hub.transfers('copies/tiny-q8_0.gguf') - before).toBe(1);
    const again = await cli(['cache', 'verify']);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/4 ok, 0 corrupt/);
  }, 120_000);

  it('removes only with --yes, keeping a blob another snapshot still links to', async () => {
    const refused = await cli(['cache', 'rm', 'tiny-chat:llamacpp-cpu-q8_0']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/nothing was removed; pass --yes/);
    expect(existsSync(snapshot(REPO, commit, 'tiny-q8_0.gguf'))).toBe(true);

    const dry = await cli(['cache', 'rm', 'tiny-chat:llamacpp-cpu-q8_0', '--dry-run', '--json']);
    expect(dry.status).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan).toMatchObject({ removed: false, blobs: [], freedBytes: 0 });
    expect(plan.entries.map((e: any) => e.path)).toEqual(['tiny-q8_0.gguf']);
    expect(plan.kept).toEqual([{ repo: REPO, etag: sha256(q8), usedBy: [`${commit}/copies/tiny-q8_0.gguf`] }]);

    expect((await cli(['cache', 'rm', 'tiny-chat:llamacpp-cpu-q8_0', '--yes'])).status).toBe(0);
    expect(existsSync(snapshot(REPO, commit, 'tiny-q8_0.gguf'))).toBe(false);
    expect(sha256(await readFile(snapshot(REPO, commit, 'copies/tiny-q8_0.gguf')))).toBe(sha256(q8));

    const last = await cli(['cache', 'rm', 'hf://acme/tiny-GGUF/copies/tiny-q8_0.gguf', '--yes', '--json']);
    expect(last.status).toBe(0);
    expect(JSON.parse(last.stdout)).toMatchObject({ removed: true, freedBytes: q8.length, blobs: [{ etag: sha256(q8) }] });
    expect(existsSync(blob(REPO, sha256(q8)))).toBe(false);
    expect(existsSync(path.join(repoDir(REPO), 'snapshots', commit, 'copies'))).toBe(false);
    expect(existsSync(blob(REPO, gitSha1(f32)))).toBe(true);
  }, 120_000);

  it('removes one revision, then whole repositories, and refuses while a download holds a lock', async () => {
    const old = await cli(['cache', 'rm', `${OTHER}@${OLD_COMMIT}`, '--yes', '--json']);
    expect(old.status).toBe(0);
    expect(JSON.parse(old.stdout)).toMatchObject({ removed: true, freedBytes: oldOther.length });
    const other = (await ls()).repos.find((r: any) => r.repo === OTHER);
    expect(other.revisions.map((r: any) => r.commit)).toEqual([NEW_COMMIT]);
    expect(other.blobs.map((b: any) => b.etag)).toEqual([sha256(newOther)]);

    const lockDir = path.join(cacheDir, '.locks', `models--${OTHER.replace('/', '--')}`);
    await mkdir(lockDir, { recursive: true });
    await writeFile(path.join(lockDir, `${sha256(newOther)}.lock`), JSON.stringify({ pid: process.pid, host: 'test', token: 'x' }));
    const busy = await cli(['cache', 'rm', OTHER, '--yes']);
    expect(busy.status).toBe(1);
    expect(busy.stderr).toMatch(/acme\/other-GGUF is being downloaded right now; nothing was removed/);
    await writeFile(path.join(lockDir, `${sha256(newOther)}.lock`), '');
    await utimes(path.join(lockDir, `${sha256(newOther)}.lock`), new Date(0), new Date(0));

    expect((await cli(['cache', 'rm', OTHER, '--yes'])).status).toBe(0);
    expect((await cli(['cache', 'rm', 'tiny-chat', '--yes'])).status).toBe(0);
    expect(existsSync(repoDir(OTHER))).toBe(false);
    expect(existsSync(lockDir)).toBe(false);
    expect(existsSync(repoDir(REPO))).toBe(false);
    expect((await ls()).repos).toEqual([]);

    const none = await cli(['cache', 'rm', REPO, '--yes']);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^inferd: nothing in the cache at .* matches 'acme\/tiny-GGUF'/);
    const local = await cli(['cache', 'verify', './model.gguf']);
    expect(local.status).toBe(1);
    expect(local.stderr).toMatch(/is a local path; cache commands take a catalog model/);
  }, 120_000);
});
