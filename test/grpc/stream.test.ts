/**
 * ModelStreamInfer over a real socket against the fake core: decoupled 0..N responses with
 * triton_final_response, ordering of non-decoupled responses, in-stream errors, cancellation,
 * shutdown with open streams, and the message size limit.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcServer, type GrpcServerHandle } from '../../src/protocols/kserve-grpc/index.js';
import { callError, connect, openStream, param, readRaw, type InferenceClient } from './support/grpc-client.js';
import { FakeInferenceServer } from './support/fake-inference-server.js';

let fake: FakeInferenceServer;
let server: GrpcServerHandle;
let client: InferenceClient;

beforeAll(async () => {
  fake = new FakeInferenceServer();
  server = await startGrpcServer({ inference: fake, host: '127.0.0.1', port: 0 });
  client = connect(server.port);
});

afterAll(async () => {
  client.close();
  await server.close(1000);
});

function repeat(id: string, values: readonly number[], parameters: object = {}) {
  return {
    model_name: 'repeat',
    id,
    parameters,
    inputs: [{ name: 'IN', datatype: 'INT32', shape: [values.length] }],
    raw_input_contents: [Buffer.from(Int32Array.from(values).buffer)],
  };
}

function echo(id: string, delayMs = 0) {
  return {
    model_name: 'echo',
    id,
    parameters: { delay_ms: { int64_param: delayMs } },
    inputs: [{ name: 'X', datatype: 'FP32', shape: [1] }],
    raw_input_contents: [Buffer.from(Float32Array.of(delayMs).buffer)],
  };
}

const outValue = (r: any) => readRaw(r.infer_response.raw_output_contents[0], Int32Array)[0];

describe('decoupled models', () => {
  it('streams one response per result, each flagged not final, and ends OK after half-close', async () => {
    const s = openStream(client);
    s.send(repeat('r1', [3, 1, 4]));
    const got = await s.waitFor(3);
    expect(got.map((r) => r.error_message)).toEqual(['', '', '']);
    expect(got.map(outValue)).toEqual([3, 1, 4]);
    expect(got.map((r) => param(r.infer_response, 'triton_final_response'))).toEqual([false, false, false]);
    expect(got[0].infer_response).toMatchObject({ id: 'r1', model_name: 'repeat', model_version: '1' });
    expect(got[0].infer_response.outputs).toEqual([{ name: 'OUT', datatype: 'INT32', shape: ['1'], parameters: {}, contents: null }]);
    expect(await s.end()).toMatchObject({ code: status.OK });
    expect(s.responses).toHaveLength(3);
  });

  it('sends the empty final response when the client enables it, as Triton does', async () => {
    const s = openStream(client);
    s.send(repeat('r2', [7, 8], { triton_enable_empty_final_response: { bool_param: true } }));
    s.send(repeat('r3', [], { triton_enable_empty_final_response: { bool_param: true } }));
    await s.end();
    const r2 = s.responses.filter((r) => r.infer_response.id === 'r2');
    expect(r2.map((r) => param(r.infer_response, 'triton_final_response'))).toEqual([false, false, true]);
    expect(r2[2].infer_response).toMatchObject({ model_name: 'repeat', model_version: '1', outputs: [], raw_output_contents: [] });
    const r3 = s.responses.filter((r) => r.infer_response.id === 'r3');
    expect(r3).toHaveLength(1);
    expect(param(r3[0].infer_response, 'triton_final_response')).toBe(true);
  });

  it('interleaves concurrent decoupled requests on one stream', async () => {
    const s = openStream(client);
    s.send(repeat('slow', [1, 2, 3], { delay_ms: { int64_param: 40 } }));
    s.send(repeat('fast', [9]));
    await s.end();
    const ids = s.responses.map((r) => r.infer_response.id);
    expect(ids.filter((id) => id === 'slow')).toHaveLength(3);
    expect(ids.indexOf('fast')).toBeLessThan(ids.lastIndexOf('slow'));
  });
});

describe('non-decoupled models on the stream', () => {
  it('answers once per request, final, in request order even when a later one finishes first', async () => {
    const s = openStream(client);
    s.send(echo('first', 150));
    s.send(echo('second', 0));
    await s.end();
    expect(s.responses.map((r) => r.infer_response.id)).toEqual(['first', 'second']);
    expect(s.responses.map((r) => param(r.infer_response, 'triton_final_response'))).toEqual([true, true]);
    expect(readRaw(s.responses[0].infer_response.raw_output_contents[0], Float32Array)).toEqual([150]);
  });
});

describe('errors in-stream', () => {
  it('reports failures as error_message and keeps the stream open', async () => {
    const s = openStream(client);
    s.send({ ...echo('bad-model'), model_name: 'nope' });
    s.send({ ...echo('bad-type'), inputs: [{ name: 'X', datatype: 'FP8', shape: [1] }] });
    s.send({ ...echo('crash'), model_name: 'crash' });
    s.send({ ...repeat('bad-input', [1]), inputs: [{ name: 'IN', datatype: 'FP32', shape: [1] }] });
    s.send(echo('ok'));
    expect(await s.end()).toMatchObject({ code: status.OK });
    const byId = Object.fromEntries(s.responses.map((r) => [r.infer_response.id, r]));
    expect(byId['bad-model'].error_message).toMatch(/unknown model: 'nope'/);
    expect(byId['bad-type'].error_message).toMatch(/invalid datatype 'FP8'/);
    expect(byId['crash'].error_message).toBe('internal server error');
    expect(byId['bad-input'].error_message).toMatch(/repeat needs INT32/);
    expect(byId['bad-model'].infer_response).toMatchObject({ model_name: 'nope', outputs: [] });
    expect(param(byId['bad-model'].infer_response, 'triton_final_response')).toBe(true);
    expect(byId['ok'].error_message).toBe('');
  });
});

describe('cancellation and shutdown', () => {
  it('a client cancel mid-stream aborts the running request', async () => {
    const s = openStream(client);
    s.send(repeat('long', Array.from({ length: 200 }, (_, i) => i), { delay_ms: { int64_param: 20 } }));
    await s.waitFor(2);
    s.cancel();
    expect((await s.status).code).toBe(status.CANCELLED);
    await expect.poll(() => fake.aborted.includes('long'), { timeout: 5000 }).toBe(true);
    expect(s.responses.length).toBeLessThan(200);
  });

  it('close() cancels streams still open after the grace period', async () => {
    const own = new FakeInferenceServer();
    const srv = await startGrpcServer({ inference: own, host: '127.0.0.1', port: 0 });
    const c = connect(srv.port);
    const s = openStream(c);
    s.send(repeat('stuck', Array.from({ length: 100 }, (_, i) => i), { delay_ms: { int64_param: 100 } }));
    await s.waitFor(1);
    const started = Date.now();
    await srv.close(200);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await s.status).code).not.toBe(status.OK);
    await expect.poll(() => own.aborted.includes('stuck'), { timeout: 5000 }).toBe(true);
    c.close();
  });
});

describe('message size limit', () => {
  it('refuses messages above maxMessageBytes with RESOURCE_EXHAUSTED, unary and streaming', async () => {
    const own = new FakeInferenceServer();
    const srv = await startGrpcServer({ inference: own, host: '127.0.0.1', port: 0, maxMessageBytes: 1024 * 1024 });
    const c = connect(srv.port);
    try {
      const big = {
        model_name: 'echo',
        inputs: [{ name: 'X', datatype: 'UINT8', shape: [2 * 1024 * 1024] }],
        raw_input_contents: [Buffer.alloc(2 * 1024 * 1024)],
      };
      const unary = await callError(c, 'ModelInfer', big);
      expect(unary.code).toBe(status.RESOURCE_EXHAUSTED);
      const s = openStream(c);
      s.send(big);
      expect((await s.status).code).toBe(status.RESOURCE_EXHAUSTED);
      expect(own.requests).toHaveLength(0);
      const fits = { ...big, inputs: [{ name: 'X', datatype: 'UINT8', shape: [1000] }], raw_input_contents: [Buffer.alloc(1000)] };
      const s2 = openStream(c);
      s2.send(fits);
      await s2.end();
      expect(s2.responses[0].error_message).toBe('');
    } finally {
      c.close();
      await srv.close(500);
    }
  });
});
