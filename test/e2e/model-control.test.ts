import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { identityOnnx } from '../../src/examples/index.js';
import { client, fp32Infer, identityConfig, postJson, startTestServer, tempDir, waitFor, writeModel } from '../support/server.js';

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
  return t.dir;
}

describe('model control mode none', () => {
  it('loads every model at start; a broken one is UNAVAILABLE with its reason while others serve', async () => {
    const dir = await repo();
    await writeModel(dir, 'good', identityConfig('good'));
    await writeModel(dir, 'broken', identityConfig('broken').replace('TYPE_FP32', 'TYPE_NOPE'));
    server = await startTestServer({ modelRepository: dir, strictReadiness: false });
    const index = await postJson(server, '/v2/repository/index', {});
    expect(index.status).toBe(200);
    const broken = index.body.find((r: any) => r.name === 'broken');
    expect(broken.state).toBe('UNAVAILABLE');
    expect(broken.reason).toMatch(/TYPE_NOPE/);
    expect(index.body.find((r: any) => r.name === 'good')).toMatchObject({ version: '1', state: 'READY' });
    const res = await postJson(server, '/v2/models/good/infer', fp32Infer([1, 2, 3]));
    expect(res.status).toBe(200);
    expect(res.body.outputs[0].data).toEqual([1, 2, 3]);
    expect((await client(server)('/v2/health/ready')).status).toBe(200);
  });

  it('strict readiness reports not ready while a model is unavailable', async () => {
    const dir = await repo();
    await writeModel(dir, 'good', identityConfig('good'));
    await writeModel(dir, 'broken', 'name: "broken"\nbackend: "no_such_backend"\n');
    server = await startTestServer({ modelRepository: dir, strictReadiness: true });
    // Triton answers 400 (not 503) on /v2/health/ready when not ready.
    expect((await client(server)('/v2/health/ready')).status).toBe(400);
    expect((await client(server)('/v2/health/live')).status).toBe(200);
  });

  it('refuses the load/unload API outside explicit mode', async () => {
    const dir = await repo();
    await writeModel(dir, 'good', identityConfig('good'));
    server = await startTestServer({ modelRepository: dir });
    const res = await postJson(server, '/v2/repository/models/good/unload', {});
    expect(res.status).toBe(503);
    expect(res.body.error).toMatch(/explicit/);
  });

  it('applies version policies: latest N, all, specific', async () => {
    const dir = await repo();
    await writeModel(dir, 'latest2', identityConfig('latest2', 'version_policy: { latest: { num_versions: 2 } }'), [1, 2, 3]);
    await writeModel(dir, 'all', identityConfig('all', 'version_policy: { all: {} }'), [1, 2, 3]);
    await writeModel(dir, 'specific', identityConfig('specific', 'version_policy: { specific: { versions: [1, 3] } }'), [1, 2, 3]);
    await writeModel(dir, 'default', identityConfig('default'), [1, 2, 3]);
    server = await startTestServer({ modelRepository: dir });
    const index = (await postJson(server, '/v2/repository/index', {})).body as any[];
    const versions = (name: string): string[] => index.filter((r) => r.name === name && r.state === 'READY').map((r) => r.version);
    expect(versions('latest2')).toEqual(['2', '3']);
    expect(versions('all')).toEqual(['1', '2', '3']);
    expect(versions('specific')).toEqual(['1', '3']);
    expect(versions('default')).toEqual(['3']);
    expect((await postJson(server, '/v2/models/specific/versions/2/infer', fp32Infer([1]))).status).toBe(404);
    const v1 = await postJson(server, '/v2/models/specific/versions/1/infer', fp32Infer([1]));
    expect(v1.body.model_version).toBe('1');
    const latest = await postJson(server, '/v2/models/specific/infer', fp32Infer([1]));
    expect(latest.body.model_version).toBe('3');
  });
});

describe('model control mode explicit', () => {
  it('loads only --load-model models, then loads and unloads through the API', async () => {
    const dir = await repo();
    await writeModel(dir, 'a', identityConfig('a'));
    await writeModel(dir, 'b', identityConfig('b'));
    server = await startTestServer({ modelRepository: dir, modelControlMode: 'explicit', loadModels: ['a'] });
    let index = (await postJson(server, '/v2/repository/index', {})).body as any[];
    expect(index).toEqual([
      { name: 'a', version: '1', state: 'READY', reason: '' },
      { name: 'b' },
    ]);
    expect((await postJson(server, '/v2/models/b/infer', fp32Infer([1]))).status).toBe(404);
    expect((await postJson(server, '/v2/repository/models/b/load', {})).status).toBe(200);
    expect((await postJson(server, '/v2/models/b/infer', fp32Infer([4]))).body.outputs[0].data).toEqual([4]);
    expect((await postJson(server, '/v2/repository/models/b/unload', {})).status).toBe(200);
    index = (await postJson(server, '/v2/repository/index', { ready: true })).body as any[];
    expect(index.map((r) => r.name)).toEqual(['a']);
    expect((await postJson(server, '/v2/models/b/infer', fp32Infer([1]))).status).toBe(503);
    expect((await postJson(server, '/v2/repository/models/nope/load', {})).status).toBe(404);
  });

  it('--load-model * loads everything', async () => {
    const dir = await repo();
    await writeModel(dir, 'a', identityConfig('a'));
    await writeModel(dir, 'b', identityConfig('b'));
    server = await startTestServer({ modelRepository: dir, modelControlMode: 'explicit', loadModels: ['*'] });
    expect(server.inference.isModelReady('a') && server.inference.isModelReady('b')).toBe(true);
  });

  it('accepts a JSON config override and file: overrides', async () => {
    const dir = await repo();
    // The on-disk config is invalid: only the override can make this model load.
    await writeModel(dir, 'override', 'name: "override"\nnot_a_field: 1\n');
    server = await startTestServer({ modelRepository: dir, modelControlMode: 'explicit' });
    expect((await postJson(server, '/v2/repository/models/override/load', {})).status).toBe(400);
    const config = JSON.stringify({
      name: 'override',
      backend: 'identity',
      max_batch_size: 4,
      input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
    });
    const onnx = Buffer.from(identityOnnx('FP32')).toString('base64');
    const withFile = JSON.stringify({ name: 'override', platform: 'onnxruntime_onnx', max_batch_size: 4 });
    const first = await postJson(server, '/v2/repository/models/override/load', { parameters: { config } });
    expect(first.status).toBe(200);
    expect((await postJson(server, '/v2/models/override/infer', fp32Infer([7, 8]))).body.outputs[0].data).toEqual([7, 8]);
    const res = await postJson(server, '/v2/repository/models/override/load', { parameters: { config: withFile, 'file:2/model.onnx': onnx } });
    expect(res.status).toBe(200);
    const out = await postJson(server, '/v2/models/override/infer', fp32Infer([5, 6]));
    expect(out.status).toBe(200);
    expect(out.body.model_version).toBe('2');
    const bad = await postJson(server, '/v2/repository/models/override/load', { parameters: { config: withFile, 'file:../../etc/passwd': onnx } });
    expect(bad.status).toBe(400);
    expect((await postJson(server, '/v2/repository/models/x/load', { parameters: { config: '{"name": "x", "bogus_field": 1}' } })).status).toBe(400);
  });

  it('a reload keeps serving: no in-flight or concurrent request fails while the new version loads', async () => {
    const dir = await repo();
    await writeModel(dir, 'slow', identityConfig('slow', 'parameters { key: "execute_delay_ms" value { string_value: "20" } }'));
    server = await startTestServer({ modelRepository: dir, modelControlMode: 'explicit', loadModels: ['slow'] });
    let stop = false;
    const statuses: number[] = [];
    const loop = async (): Promise<void> => {
      while (!stop) statuses.push((await postJson(server as RunningServer, '/v2/models/slow/infer', fp32Infer([1]))).status);
    };
    const loops = [loop(), loop(), loop(), loop()];
    for (let i = 0; i < 3; i++) {
      expect((await postJson(server, '/v2/repository/models/slow/load', {})).status).toBe(200);
    }
    stop = true;
    await Promise.all(loops);
    expect(statuses.length).toBeGreaterThan(8);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('unload waits for in-flight requests to complete', async () => {
    const dir = await repo();
    await writeModel(dir, 'slow', identityConfig('slow', 'parameters { key: "execute_delay_ms" value { string_value: "300" } }'));
    server = await startTestServer({ modelRepository: dir, modelControlMode: 'explicit', loadModels: ['slow'] });
    const inflight = postJson(server, '/v2/models/slow/infer', fp32Infer([9]));
    await new Promise((r) => setTimeout(r, 50));
    const unload = await postJson(server, '/v2/repository/models/slow/unload', {});
    expect(unload.status).toBe(200);
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.body.outputs[0].data).toEqual([9]);
  });
});

describe('model control mode poll', () => {
  it('loads new models, reloads changed ones and unloads removed ones', async () => {
    const dir = await repo();
    await writeModel(dir, 'a', identityConfig('a'));
    server = await startTestServer({ modelRepository: dir, modelControlMode: 'poll', repositoryPollSecs: 0.2 });
    const s = server;
    await writeModel(dir, 'b', identityConfig('b'));
    await waitFor(() => s.inference.isModelReady('b'));
    await writeModel(dir, 'a', identityConfig('a'), [1, 2]);
    await waitFor(() => s.inference.isModelReady('a', 2));
    expect(s.inference.isModelReady('a', 1)).toBe(false);
    await rm(path.join(dir, 'b'), { recursive: true });
    await waitFor(() => !s.inference.isModelReady('b'));
    await writeFile(path.join(dir, 'a', 'config.pbtxt'), identityConfig('a', '', 2));
    await waitFor(() => s.inference.modelConfig('a').max_batch_size === 2);
  });
});
