/**
 * The gRPC front-end on the real core: the example repository (simple, simple_string,
 * identity_fp32, mlp) served by onnxruntime, a decoupled identity model for ModelStreamInfer,
 * and the repository extension in explicit model control mode.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { generateExampleRepository, identityOnnx, mlpWeights, MLP_SIZES } from '../../src/examples/index.js';
import { startGrpcServer, type GrpcServerHandle } from '../../src/protocols/kserve-grpc/index.js';
import { identityConfig, startTestServer, tempDir, writeModel } from '../support/server.js';
import { call, callError, connect, openStream, param, readRaw, type InferenceClient } from './support/grpc-client.js';

const DECOUPLED = `model_transaction_policy { decoupled: true }
parameters { key: "decoupled_repeat" value: { string_value: "3" } }`;
const SLOW_DECOUPLED = `model_transaction_policy { decoupled: true }
parameters { key: "decoupled_repeat" value: { string_value: "60" } }
parameters { key: "execute_delay_ms" value: { string_value: "50" } }`;

let server: RunningServer;
let grpc: GrpcServerHandle;
let client: InferenceClient;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const t = await tempDir('inferd-grpc-e2e-');
  cleanup = t.cleanup;
  await generateExampleRepository(t.dir);
  await writeModel(t.dir, 'repeat3', identityConfig('repeat3', DECOUPLED, 0));
  await writeModel(t.dir, 'repeat_slow', identityConfig('repeat_slow', SLOW_DECOUPLED, 0));
  server = await startTestServer({ modelRepository: t.dir });
  grpc = await startGrpcServer({ inference: server.inference, host: '127.0.0.1', port: 0 });
  client = connect(grpc.port);
}, 60_000);

afterAll(async () => {
  client?.close();
  await grpc?.close(1000);
  await server?.close();
  await cleanup?.();
});

const int32 = (values: readonly number[]) => Buffer.from(Int32Array.from(values).buffer);
const iota = Array.from({ length: 16 }, (_, i) => i);

describe('example models', () => {
  it('simple: raw INT32 contents add and subtract', async () => {
    const res = await call(client, 'ModelInfer', {
      model_name: 'simple',
      id: 'simple-raw',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
      ],
      raw_input_contents: [int32(iota), int32(iota.map(() => 1))],
    });
    expect(res).toMatchObject({ id: 'simple-raw', model_name: 'simple', model_version: '1' });
    const byName = Object.fromEntries(res.outputs.map((o: { name: string }, i: number) => [o.name, readRaw(res.raw_output_contents[i], Int32Array)]));
    expect(byName['OUTPUT0']).toEqual(iota.map((v) => v + 1));
    expect(byName['OUTPUT1']).toEqual(iota.map((v) => v - 1));
    expect(res.outputs[0]).toMatchObject({ datatype: 'INT32', shape: ['1', '16'] });
  });

  it('simple: typed int_contents and a requested output subset', async () => {
    const res = await call(client, 'ModelInfer', {
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], contents: { int_contents: iota } },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], contents: { int_contents: iota } },
      ],
      outputs: [{ name: 'OUTPUT1' }],
    });
    expect(res.outputs.map((o: { name: string }) => o.name)).toEqual(['OUTPUT1']);
    expect(readRaw(res.raw_output_contents[0], Int32Array)).toEqual(iota.map(() => 0));
  });

  it('simple_string: typed bytes_contents in, length-prefixed raw BYTES out', async () => {
    const strings = iota.map((v) => Buffer.from(String(v * 10)));
    const res = await call(client, 'ModelInfer', {
      model_name: 'simple_string',
      inputs: [
        { name: 'INPUT0', datatype: 'BYTES', shape: [1, 16], contents: { bytes_contents: strings } },
        { name: 'INPUT1', datatype: 'BYTES', shape: [1, 16], contents: { bytes_contents: iota.map(() => Buffer.from('1')) } },
      ],
      outputs: [{ name: 'OUTPUT0' }],
    });
    const raw: Buffer = res.raw_output_contents[0];
    const decoded: string[] = [];
    for (let p = 0; p < raw.length; ) {
      const len = raw.readUInt32LE(p);
      decoded.push(raw.subarray(p + 4, p + 4 + len).toString());
      p += 4 + len;
    }
    expect(decoded).toEqual(iota.map((v) => String(v * 10 + 1)));
  });

  it('mlp: matches a plain-JS forward pass of the seeded weights', async () => {
    const { input, hidden, output } = MLP_SIZES;
    const x = Float32Array.from({ length: input }, (_, i) => ((i * 37) % 255) / 255);
    const res = await call(client, 'ModelInfer', {
      model_name: 'mlp',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, input] }],
      raw_input_contents: [Buffer.from(x.buffer)],
    });
    const w = mlpWeights();
    const h = Array.from({ length: hidden }, (_, j) => {
      let s = w.b1[j]!;
      for (let i = 0; i < input; i++) s += x[i]! * w.w1[i * hidden + j]!;
      return Math.max(0, s);
    });
    const logits = Array.from({ length: output }, (_, k) => {
      let s = w.b2[k]!;
      for (let j = 0; j < hidden; j++) s += h[j]! * w.w2[j * output + k]!;
      return s;
    });
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    const got = readRaw(res.raw_output_contents[0], Float32Array);
    expect(res.outputs[0]).toMatchObject({ name: 'OUTPUT0', datatype: 'FP32', shape: ['1', String(output)] });
    got.forEach((p, k) => expect(p).toBeCloseTo(exps[k]! / sum, 5));
  });

  it('identity_fp32: a batch of two round-trips exactly', async () => {
    const values = Float32Array.of(1.5, -2, 3.25, 1e-30, 7, 8);
    const res = await call(client, 'ModelInfer', {
      model_name: 'identity_fp32',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [2, 3] }],
      raw_input_contents: [Buffer.from(values.buffer)],
    });
    expect(Buffer.compare(res.raw_output_contents[0], Buffer.from(values.buffer))).toBe(0);
  });

  it('reports core validation errors with their status', async () => {
    const wrongShape = await callError(client, 'ModelInfer', {
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 15] },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 15] },
      ],
      raw_input_contents: [int32(iota.slice(1)), int32(iota.slice(1))],
    });
    expect(wrongShape.code).toBe(status.INVALID_ARGUMENT);
    expect((await callError(client, 'ModelInfer', { model_name: 'nope' })).code).toBe(status.NOT_FOUND);
  });
});

describe('sequence parameters on the real sequence batcher', () => {
  const step = async (id: Record<string, string>, value: number, start: boolean, end: boolean): Promise<number> => {
    const res = await call(client, 'ModelInfer', {
      model_name: 'simple_sequence',
      parameters: { sequence_id: id, sequence_start: { bool_param: start }, sequence_end: { bool_param: end } },
      inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1] }],
      raw_input_contents: [int32([value])],
      outputs: [{ name: 'OUTPUT' }],
    });
    return readRaw(res.raw_output_contents[0], Int32Array)[0]!;
  };

  it('keeps uint64 correlation ids that differ only past 2^53 apart, and accepts string ids', async () => {
    // As numbers both ids would round to 9007199254740992 and the two sequences would share state.
    const a = { uint64_param: '9007199254740993' };
    const b = { int64_param: '9007199254740992' };
    const c = { string_param: 'conversation-c' };
    const got: number[] = [];
    got.push(await step(a, 0, true, false), await step(b, 100, true, false), await step(c, 50, true, false));
    got.push(await step(a, 5, false, false), await step(b, 1, false, false), await step(c, 1, false, false));
    got.push(await step(a, 10, false, true), await step(b, 2, false, true), await step(c, 1, false, true));
    expect(got).toEqual([1, 101, 51, 6, 102, 52, 16, 104, 53]);
  });
});

describe('model-level RPCs on the real core', () => {
  it('metadata, config, readiness, index and statistics', async () => {
    expect(await call(client, 'ServerReady', {})).toEqual({ ready: true });
    expect((await call(client, 'ServerMetadata', {})).name).toBe('inferd');
    expect(await call(client, 'ModelReady', { name: 'mlp' })).toEqual({ ready: true });
    const meta = await call(client, 'ModelMetadata', { name: 'simple' });
    expect(meta.inputs).toEqual([
      { name: 'INPUT0', datatype: 'INT32', shape: ['-1', '16'] },
      { name: 'INPUT1', datatype: 'INT32', shape: ['-1', '16'] },
    ]);
    const { config } = await call(client, 'ModelConfig', { name: 'simple' });
    expect(config).toMatchObject({ name: 'simple', platform: 'onnxruntime_onnx', max_batch_size: 8 });
    expect(config.input[0]).toMatchObject({ name: 'INPUT0', data_type: 'TYPE_INT32', dims: ['16'] });
    const decoupled = await call(client, 'ModelConfig', { name: 'repeat3' });
    expect(decoupled.config.model_transaction_policy).toEqual({ decoupled: true });
    const index = await call(client, 'RepositoryIndex', { ready: true });
    expect(index.models.map((m: { name: string }) => m.name)).toEqual(
      expect.arrayContaining(['identity_fp32', 'mlp', 'repeat3', 'repeat_slow', 'simple', 'simple_string']),
    );
    expect(index.models.every((m: { state: string }) => m.state === 'READY')).toBe(true);
    const stats = await call(client, 'ModelStatistics', { name: 'simple' });
    expect(Number(stats.model_stats[0].inference_count)).toBeGreaterThanOrEqual(2);
    expect(Number(stats.model_stats[0].inference_stats.success.count)).toBeGreaterThanOrEqual(2);
  });
});

describe('ModelStreamInfer with the decoupled identity backend', () => {
  const fp32Request = (model: string, id: string, extra: object = {}) => ({
    model_name: model,
    id,
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [2] }],
    raw_input_contents: [Buffer.from(Float32Array.of(4, 5).buffer)],
    ...extra,
  });

  it('streams decoupled_repeat responses, then the empty final one when enabled', async () => {
    const s = openStream(client);
    s.send(fp32Request('repeat3', 'a'));
    s.send(fp32Request('repeat3', 'b', { parameters: { triton_enable_empty_final_response: { bool_param: true } } }));
    expect(await s.end()).toMatchObject({ code: status.OK });
    const a = s.responses.filter((r) => r.infer_response.id === 'a');
    const b = s.responses.filter((r) => r.infer_response.id === 'b');
    expect(a).toHaveLength(3);
    expect(a.map((r) => readRaw(r.infer_response.raw_output_contents[0], Float32Array))).toEqual([[4, 5], [4, 5], [4, 5]]);
    expect(a.map((r) => param(r.infer_response, 'triton_final_response'))).toEqual([false, false, false]);
    expect(b.map((r) => param(r.infer_response, 'triton_final_response'))).toEqual([false, false, false, true]);
    expect(b[3].infer_response.outputs).toEqual([]);
  });

  it('non-decoupled models answer once on the stream; the unary RPC refuses decoupled models', async () => {
    const s = openStream(client);
    s.send(fp32Request('identity_fp32', 'plain', { inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 2] }] }));
    await s.end();
    expect(s.responses).toHaveLength(1);
    expect(param(s.responses[0].infer_response, 'triton_final_response')).toBe(true);
    const unary = await callError(client, 'ModelInfer', fp32Request('repeat3', 'x'));
    expect(unary).toMatchObject({ code: status.UNIMPLEMENTED, details: expect.stringMatching(/decoupled/) });
  });

  it('a client cancel mid-stream stops the model: the next request is served at once', async () => {
    const s = openStream(client);
    s.send(fp32Request('repeat_slow', 'long'));
    await s.waitFor(2);
    s.cancel();
    expect((await s.status).code).toBe(status.CANCELLED);
    // The slow request had ~58 × 50 ms left; the single instance must be free well before that.
    const next = openStream(client);
    const started = Date.now();
    next.send(fp32Request('repeat_slow', 'next'));
    await next.waitFor(1);
    expect(Date.now() - started).toBeLessThan(1500);
    next.cancel();
  });

  it('in-stream errors from the core keep the stream open', async () => {
    const s = openStream(client);
    s.send(fp32Request('repeat3', 'bad', { inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [2] }] }));
    s.send(fp32Request('repeat3', 'good'));
    await s.end();
    const bad = s.responses.find((r) => r.infer_response.id === 'bad');
    expect(bad.error_message).toMatch(/INPUT0/);
    expect(s.responses.filter((r) => r.infer_response.id === 'good')).toHaveLength(3);
  });
});

describe('repository extension in explicit mode', () => {
  it('loads with config and file overrides, then unloads', async () => {
    const t = await tempDir('inferd-grpc-explicit-');
    await generateExampleRepository(t.dir);
    const explicit = await startTestServer({ modelRepository: t.dir, modelControlMode: 'explicit' });
    const g = await startGrpcServer({ inference: explicit.inference, host: '127.0.0.1', port: 0 });
    const c = connect(g.port);
    try {
      expect(await call(c, 'ModelReady', { name: 'simple' })).toEqual({ ready: false });
      await call(c, 'RepositoryModelLoad', { model_name: 'simple' }, 30_000);
      expect(await call(c, 'ModelReady', { name: 'simple' })).toEqual({ ready: true });

      const config = JSON.stringify({
        backend: 'onnxruntime',
        max_batch_size: 4,
        input: [{ name: 'INPUT0', data_type: 'TYPE_INT64', dims: [-1] }],
        output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT64', dims: [-1] }],
      });
      await call(
        c,
        'RepositoryModelLoad',
        {
          model_name: 'custom',
          parameters: { config: { string_param: config }, 'file:1/model.onnx': { bytes_param: Buffer.from(identityOnnx('INT64')) } },
        },
        30_000,
      );
      const big = BigInt64Array.of(-9007199254740993n, 9223372036854775807n);
      const res = await call(c, 'ModelInfer', {
        model_name: 'custom',
        inputs: [{ name: 'INPUT0', datatype: 'INT64', shape: [1, 2], contents: { int64_contents: ['-9007199254740993', '9223372036854775807'] } }],
      });
      expect(Buffer.compare(res.raw_output_contents[0], Buffer.from(big.buffer))).toBe(0);

      const escape = await callError(c, 'RepositoryModelLoad', {
        model_name: 'evil',
        parameters: { config: { string_param: config }, 'file:../../etc/x': { bytes_param: Buffer.from('x') } },
      });
      expect(escape.code).toBe(status.INVALID_ARGUMENT);

      await call(c, 'RepositoryModelUnload', { model_name: 'simple', parameters: { unload_dependents: { bool_param: false } } }, 30_000);
      expect(await call(c, 'ModelReady', { name: 'simple' })).toEqual({ ready: false });
    } finally {
      c.close();
      await g.close(1000);
      await explicit.close();
      await t.cleanup();
    }
  });
});
