import { gunzipSync, gzipSync } from 'node:zlib';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferError } from '../../core/errors.js';
import type { InferenceServer, ModelMetadata } from '../../core/inference-server.js';
import type { InferenceRequest, InferenceResult, Tensor } from '../../core/types.js';
import { buildHttpServer } from '../http/server.js';

/**
 * A core stand-in: 'simple' adds and subtracts two INT32 inputs like Triton's example model,
 * 'identity' echoes its inputs, 'boom' fails with an internal error, anything else is unknown.
 */
class FakeInferServer implements InferenceServer {
  llmModel(name: string): never {
    throw new InferError('NOT_FOUND', `no LLM '${name}'`);
  }
  async listLlmModels(): Promise<[]> {
    return [];
  }
  lastRequest?: InferenceRequest;

  isLive = () => true;
  isReady = () => true;
  serverMetadata = () => ({ name: 'inferd', version: '0', extensions: [] });
  isModelReady = () => true;
  modelConfig = (): never => {
    throw new InferError('UNIMPLEMENTED', 'unused');
  };
  inferStream = (): never => {
    throw new InferError('UNIMPLEMENTED', 'unused');
  };
  repositoryIndex = async () => [];
  loadModel = async () => undefined;
  unloadModel = async () => undefined;
  modelStatistics = () => [];

  modelMetadata(name: string): ModelMetadata {
    if (name !== 'identity') throw new InferError('NOT_FOUND', `unknown model '${name}'`);
    return { name, versions: ['1'], platform: 'fake', inputs: [{ name: 'RAW', datatype: 'INT32', shape: [-1, 2] }], outputs: [] };
  }

  async infer(request: InferenceRequest): Promise<InferenceResult> {
    this.lastRequest = request;
    const { name } = request.model;
    const done = (outputs: Tensor[]): InferenceResult => ({ id: request.id, model: { name, version: 1 }, outputs, final: true });
    if (name === 'identity') return done(request.inputs.map((t) => ({ ...t })));
    if (name === 'boom') throw new Error('backend exploded: password=hunter2');
    if (name !== 'simple') throw new InferError('NOT_FOUND', `Request for unknown model: '${name}' is not found`);
    const [a, b] = request.inputs;
    if (!a || !b || a.datatype !== 'INT32' || b.datatype !== 'INT32') {
      throw new InferError('INVALID_ARGUMENT', "inference input data-type is 'INT32', model expects 'INT32' inputs");
    }
    const x = a.data as Int32Array;
    const y = b.data as Int32Array;
    const sum = x.map((v, i) => v + (y[i] as number));
    const diff = x.map((v, i) => v - (y[i] as number));
    return done([
      { name: 'OUTPUT0', datatype: 'INT32', shape: a.shape, data: sum },
      { name: 'OUTPUT1', datatype: 'INT32', shape: a.shape, data: diff },
    ]);
  }
}

const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const SIMPLE_A = range(16, (i) => i);
const SIMPLE_B = range(16, () => 1);

function simpleJsonRequest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: SIMPLE_A },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: SIMPLE_B },
    ],
    ...extra,
  };
}

function le32(values: number[]): Buffer {
  return Buffer.from(new Int32Array(values).buffer);
}

describe('POST /v2/models/:model/infer (inject)', () => {
  const core = new FakeInferServer();
  let app: FastifyInstance;

  beforeAll(async () => {
    app = buildHttpServer({ inference: core, maxInputSize: 1 << 20 });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  const infer = (model: string, payload: string | Buffer | object, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: `/v2/models/${model}/infer`,
      payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
      headers: { 'content-type': 'application/json', ...headers },
    });

  async function expectHealthy(): Promise<void> {
    const res = await infer('simple', simpleJsonRequest());
    expect(res.statusCode).toBe(200);
  }

  function expectClientError(res: LightMyRequestResponse, pattern?: RegExp): void {
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json() as { error?: unknown };
    expect(Object.keys(body)).toEqual(['error']);
    expect(typeof body.error).toBe('string');
    if (pattern) expect(body.error).toMatch(pattern);
  }

  it('answers a JSON request with Triton JSON', async () => {
    const res = await infer('simple', simpleJsonRequest({ id: 'abc' }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['inference-header-content-length']).toBeUndefined();
    const sum = SIMPLE_A.map((v) => v + 1).join(',');
    const diff = SIMPLE_A.map((v) => v - 1).join(',');
    expect(res.body).toBe(
      '{"id":"abc","model_name":"simple","model_version":"1","outputs":[' +
        `{"name":"OUTPUT0","datatype":"INT32","shape":[1,16],"data":[${sum}]},` +
        `{"name":"OUTPUT1","datatype":"INT32","shape":[1,16],"data":[${diff}]}]}`,
    );
    expect(core.lastRequest?.model).toEqual({ name: 'simple', version: undefined });
    const versioned = await app.inject({ method: 'POST', url: '/v2/models/simple/versions/3/infer', payload: simpleJsonRequest() });
    expect(versioned.statusCode).toBe(200);
    expect(core.lastRequest?.model).toEqual({ name: 'simple', version: 3 });
  });

  it.each([
    ['BOOL', [2, 2], [[true, false], [false, true]], [true, false, false, true]],
    ['UINT8', [3], [0, 128, 255], [0, 128, 255]],
    ['UINT16', [1, 2], [[1, 65535]], [1, 65535]],
    ['UINT32', [2], [0, 4294967295], [0, 4294967295]],
    ['UINT64', [1], ['18446744073709551615'], ['18446744073709551615']],
    ['INT8', [2], [-128, 127], [-128, 127]],
    ['INT16', [2, 1], [[-32768], [32767]], [-32768, 32767]],
    ['INT32', [2, 2, 1], [[[1], [2]], [[3], [4]]], [1, 2, 3, 4]],
    ['INT64', [2], ['-9223372036854775808', '9223372036854775807'], ['-9223372036854775808', '9223372036854775807']],
    ['FP32', [3], [0.5, -1.25, 3], [0.5, -1.25, 3]],
    ['FP64', [2], [0.1, -1e-300], [0.1, -1e-300]],
    ['BYTES', [2], ['hello', 'wörld'], ['hello', 'wörld']],
  ])('round-trips %s through JSON (nested %j)', async (datatype, shape, data, flat) => {
    // 64-bit values travel as bare JSON integers; the quotes above only keep them exact in JS.
    const dataText = datatype.endsWith('INT64') ? `[${(data as string[]).join(',')}]` : JSON.stringify(data);
    const body = `{"inputs":[{"name":"X","datatype":"${datatype}","shape":${JSON.stringify(shape)},"data":${dataText}}]}`;
    const res = await infer('identity', body);
    expect(res.statusCode).toBe(200);
    const flatText = datatype.endsWith('INT64') ? `[${(flat as string[]).join(',')}]` : JSON.stringify(flat);
    expect(res.body).toBe(
      `{"model_name":"identity","model_version":"1","outputs":[{"name":"X","datatype":"${datatype}","shape":${JSON.stringify(shape)},"data":${flatText}}]}`,
    );
  });

  it('decodes a hand-built binary request and answers in binary, byte for byte', async () => {
    const header = JSON.stringify({
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: 64 } },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: 64 } },
      ],
      parameters: { binary_data_output: true },
    });
    const body = Buffer.concat([Buffer.from(header), le32(SIMPLE_A), le32(SIMPLE_B)]);
    for (const contentType of ['application/octet-stream', 'application/json']) {
      const res = await infer('simple', body, {
        'content-type': contentType,
        'inference-header-content-length': String(header.length),
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      const jsonPart =
        '{"model_name":"simple","model_version":"1","outputs":[' +
        '{"name":"OUTPUT0","datatype":"INT32","shape":[1,16],"parameters":{"binary_data_size":64}},' +
        '{"name":"OUTPUT1","datatype":"INT32","shape":[1,16],"parameters":{"binary_data_size":64}}]}';
      expect(res.headers['inference-header-content-length']).toBe(String(jsonPart.length));
      const expected = Buffer.concat([
        Buffer.from(jsonPart),
        le32(SIMPLE_A.map((v) => v + 1)),
        le32(SIMPLE_A.map((v) => v - 1)),
      ]);
      expect(res.rawPayload.equals(expected)).toBe(true);
    }
  });

  it('mixes binary and JSON outputs per output parameters', async () => {
    const res = await infer(
      'simple',
      simpleJsonRequest({ outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }, { name: 'OUTPUT1' }] }),
    );
    expect(res.statusCode).toBe(200);
    const headerLength = Number(res.headers['inference-header-content-length']);
    const json = JSON.parse(res.rawPayload.subarray(0, headerLength).toString()) as { outputs: Record<string, unknown>[] };
    expect(json.outputs[0]).toEqual({ name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: 64 } });
    expect(json.outputs[1]?.['data']).toEqual(SIMPLE_A.map((v) => v - 1));
    expect(res.rawPayload.subarray(headerLength).equals(le32(SIMPLE_A.map((v) => v + 1)))).toBe(true);
    expect(core.lastRequest?.outputs).toEqual([{ name: 'OUTPUT0' }, { name: 'OUTPUT1' }]);
  });

  it('round-trips BYTES and FP16 in binary form with length prefixes', async () => {
    const strings = Buffer.from([5, 0, 0, 0, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0xa9]);
    const halfs = Buffer.from([0x00, 0x3c, 0x00, 0xc0]);
    const header = JSON.stringify({
      inputs: [
        { name: 'S', datatype: 'BYTES', shape: [3], parameters: { binary_data_size: strings.length } },
        { name: 'H', datatype: 'FP16', shape: [2], parameters: { binary_data_size: 4 } },
      ],
      outputs: [{ name: 'S', parameters: { binary_data: true } }, { name: 'H', parameters: { binary_data: true } }],
    });
    const res = await infer('identity', Buffer.concat([Buffer.from(header), strings, halfs]), {
      'inference-header-content-length': String(header.length),
    });
    expect(res.statusCode).toBe(200);
    const jsonPart =
      '{"model_name":"identity","model_version":"1","outputs":[' +
      `{"name":"S","datatype":"BYTES","shape":[3],"parameters":{"binary_data_size":${strings.length}}},` +
      '{"name":"H","datatype":"FP16","shape":[2],"parameters":{"binary_data_size":4}}]}';
    expect(res.rawPayload.equals(Buffer.concat([Buffer.from(jsonPart), strings, halfs]))).toBe(true);

    const asJson = await infer('identity', Buffer.concat([Buffer.from(header.replace(/"binary_data":true/g, '"binary_data":false')), strings, halfs]), {
      'inference-header-content-length': String(header.length + 2),
    });
    expectClientError(asJson, /FP16 data via JSON is not supported/);
  });

  it('passes sequence, priority, timeout, classification and custom parameters to the core', async () => {
    const res = await infer(
      'simple',
      simpleJsonRequest({
        id: 'seq-req',
        parameters: { sequence_id: 1001, sequence_start: true, sequence_end: true, priority: 1, timeout: 250, tag: 'x' },
        outputs: [{ name: 'OUTPUT0', parameters: { classification: 2 } }],
      }),
    );
    expect(res.statusCode).toBe(200);
    const req = core.lastRequest;
    expect(req?.id).toBe('seq-req');
    expect(req?.sequence).toEqual({ id: '1001', start: true, end: true });
    expect(req?.priority).toBe(1);
    expect(req?.timeoutUs).toBe(250);
    expect(req?.parameters).toEqual({ tag: 'x' });
    expect(req?.outputs).toEqual([{ name: 'OUTPUT0', classification: 2 }]);
    expect(req?.signal.aborted).toBe(false);
  });

  it('accepts raw binary requests (Inference-Header-Content-Length: 0)', async () => {
    const res = await infer('identity', le32([1, 2, 3, 4]), {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': '0',
    });
    expect(res.statusCode).toBe(200);
    expect(core.lastRequest?.inputs[0]).toMatchObject({ name: 'RAW', datatype: 'INT32', shape: [2, 2] });
    const headerLength = Number(res.headers['inference-header-content-length']);
    expect(res.rawPayload.subarray(headerLength).equals(le32([1, 2, 3, 4]))).toBe(true);
  });

  it('inflates gzip request bodies and gzips responses when asked', async () => {
    const res = await infer('simple', gzipSync(JSON.stringify(simpleJsonRequest())), {
      'content-encoding': 'gzip',
      'accept-encoding': 'gzip;q=0.5, deflate;q=0.2',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    const json = JSON.parse(gunzipSync(res.rawPayload).toString()) as { outputs: { data: number[] }[] };
    expect(json.outputs[0]?.data).toEqual(SIMPLE_A.map((v) => v + 1));
    expectClientError(await infer('simple', 'x', { 'content-encoding': 'br' }), /Unsupported compression type/);
    expectClientError(await infer('simple', 'not gzip', { 'content-encoding': 'gzip' }), /decompress/);
    const bomb = gzipSync(Buffer.alloc(2 << 20));
    expect((await infer('simple', bomb, { 'content-encoding': 'gzip' })).statusCode).toBe(413);
    await expectHealthy();
  });

  it('maps core errors: 404 for unknown models, 400 for invalid input, 500 without internals', async () => {
    expectClientError(await infer('nope', simpleJsonRequest()), /unknown model/);
    expectClientError(await infer('simple', { inputs: [] }), /data-type/);
    const boom = await infer('boom', simpleJsonRequest());
    expect(boom.statusCode).toBe(500);
    expect(boom.json()).toEqual({ error: 'internal server error' });
    expect(boom.body).not.toContain('hunter2');
    await expectHealthy();
  });

  const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
  const badBodies: [string, string | Buffer, Record<string, string>, RegExp][] = [
    ['malformed JSON', '{"inputs": [', {}, /failed to parse/],
    ['empty body', '', {}, /failed to parse/],
    ['a JSON array', '[1,2]', {}, /JSON object/],
    ['inputs of the wrong type', '{"inputs":"x"}', {}, /'inputs'/],
    ['data of the wrong type', '{"inputs":[{"name":"a","datatype":"INT32","shape":[1],"data":["1"]}]}', {}, /INT32/],
    ['an unknown datatype', '{"inputs":[{"name":"a","datatype":"FLOAT","shape":[1],"data":[1]}]}', {}, /invalid datatype/],
    ['a shape/element-count mismatch', '{"inputs":[{"name":"a","datatype":"INT32","shape":[2,2],"data":[1,2,3]}]}', {}, /expected 4 elements/],
    ['a negative dimension', '{"inputs":[{"name":"a","datatype":"INT32","shape":[-1],"data":[1]}]}', {}, /'shape'/],
    ['an overflowing shape', '{"inputs":[{"name":"a","datatype":"INT32","shape":[16,1152921504606846976],"data":[1]}]}', {}, /'shape'/],
    ['an overflowing product', '{"inputs":[{"name":"a","datatype":"INT32","shape":[1073741824,1073741824,1073741824],"data":[1]}]}', {}, /too many/],
    ['data nested 100k deep', `{"inputs":[{"name":"a","datatype":"INT32","shape":[1],"data":${deep}}]}`, {}, /nest(s|ed) deeper/],
    ['a body nested 100k deep', deep, {}, /nests deeper/],
    ['a header length beyond the body', '{"inputs":[]}', { 'inference-header-content-length': '999' }, /range/],
    ['a non-numeric header length', '{"inputs":[]}', { 'inference-header-content-length': 'twelve' }, /Unable to parse Inference-Header-Content-Length/],
    ['a negative header length', '{"inputs":[]}', { 'inference-header-content-length': '-5' }, /Unable to parse/],
    ['INT64 out of range', '{"inputs":[{"name":"a","datatype":"INT64","shape":[1],"data":[9223372036854775808]}]}', {}, /INT64/],
    ['a reserved parameter', '{"inputs":[],"parameters":{"triton_x":1}}', {}, /reserved/],
  ];

  it.each(badBodies)('refuses %s with a 4xx {"error"} and keeps serving', async (_what, body, headers, pattern) => {
    expectClientError(await infer('simple', body, headers), pattern);
    await expectHealthy();
  });

  it('refuses BYTES length prefixes that run past the buffer', async () => {
    const header = '{"inputs":[{"name":"S","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":8}}]}';
    const data = Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4]);
    const res = await infer('identity', Buffer.concat([Buffer.from(header), data]), {
      'inference-header-content-length': String(header.length),
    });
    expectClientError(res, /declares 2147483647 bytes/);
    await expectHealthy();
  });
});
