/**
 * Safe model loading through the public HTTP API: model names, version strings, `file:` overrides
 * and `default_model_filename` never reach outside the repository, and symlinks inside a model
 * folder that resolve elsewhere make the model UNAVAILABLE with a reason instead of being read.
 */
import { existsSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOnnx } from '../../src/examples/index.js';
import { client, fp32Infer, identityConfig, postJson, writeModel } from '../support/server.js';
import { indexRows, load, onnxConfig, startWorkspace, unavailableReason, writeTree, type Workspace } from './support/model-repo.js';

const ONNX = identityOnnx('FP32');
const ONNX_B64 = Buffer.from(ONNX).toString('base64');
const OVERRIDE_CONFIG = JSON.stringify({ platform: 'onnxruntime_onnx', max_batch_size: 4 });

let ws: Workspace;

beforeAll(async () => {
  ws = await startWorkspace();
  await writeModel(ws.repo, 'good', identityConfig('good'));
  expect((await load(ws.server, 'good')).status).toBe(200);
});
afterAll(async () => {
  await ws?.close();
});

async function stillServing(): Promise<void> {
  expect((await client(ws.server)('/v2/health/live')).status).toBe(200);
  const res = await postJson(ws.server, '/v2/models/good/infer', fp32Infer([1, 2]));
  expect(res.status).toBe(200);
  expect(res.body.outputs[0].data).toEqual([1, 2]);
}

describe('model names in the load API', () => {
  const hostile: readonly [string, string][] = [
    ['encoded ../', '..%2F..%2Foutside'],
    ['encoded ..', '%2e%2e'],
    ['dot-dot slash encoded twice', '%252e%252e%252Foutside'],
    ['NUL', 'good%00x'],
    ['leading dot', '.hidden'],
    ['backslash', '..%5C..%5Coutside'],
    ['absolute', '%2Fetc%2Fpasswd'],
    ['over-long', 'a'.repeat(300)],
  ];
  for (const [what, urlName] of hostile) {
    it(`refuses a ${what} name even with a config and file overrides, and never lists it`, async () => {
      const res = await load(ws.server, urlName, { config: OVERRIDE_CONFIG, 'file:1/model.onnx': ONNX_B64 });
      expect([400, 404]).toContain(res.status);
      expect(res.body.error).toEqual(expect.any(String));
      const index = await postJson(ws.server, '/v2/repository/index', {});
      expect((index.body as any[]).map((r) => r.name).sort()).toEqual(['good']);
    });
  }

  it('refuses names that are unsafe after URL decoding with a clear message', async () => {
    const res = await load(ws.server, '..%2F..%2Foutside', { config: OVERRIDE_CONFIG, 'file:1/model.onnx': ONNX_B64 });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/invalid model name/);
    await stillServing();
  });
});

describe('version strings', () => {
  for (const version of ['..%2F1', '1%00', '-1', '0x1', '99999999999999999999', '1%2F..%2F..']) {
    it(`refuses version '${version}'`, async () => {
      const res = await postJson(ws.server, `/v2/models/good/versions/${version}/infer`, fp32Infer([1]));
      expect([400, 404]).toContain(res.status);
    });
  }
});

describe('file: overrides', () => {
  const marker = `inferd-pwned-${process.pid}-${Date.now()}`;
  const keys = [
    `file:../${marker}`,
    `file:../../${marker}`,
    `file:1/../../${marker}`,
    `file:/tmp/${marker}`,
    `file:1/%2e%2e/${marker}`,
    `file:1\\..\\..\\${marker}`,
    `file:1/a\u0000b`,
    `file:1/${'x'.repeat(300)}`,
    'file:1/.hidden',
    'file:',
  ];
  for (const key of keys) {
    it(`refuses override key ${JSON.stringify(key.slice(0, 40))} and writes nothing outside`, async () => {
      const res = await load(ws.server, 'override', { config: OVERRIDE_CONFIG, [key]: ONNX_B64 });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/invalid file override path|not valid|Unable to parse/);
      expect(existsSync(path.join(tmpdir(), marker))).toBe(false);
      expect(existsSync(path.join(path.dirname(tmpdir()), marker))).toBe(false);
      expect(existsSync(path.join('/tmp', marker))).toBe(false);
    });
  }

  it('loads a well-formed override, then refuses a default_model_filename that leaves the version folder', async () => {
    const ok = await load(ws.server, 'override', { config: OVERRIDE_CONFIG, 'file:1/model.onnx': ONNX_B64 });
    expect(ok.status).toBe(200);
    for (const filename of ['../../../outside/model.onnx', '/etc/passwd', 'sub/../../model.onnx']) {
      const config = JSON.stringify({ platform: 'onnxruntime_onnx', max_batch_size: 4, default_model_filename: filename });
      const res = await load(ws.server, 'override', { config, 'file:1/model.onnx': ONNX_B64 });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/default_model_filename/);
    }
    await stillServing();
  });

  it('a config override for a model that is not in the repository and has no files is NOT_FOUND, not the working directory', async () => {
    const res = await load(ws.server, 'not_on_disk', { config: JSON.stringify({ backend: 'identity', max_batch_size: 4 }) });
    expect(res.status).toBe(404);
  });
});

describe('symlinks in the repository', () => {
  it('refuses a model file that links outside the model folder', async () => {
    await writeTree(ws.outside, { 'model.onnx': ONNX });
    await writeModel(ws.repo, 'linked', onnxConfig('linked'));
    await symlink(path.join(ws.outside, 'model.onnx'), path.join(ws.repo, 'linked', '1', 'model.onnx'));
    const res = await load(ws.server, 'linked');
    expect(res.status).toBe(400);
    expect(await unavailableReason(ws.server, 'linked')).toMatch(/'1\/model\.onnx' resolves outside the model directory/);
    const infer = await postJson(ws.server, '/v2/models/linked/infer', fp32Infer([1]));
    expect(infer.status).not.toBe(200);
  });

  it('refuses a relative symlink that climbs out, and a broken one', async () => {
    await writeModel(ws.repo, 'climb', onnxConfig('climb'));
    await symlink('../../../outside/model.onnx', path.join(ws.repo, 'climb', '1', 'model.onnx'));
    await writeTree(ws.repo, { 'climb/1/extra.txt': 'x' });
    expect((await load(ws.server, 'climb')).status).toBe(400);
    expect(await unavailableReason(ws.server, 'climb')).toMatch(/resolves outside the model directory/);

    await writeModel(ws.repo, 'dangling', identityConfig('dangling'));
    await symlink(path.join(ws.outside, 'missing'), path.join(ws.repo, 'dangling', '1', 'weights'));
    expect((await load(ws.server, 'dangling')).status).toBe(400);
    expect(await unavailableReason(ws.server, 'dangling')).toMatch(/broken or looping symlink/);
  });

  it('refuses a label file that links outside (its lines would be served as class names)', async () => {
    await writeTree(ws.outside, { 'secret.txt': 'root:x:0:0\n' });
    const config = identityConfig('labels').replace('name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ]', '$& label_filename: "labels.txt"');
    await writeModel(ws.repo, 'labels', config);
    await symlink(path.join(ws.outside, 'secret.txt'), path.join(ws.repo, 'labels', 'labels.txt'));
    expect((await load(ws.server, 'labels')).status).toBe(400);
    expect(await unavailableReason(ws.server, 'labels')).toMatch(/'labels\.txt' resolves outside/);
  });

  it('never reads a config.pbtxt that links outside (parse errors would echo its text)', async () => {
    await writeTree(ws.outside, { 'config.pbtxt': 'root:x:0:0:root:/root:/bin/bash\n' });
    await mkdir(path.join(ws.repo, 'cfglink', '1'), { recursive: true });
    await symlink(path.join(ws.outside, 'config.pbtxt'), path.join(ws.repo, 'cfglink', 'config.pbtxt'));
    const res = await load(ws.server, 'cfglink');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/config\.pbtxt of 'cfglink' resolves outside the model directory/);
    expect(res.body.error).not.toMatch(/root/);
  });

  it('refuses a model folder that is itself a link to a folder outside the repository', async () => {
    await writeModel(ws.outside, 'elsewhere', identityConfig('dirlink'));
    await symlink(path.join(ws.outside, 'elsewhere'), path.join(ws.repo, 'dirlink'));
    expect((await load(ws.server, 'dirlink')).status).toBe(400);
    expect(await unavailableReason(ws.server, 'dirlink')).toMatch(/model directory resolves outside the model repository/);
  });

  it('accepts symlinks that stay inside the model folder', async () => {
    await writeModel(ws.repo, 'inlink', onnxConfig('inlink'));
    await writeTree(ws.repo, { 'inlink/shared/model.onnx': ONNX });
    await symlink('../shared/model.onnx', path.join(ws.repo, 'inlink', '1', 'model.onnx'));
    const res = await load(ws.server, 'inlink');
    expect(res.status).toBe(200);
    expect((await indexRows(ws.server, 'inlink'))[0]).toMatchObject({ state: 'READY' });
    const infer = await postJson(ws.server, '/v2/models/inlink/infer', fp32Infer([3, 4]));
    expect(infer.body.outputs[0].data).toEqual([3, 4]);
    await stillServing();
  });
});
