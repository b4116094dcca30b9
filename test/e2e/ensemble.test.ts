/**
 * Ensembles end to end over real HTTP: the example `simple_ensemble` on onnxruntime, an identity
 * DAG with a fan-out, step errors, load ordering and missing composing models.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import type { ServerOptions } from '../../src/config/server-options.js';
import { generateExampleRepository } from '../../src/examples/index.js';
import { postJson, startTestServer, tempDir, writeModel } from '../support/server.js';

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

async function start(dir: string, extra: Partial<ServerOptions> = {}): Promise<RunningServer> {
  server = await startTestServer({ modelRepository: dir, strictReadiness: false, ...extra });
  return server;
}

const get = async (s: RunningServer, p: string): Promise<any> => (await fetch(`http://127.0.0.1:${s.httpPort}${p}`)).json();

/** Identity model copying INPUTi → OUTPUTi for `n` FP32 [-1] tensors. */
function identity(name: string, n: number, extra = ''): string {
  const tensors = (kind: string): string =>
    Array.from({ length: n }, (_, i) => `{ name: "${kind}${i}" data_type: TYPE_FP32 dims: [ -1 ] }`).join(', ');
  return `name: "${name}"\nbackend: "identity"\nmax_batch_size: 8\ninput [ ${tensors('INPUT')} ]\noutput [ ${tensors('OUTPUT')} ]\n${extra}\n`;
}

/** `pipeline`: pre → (left ∥ right) → join; OUT_L/OUT_R come back as the ensemble outputs. */
const PIPELINE = `name: "a_pipeline"
platform: "ensemble"
max_batch_size: 8
input [ { name: "IN" data_type: TYPE_FP32 dims: [ -1 ] } ]
output [ { name: "OUT_L" data_type: TYPE_FP32 dims: [ -1 ] }, { name: "OUT_R" data_type: TYPE_FP32 dims: [ -1 ] } ]
ensemble_scheduling {
  step [
    { model_name: "z_pre" model_version: -1 input_map { key: "INPUT0" value: "IN" } output_map { key: "OUTPUT0" value: "a" } },
    { model_name: "z_left" model_version: 1 input_map { key: "INPUT0" value: "a" } output_map { key: "OUTPUT0" value: "l" } },
    { model_name: "z_right" model_version: -1 input_map { key: "INPUT0" value: "a" } output_map { key: "OUTPUT0" value: "r" } },
    { model_name: "z_join" model_version: -1
      input_map { key: "INPUT0" value: "l" } input_map { key: "INPUT1" value: "r" }
      output_map { key: "OUTPUT0" value: "OUT_L" } output_map { key: "OUTPUT1" value: "OUT_R" } }
  ]
}
`;

async function writePipeline(dir: string, rightExtra = ''): Promise<void> {
  await writeModel(dir, 'a_pipeline', PIPELINE);
  await writeModel(dir, 'z_pre', identity('z_pre', 1));
  await writeModel(dir, 'z_left', identity('z_left', 1));
  await writeModel(dir, 'z_right', identity('z_right', 1, rightExtra));
  await writeModel(dir, 'z_join', identity('z_join', 2));
}

const fp32 = (values: number[]) => ({ inputs: [{ name: 'IN', datatype: 'FP32', shape: [1, values.length], data: values }] });

describe('ensembles over KServe HTTP', () => {
  it('serves the example simple_ensemble (simple twice on onnxruntime) after the models it uses', async () => {
    const dir = await repo();
    await generateExampleRepository(dir);
    const s = await start(dir);
    const a = Array.from({ length: 16 }, (_, i) => i * 3 - 7);
    const b = Array.from({ length: 16 }, (_, i) => 100 - i);
    const res = await postJson(s, '/v2/models/simple_ensemble/infer', {
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: a },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: b },
      ],
    });
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.outputs.map((o: any) => [o.name, o]));
    expect(byName.OUTPUT0.data).toEqual(a.map((x) => 2 * x));
    expect(byName.OUTPUT1.data).toEqual(b.map((x) => 2 * x));
    expect(byName.OUTPUT0.shape).toEqual([1, 16]);
    const meta = await get(s, '/v2/models/simple_ensemble');
    expect(meta.platform).toBe('ensemble');
    const ens = (await get(s, '/v2/models/simple_ensemble/stats')).model_stats[0];
    expect(ens.inference_stats.success.count).toBe(1);
    expect(ens.inference_count).toBe(1);
    expect(ens.execution_count).toBe(1);
    const simple = (await get(s, '/v2/models/simple/stats')).model_stats[0];
    expect(simple.inference_stats.success.count).toBe(2);
  });

  it('loads ensembles after their models with --load-model * in explicit mode, too', async () => {
    const dir = await repo();
    await generateExampleRepository(dir);
    const s = await start(dir, { modelControlMode: 'explicit', loadModels: ['*'] });
    const index = (await postJson(s, '/v2/repository/index', {})).body as any[];
    expect(index.find((r) => r.name === 'simple_ensemble')).toMatchObject({ state: 'READY' });
  });

  it('runs a fan-out DAG with renamed tensors and a pinned step version', async () => {
    const dir = await repo();
    await writePipeline(dir);
    const s = await start(dir);
    const res = await postJson(s, '/v2/models/a_pipeline/infer', fp32([1.5, -2, 3]));
    expect(res.status).toBe(200);
    expect(res.body.outputs.map((o: any) => [o.name, o.data])).toEqual([
      ['OUT_L', [1.5, -2, 3]],
      ['OUT_R', [1.5, -2, 3]],
    ]);
    const only = await postJson(s, '/v2/models/a_pipeline/infer', { ...fp32([4]), outputs: [{ name: 'OUT_R' }] });
    expect(only.body.outputs.map((o: any) => o.name)).toEqual(['OUT_R']);
    for (const m of ['z_pre', 'z_left', 'z_right', 'z_join']) {
      expect((await get(s, `/v2/models/${m}/stats`)).model_stats[0].inference_stats.success.count).toBe(2);
    }
  });

  it('fails the ensemble request with the failing step named, and counts the failure', async () => {
    const dir = await repo();
    await writePipeline(dir, 'parameters { key: "fail_on_value" value { string_value: "13" } }');
    const s = await start(dir);
    const res = await postJson(s, '/v2/models/a_pipeline/infer', fp32([1, 13]));
    expect(res.status).toBe(500);
    expect(res.body.error).toMatch(/^in ensemble 'a_pipeline', step 2 \('z_right'\): /);
    const stats = (await get(s, '/v2/models/a_pipeline/stats')).model_stats[0];
    expect(stats.inference_stats.fail.count).toBe(1);
    expect(stats.inference_stats.success.count).toBe(0);
    expect((await postJson(s, '/v2/models/a_pipeline/infer', fp32([1, 2]))).status).toBe(200);
  });

  it('marks an ensemble UNAVAILABLE with a reason when a composing model is missing', async () => {
    const dir = await repo();
    await writePipeline(dir);
    await writeModel(dir, 'z_left', identity('z_left', 1), [2]);
    const s = await start(dir);
    const index = (await postJson(s, '/v2/repository/index', {})).body as any[];
    const row = index.find((r) => r.name === 'a_pipeline');
    expect(row.state).toBe('UNAVAILABLE');
    expect(row.reason).toMatch(/depends on 'z_left' version 1, which is not available/);
    expect((await postJson(s, '/v2/models/a_pipeline/infer', fp32([1]))).status).toBe(503);
  });

  it('takes the ensemble down with its models on unload with unload_dependents', async () => {
    const dir = await repo();
    await writePipeline(dir);
    const s = await start(dir, { modelControlMode: 'explicit', loadModels: ['*'] });
    expect((await postJson(s, '/v2/models/a_pipeline/infer', fp32([1]))).status).toBe(200);
    const res = await postJson(s, '/v2/repository/models/z_join/unload', { parameters: { unload_dependents: true } });
    expect(res.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${s.httpPort}/v2/models/a_pipeline/ready`)).status).not.toBe(200);
  });
});
