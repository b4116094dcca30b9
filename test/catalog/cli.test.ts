import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGguf, tinyLlamaGguf } from '../../src/formats/gguf/index.js';
import { startHubServer, type HubServer } from '../support/hub-server.js';
import { tempDir } from '../support/server.js';
import { PLAIN_BANNER, QUERY_TWO_GPUS } from './nvidia-smi-fixtures.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'src/main.ts')];
const f32 = encodeGguf(tinyLlamaGguf({ seed: 11 }));
const q8 = encodeGguf(tinyLlamaGguf({ seed: 11, tensorType: 'Q8_0' }));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let hub: HubServer;
let dir: string;
let cleanup: () => Promise<void>;
let fakeBin: string;
let emptyBin: string;
let catalogFile: string;
let n = 0;

beforeAll(async () => {
  hub = await startHubServer({
    token: 'hf_cli_token',
    repos: [
      { id: 'acme/tiny-GGUF', files: [{ path: 'tiny-f32.gguf', content: f32 }, { path: 'tiny-q8_0.gguf', content: q8 }] },
      { id: 'acme/locked-GGUF', gated: true, files: [{ path: 'tiny-q8_0.gguf', content: q8 }] },
    ],
  });
  ({ dir, cleanup } = await tempDir('inferd-cli-'));
  fakeBin = path.join(dir, 'fake-bin');
  emptyBin = path.join(dir, 'empty-bin');
  await mkdir(fakeBin);
  await mkdir(emptyBin);
  await writeFile(path.join(fakeBin, 'nvidia-smi'), `#!/bin/sh\nif [ "$#" -eq 0 ]; then cat <<'EOF'\n${PLAIN_BANNER}EOF\nelse cat <<'EOF'\n${QUERY_TWO_GPUS}EOF\nfi\n`);
  await chmod(path.join(fakeBin, 'nvidia-smi'), 0o755);
  const arch = { architecture: 'llama', parameterCount: 300_000, blockCount: 2, embeddingLength: 64, headCount: 4, headCountKv: 2, headDim: 16, vocabSize: 1000, contextLength: 512 };
  catalogFile = path.join(dir, 'catalog.json');
  await writeFile(catalogFile, JSON.stringify({
    version: 1,
    models: [
      { name: 'tiny-chat', task: 'chat', architecture: arch, profiles: [
        { engine: 'llamacpp', device: 'cpu', precision: 'f32', source: { repo: 'acme/tiny-GGUF', files: [{ path: 'tiny-f32.gguf' }] } },
        { engine: 'llamacpp', device: 'cpu', precision: 'q8_0', source: { repo: 'acme/tiny-GGUF', files: [{ path: 'tiny-q8_0.gguf', sha256: sha256(q8) }] } },
      ] },
      { name: 'locked', task: 'chat', architecture: arch, profiles: [
        { engine: 'llamacpp', device: 'cpu', precision: 'q8_0', source: { repo: 'acme/locked-GGUF', files: [{ path: 'tiny-q8_0.gguf' }] } },
      ] },
      { name: 'colossal', task: 'chat', architecture: { ...arch, parameterCount: 10_000_000_000_000 }, profiles: [
        { engine: 'llamacpp', device: 'cpu', precision: 'f16', source: { repo: 'acme/colossal-GGUF', files: [{ path: 'colossal-f16.gguf' }] } },
      ] },
    ],
  }));
});
afterAll(async () => {
  await hub.close();
  await cleanup();
});

/** The environment of a CLI run: no inherited HF_* or INFERD_* variables, a fresh cache, the local hub. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HF_|HUGGING_FACE|INFERD_)/.test(k)));
  return { ...base, PATH: emptyBin, HF_ENDPOINT: hub.url, INFERD_CACHE_DIR: path.join(dir, `cache-${++n}`), INFERD_CATALOG: catalogFile, ...extra };
}

/** Runs the CLI asynchronously (the hub server lives in this process, so a sync spawn would deadlock). */
function cli(args: readonly string[], e: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { env: e });
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

function jsonLines(text: string): any[] {
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('inferd inspect', () => {
  it('reports GPUs from nvidia-smi output as JSON', async () => {
    const res = await cli(['inspect', '--json'], env({ PATH: `${fakeBin}${path.delimiter}/usr/bin${path.delimiter}/bin` }));
    expect(res.status).toBe(0);
    const hw = JSON.parse(res.stdout);
    expect(hw.nvidiaSmi).toEqual({ available: true });
    expect(hw.gpus.map((g: any) => [g.name, g.computeCapability, g.cudaVersion])).toEqual([['NVIDIA H100 80GB HBM3', '9.0', '12.4'], ['NVIDIA L4', '8.9', '12.4']]);
    expect(hw.gpus[0].memoryTotalBytes).toBe(81559 * 1024 * 1024);
    expect(hw.cpu.logicalCores).toBeGreaterThan(0);
    expect(hw.llamacpp.available).toBe(true);
  });

  it('treats a missing nvidia-smi as no GPUs in the text report', async () => {
    const res = await cli(['inspect'], env());
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/NVIDIA GPUs\s+none \(nvidia-smi not found\)/);
    expect(res.stdout).toMatch(/^Memory\s+[\d.]+ \w+ total/m);
    expect(res.stdout).toMatch(/^llama\.cpp\s+node-llama-cpp/m);
  });
});

describe('inferd list-model-profiles', () => {
  it('prints the built-in model in three groups', async () => {
    const res = await cli(['list-model-profiles', 'smollm2-135m-instruct', '--context-size', '512', '--max-sequences', '1'], env({ INFERD_OFFLINE: '1', INFERD_CATALOG: '' }));
    expect(res.status).toBe(0);
    const headings = ['Runnable profiles (best first):', 'Compatible but low memory:', 'Incompatible:'].map((h) => res.stdout.indexOf(h));
    expect(headings.every((i) => i >= 0)).toBe(true);
    expect([...headings].sort((a, b) => a - b)).toEqual(headings);
    expect(res.stdout).toMatch(/memory estimated for context 512 × 1 sequences/);
    expect(res.stdout.slice(headings[2])).toMatch(/llamacpp-metal-q8_0\s+[0-9a-f]{12}\s+needs .* Metal needs macOS/);
  });

  it('lists low-memory profiles with the memory needed, as JSON', async () => {
    const res = await cli(['list-model-profiles', 'colossal', '--json'], env());
    expect(res.status).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ model: 'colossal', contextSize: 512, maxSequences: 4, runnable: [], incompatible: [] });
    expect(out.lowMemory).toHaveLength(1);
    expect(out.lowMemory[0].memoryBytes).toBeGreaterThan(10_000_000_000_000);
    expect(out.lowMemory[0].reasons[0]).toMatch(/needs [\d.]+ TiB for context 512 × 4 sequences/);
    expect(out.lowMemory[0].id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fails clearly for an unknown model', async () => {
    const res = await cli(['list-model-profiles', 'nope'], env());
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/^inferd: 'nope' is not a catalog model; catalog models: .*tiny-chat/);
  });
});

describe('inferd download', () => {
  it('selects a profile, fills the cache and prints JSON progress lines', async () => {
    const e = env();
    const res = await cli(['download', 'tiny-chat'], e);
    expect(res.status).toBe(0);
    const events = jsonLines(res.stdout);
    expect(events[0]).toMatchObject({ event: 'start', repo: 'acme/tiny-GGUF', path: 'tiny-f32.gguf', bytesTotal: f32.length });
    const last = events.at(-1);
    expect(last).toMatchObject({ event: 'complete', model: 'tiny-chat', profile: { name: 'llamacpp-cpu-f32' }, parameters: { context_size: '512', gpu: 'false' } });
    expect(last.file.startsWith(e.INFERD_CACHE_DIR!)).toBe(true);
    expect(sha256(await readFile(last.file))).toBe(sha256(f32));
    const again = jsonLines((await cli(['pull', 'tiny-chat:llamacpp-cpu-q8_0'], e)).stdout);
    const kinds = again.map((x) => x.event);
    expect(kinds[0]).toBe('start');
    expect(kinds.slice(-2)).toEqual(['done', 'complete']);
    expect(new Set(kinds.slice(1, -2))).toEqual(new Set(['progress']));
    expect(again.at(-3)).toMatchObject({ event: 'progress', bytesDone: q8.length, bytesTotal: q8.length });
  }, 90_000);

  it('downloads every profile with --all and once for two concurrent processes', async () => {
    const e = env();
    hub.setChunkDelay(40);
    const before = hub.transfers('tiny-f32.gguf');
    const run = () => cli(['download', 'tiny-chat', '--profile', 'llamacpp-cpu-f32'], e);
    try {
      const [a, b] = await Promise.all([run(), run()]);
      expect([a.status, b.status]).toEqual([0, 0]);
      expect(hub.transfers('tiny-f32.gguf') - before).toBe(1);
      expect(jsonLines(a.stdout).at(-1).file).toBe(jsonLines(b.stdout).at(-1).file);
    } finally {
      hub.setChunkDelay(0);
    }
    const all = await cli(['download', 'tiny-chat', '--all', '--json'], e);
    expect(all.status).toBe(0);
    const done = jsonLines(all.stdout).at(-1);
    expect(done.files.map((f: string) => path.basename(f))).toEqual(['tiny-f32.gguf', 'tiny-q8_0.gguf']);
  }, 90_000);

  it('explains gated repositories and offline misses without a stack trace', async () => {
    const gated = await cli(['download', 'locked'], env());
    expect(gated.status).toBe(1);
    expect(gated.stderr).toMatch(/^inferd: acme\/locked-GGUF is gated or private \(HTTP 401\); it needs HF_TOKEN/);
    expect(gated.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    const withToken = await cli(['download', 'locked'], env({ HF_TOKEN: 'hf_cli_token' }));
    expect(withToken.status).toBe(0);
    const offline = await cli(['download', 'tiny-chat'], env({ HF_HUB_OFFLINE: '1' }));
    expect(offline.status).toBe(1);
    expect(offline.stderr).toMatch(/not in the cache .* offline mode is on/);
  }, 90_000);
});
