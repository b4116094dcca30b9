import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { generateExampleRepository, MLP_LABELS, MLP_SIZES } from '../../src/examples/index.js';
import { client, json, postJson, startTestServer, tempDir } from '../support/server.js';

let server: RunningServer;
let cleanup: () => Promise<void>;
let get: ReturnType<typeof client>;

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  await generateExampleRepository(t.dir);
  server = await startTestServer({ modelRepository: t.dir, httpMaxInputSize: 1024 * 1024 });
  get = client(server);
});

afterAll(async () => {
  await server.close();
  await cleanup();
});

const ints = (f: (i: number) => number): number[] => Array.from({ length: 16 }, (_, i) => f(i));

function simpleBody(a: number[], b: number[]): unknown {
  return {
    id: 'req-1',
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: a },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: b },
    ],
  };
}

/** Builds a binary-extension body: JSON header followed by raw little-endian tensors. */
function binaryBody(header: unknown, ...chunks: Buffer[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...chunks]), headerLength: json.length };
}

describe('KServe v2 HTTP over the example repository (onnxruntime backend)', () => {
  it('serves server and model metadata, readiness and the normalized config', async () => {
    expect((await get('/v2/health/live')).status).toBe(200);
    expect((await get('/v2/health/ready')).status).toBe(200);
    const meta = await json(get('/v2'));
    expect(meta.name).toBe('inferd');
    expect(meta.extensions).toContain('binary_tensor_data');
    const model = await json(get('/v2/models/simple'));
    expect(model).toMatchObject({
      name: 'simple',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] },
      ],
    });
    expect((await get('/v2/models/simple/versions/1/ready')).status).toBe(200);
    expect((await get('/v2/models/simple/versions/2/ready')).status).not.toBe(200);
    const config = await json(get('/v2/models/simple/config'));
    expect(config).toMatchObject({ name: 'simple', max_batch_size: 8, backend: 'onnxruntime', version_policy: { latest: { num_versions: 1 } } });
    // Triton gives CPU-only onnxruntime models two instances by default.
    expect(config.instance_group[0]).toMatchObject({ kind: 'KIND_CPU', count: 2 });
    expect((await get('/v2/models/nope')).status).toBe(404);
  });

  it('computes simple sums and differences from JSON', async () => {
    const a = ints((i) => i);
    const b = ints(() => 1);
    const res = await postJson(server, '/v2/models/simple/infer', simpleBody(a, b));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe('req-1');
    const out = Object.fromEntries(res.body.outputs.map((o: any) => [o.name, o.data]));
    expect(out.OUTPUT0).toEqual(a.map((x, i) => x + (b[i] as number)));
    expect(out.OUTPUT1).toEqual(a.map((x, i) => x - (b[i] as number)));
  });

  it('computes simple_string on decimal strings (BYTES)', async () => {
    const a = ints((i) => i * 3).map(String);
    const b = ints((i) => 100 - i).map(String);
    const res = await postJson(server, '/v2/models/simple_string/infer', {
      inputs: [
        { name: 'INPUT0', datatype: 'BYTES', shape: [1, 16], data: a },
        { name: 'INPUT1', datatype: 'BYTES', shape: [1, 16], data: b },
      ],
    });
    expect(res.status).toBe(200);
    const sum = res.body.outputs.find((o: any) => o.name === 'OUTPUT0');
    expect(sum.datatype).toBe('BYTES');
    expect(sum.data).toEqual(ints((i) => i * 3 + 100 - i).map(String));
  });

  it('accepts binary tensor data and returns binary outputs byte for byte', async () => {
    const a = Buffer.from(new Int32Array(ints((i) => i * 10)).buffer);
    const b = Buffer.from(new Int32Array(ints((i) => i)).buffer);
    const { body, headerLength } = binaryBody(
      {
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: 64 } },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: 64 } },
        ],
        outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
      },
      a,
      b,
    );
    const res = await get('/v2/models/simple/infer', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
      body,
    });
    expect(res.status).toBe(200);
    const raw = Buffer.from(await res.arrayBuffer());
    const jsonLength = Number(res.headers.get('inference-header-content-length'));
    const header = JSON.parse(raw.subarray(0, jsonLength).toString());
    expect(header.outputs).toEqual([{ name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: 64 } }]);
    const expected = Buffer.from(new Int32Array(ints((i) => i * 11)).buffer);
    expect(raw.subarray(jsonLength).equals(expected)).toBe(true);
  });

  it('returns top-k classes with labels for the MLP (classification extension)', async () => {
    const pixels = Array.from({ length: MLP_SIZES.input }, (_, i) => (i % 17) / 17);
    const full = await postJson(server, '/v2/models/mlp/infer', {
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, MLP_SIZES.input], data: pixels }],
    });
    const probs = full.body.outputs[0].data as number[];
    expect(probs.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
    const best = probs.indexOf(Math.max(...probs));
    const res = await postJson(server, '/v2/models/mlp/infer', {
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, MLP_SIZES.input], data: pixels }],
      outputs: [{ name: 'OUTPUT0', parameters: { classification: 3 } }],
    });
    expect(res.status).toBe(200);
    const top = res.body.outputs[0];
    expect(top.datatype).toBe('BYTES');
    expect(top.shape).toEqual([1, 3]);
    expect(top.data[0]).toBe(`${(probs[best] as number).toFixed(6)}:${best}:${MLP_LABELS[best]}`);
  });

  it('keeps exact statistics per model', async () => {
    const before = (await json(get('/v2/models/identity_fp32/stats'))).model_stats[0];
    for (let i = 0; i < 3; i++) await postJson(server, '/v2/models/identity_fp32/infer', { inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }] });
    await postJson(server, '/v2/models/identity_fp32/infer', { inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 1], data: [1] }] });
    const after = (await json(get('/v2/models/identity_fp32/stats'))).model_stats[0];
    expect(after.name).toBe('identity_fp32');
    expect(after.inference_stats.success.count - before.inference_stats.success.count).toBe(3);
    expect(after.inference_count - before.inference_count).toBe(6);
    expect(after.inference_stats.queue.count - before.inference_stats.queue.count).toBe(3);
    expect(after.last_inference).toBeGreaterThan(0);
    const all = (await json(get('/v2/models/stats'))).model_stats;
    expect(all.map((s: any) => s.name)).toEqual(expect.arrayContaining(['identity_fp32', 'mlp', 'simple', 'simple_string']));
  });
});

describe('bad input never hurts the server', () => {
  const good = simpleBody(ints((i) => i), ints((i) => i));
  const cases: [string, () => Promise<Response>, number][] = [
    ['malformed JSON', () => get('/v2/models/simple/infer', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [' }), 400],
    ['unknown input', () => get('/v2/models/simple/infer', { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'NOPE', datatype: 'INT32', shape: [1, 16], data: ints(() => 0) }] }) }), 400],
    ['unknown output', () => get('/v2/models/simple/infer', { method: 'POST', body: JSON.stringify({ ...(good as object), outputs: [{ name: 'NOPE' }] }) }), 400],
    ['wrong datatype', () => get('/v2/models/simple/infer', { method: 'POST', body: JSON.stringify(simpleBody(ints(() => 1), ints(() => 1))).replaceAll('INT32', 'FP32') }), 400],
    ['element count mismatch', () => get('/v2/models/simple/infer', { method: 'POST', body: JSON.stringify(simpleBody(ints(() => 1).slice(1), ints(() => 1))) }), 400],
    ['wrong shape', () => get('/v2/models/simple/infer', { method: 'POST', body: JSON.stringify(simpleBody(ints(() => 1), ints(() => 1))).replace('[1,16]', '[2,8]') }), 400],
    ['batch above max_batch_size', () => get('/v2/models/simple/infer', { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [9, 16], data: new Array(144).fill(0) }, { name: 'INPUT1', datatype: 'INT32', shape: [9, 16], data: new Array(144).fill(0) }] }) }), 400],
    ['negative dim', () => get('/v2/models/simple/infer', { method: 'POST', body: JSON.stringify(simpleBody(ints(() => 1), ints(() => 1))).replace('[1,16]', '[-1,16]') }), 400],
    ['overflowing dims', () => get('/v2/models/simple/infer', { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [16, 2 ** 60], parameters: { binary_data_size: 64 } }] }) }), 400],
    ['JSON nested 100k deep', () => get('/v2/models/simple/infer', { method: 'POST', body: '{"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,16],"data":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}]}' }), 400],
    ['header length past the body', () => get('/v2/models/simple/infer', { method: 'POST', headers: { 'inference-header-content-length': '99999' }, body: JSON.stringify(good) }), 400],
    ['non-numeric header length', () => get('/v2/models/simple/infer', { method: 'POST', headers: { 'inference-header-content-length': 'abc' }, body: JSON.stringify(good) }), 400],
    ['body over --http-max-input-size', () => get('/v2/models/simple/infer', { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) }), 413],
    ['unknown model', () => get('/v2/models/nope/infer', { method: 'POST', body: JSON.stringify(good) }), 404],
    ['unknown version', () => get('/v2/models/simple/versions/7/infer', { method: 'POST', body: JSON.stringify(good) }), 404],
  ];

  it.each(cases)('%s → clear 4xx, and the server keeps answering', async (_name, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = await json(res);
    expect(typeof body.error).toBe('string');
    expect(body.error.length).toBeGreaterThan(0);
    const ok = await postJson(server, '/v2/models/simple/infer', good);
    expect(ok.status).toBe(200);
  });

  it('BYTES length prefixes that run past the buffer are refused', async () => {
    const element = Buffer.alloc(4);
    element.writeUInt32LE(1000);
    const { body, headerLength } = binaryBody(
      { inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 1], parameters: { binary_data_size: 6 } }] },
      Buffer.concat([element, Buffer.from('12')]),
    );
    const res = await get('/v2/models/simple_string/infer', { method: 'POST', headers: { 'inference-header-content-length': String(headerLength) }, body });
    expect(res.status).toBe(400);
    expect((await postJson(server, '/v2/models/simple/infer', good)).status).toBe(200);
  });
});
