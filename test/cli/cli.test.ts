import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateExampleRepository } from '../../src/examples/index.js';
import { json, tempDir, waitFor } from '../support/server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'src/main.ts')];

let repo: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const t = await tempDir();
  repo = t.dir;
  cleanup = t.cleanup;
  await generateExampleRepository(repo);
});
afterAll(() => cleanup());

describe('inferd CLI', () => {
  it('--help lists every serve flag with its INFERD_* variable', () => {
    const top = spawnSync(process.execPath, [...CLI, '--help'], { encoding: 'utf8' });
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/serve/);
    const serve = spawnSync(process.execPath, [...CLI, 'serve', '--help'], { encoding: 'utf8' });
    expect(serve.status).toBe(0);
    for (const flag of [
      'model-repository', 'http-port', 'host', 'model-control-mode', 'repository-poll-secs', 'load-model',
      'strict-model-config', 'strict-readiness', 'exit-on-error', 'log-level', 'http-max-input-size', 'exit-timeout-secs',
    ]) {
      expect(serve.stdout).toContain(`--${flag}`);
      expect(serve.stdout).toContain(`INFERD_${flag.replace(/-/g, '_').toUpperCase()}`);
    }
  });

  it('rejects bad flag values with a clear message', () => {
    const res = spawnSync(process.execPath, [...CLI, 'serve', '--http-port', 'abc'], { encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/port/);
  });

  it('--exit-on-error exits non-zero when a model fails to load', async () => {
    const t = await tempDir();
    try {
      await generateExampleRepository(t.dir);
      const { writeFile } = await import('node:fs/promises');
      await writeFile(path.join(t.dir, 'simple', 'config.pbtxt'), 'name: "simple"\nbogus: 1\n');
      const res = spawnSync(process.execPath, [...CLI, 'serve', '--model-repository', t.dir, '--http-port', '0', '--exit-on-error', '--log-level', 'silent', '--grpc-port', '0'], { encoding: 'utf8', timeout: 60_000 });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/simple/);
    } finally {
      await t.cleanup();
    }
  });

  it('takes options from INFERD_* variables, serves, and exits 0 on SIGTERM', async () => {
    const port = 18700 + Math.floor(Math.random() * 200);
    const child = spawn(process.execPath, [...CLI, 'serve'], {
      env: { ...process.env, INFERD_MODEL_REPOSITORY: repo, INFERD_HTTP_PORT: String(port), INFERD_LOG_LEVEL: 'warn', INFERD_MODEL_CONTROL_MODE: 'explicit', INFERD_LOAD_MODEL: 'simple', INFERD_GRPC_PORT: '0' },
      stdio: 'ignore',
    });
    try {
      await waitFor(() => fetch(`http://127.0.0.1:${port}/v2/health/ready`).then((r) => r.ok, () => false), 30_000);
      const index = await json(fetch(`http://127.0.0.1:${port}/v2/repository/index`, { method: 'POST' }));
      expect(index.filter((r: any) => r.state === 'READY').map((r: any) => r.name)).toEqual(['simple']);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
