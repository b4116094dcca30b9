import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../config/model-config.js';
import { InferError } from '../../core/errors.js';
import type {
  InferenceServer,
  LoadOptions,
  ModelMetadata,
  ModelStatistics,
  RepositoryIndexEntry,
} from '../../core/inference-server.js';
import type { InferenceRequest, InferenceResult } from '../../core/types.js';
import { buildHttpServer } from '../http/server.js';

const zero = () => ({ count: 0, ns: 0 });

function stats(name: string, version: string, count: number): ModelStatistics {
  return {
    name,
    version,
    last_inference: 1700000000000,
    inference_count: count,
    execution_count: count,
    inference_stats: {
      success: { count, ns: count * 1000 },
      fail: zero(),
      queue: zero(),
      compute_input: zero(),
      compute_infer: zero(),
      compute_output: zero(),
      cache_hit: zero(),
      cache_miss: zero(),
    },
    batch_stats: [{ batch_size: 1, compute_input: zero(), compute_infer: zero(), compute_output: zero() }],
  };
}

/** A core stand-in with two models ('simple' v1+v2 ready, 'cold' not ready) that records control calls. */
class FakeRepositoryServer implements InferenceServer {
  llmModel(name: string): never {
    throw new InferError('NOT_FOUND', `no LLM '${name}'`);
  }
  async listLlmModels(): Promise<[]> {
    return [];
  }
  live = true;
  ready = true;
  readonly loads: { name: string; options?: LoadOptions }[] = [];
  readonly unloads: { name: string; options?: { unloadDependents?: boolean } }[] = [];
  indexCalls: ({ readyOnly?: boolean } | undefined)[] = [];

  private known(name: string, version?: number): void {
    if (name !== 'simple' && name !== 'cold') throw new InferError('NOT_FOUND', `Request for unknown model: '${name}' is not found`);
    if (version !== undefined && version > 2) {
      throw new InferError('NOT_FOUND', `Request for unknown model: '${name}' version ${version} is not found`);
    }
  }

  isLive(): boolean {
    return this.live;
  }
  isReady(): boolean {
    return this.ready;
  }
  serverMetadata() {
    return { name: 'inferd', version: '0.1.0', extensions: ['binary_tensor_data', 'model_repository', 'statistics'] };
  }
  modelMetadata(name: string, version?: number): ModelMetadata {
    this.known(name, version);
    return {
      name,
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [-1, 16], optional: true }],
      outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: [-1, 16] }],
    };
  }
  isModelReady(name: string, version?: number): boolean {
    return name === 'simple' && (version === undefined || version <= 2);
  }
  modelConfig(name: string, version?: number): ModelConfig {
    this.known(name, version);
    if (name === 'cold') throw new InferError('MODEL_NOT_READY', `model '${name}' is not ready`);
    return { name, max_batch_size: 8, input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] }] };
  }
  async infer(_request: InferenceRequest): Promise<InferenceResult> {
    throw new InferError('UNIMPLEMENTED', 'not used by these tests');
  }
  inferStream(): AsyncIterable<InferenceResult> {
    throw new InferError('UNIMPLEMENTED', 'not used by these tests');
  }
  async repositoryIndex(options?: { readyOnly?: boolean }): Promise<readonly RepositoryIndexEntry[]> {
    this.indexCalls.push(options);
    const all: RepositoryIndexEntry[] = [
      { name: 'cold', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' },
      { name: 'simple', version: '1', state: 'READY' },
      { name: 'never' },
    ];
    return options?.readyOnly ? all.filter((e) => e.state === 'READY') : all;
  }
  async loadModel(name: string, options?: LoadOptions): Promise<void> {
    if (name === 'broken') throw new InferError('INVALID_ARGUMENT', "failed to load 'broken'");
    this.loads.push({ name, options });
  }
  async unloadModel(name: string, options?: { unloadDependents?: boolean }): Promise<void> {
    this.unloads.push({ name, options });
  }
  modelStatistics(name?: string, version?: number): readonly ModelStatistics[] {
    if (name === undefined) return [stats('cold', '1', 0), stats('simple', '1', 3)];
    this.known(name, version);
    return [stats(name, String(version ?? 1), 3)];
  }
}

describe('KServe HTTP routes (inject)', () => {
  const core = new FakeRepositoryServer();
  let app: FastifyInstance;

  beforeAll(async () => {
    app = buildHttpServer({ inference: core, maxInputSize: 1 << 20 });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  const get = (url: string) => app.inject({ method: 'GET', url });
  const post = (url: string, payload?: unknown) =>
    app.inject({
      method: 'POST',
      url,
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
      headers: { 'content-type': 'application/json' },
    });

  it('GET /v2 returns server metadata', async () => {
    const res = await get('/v2');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual(core.serverMetadata());
  });

  it('health endpoints answer 200 with an empty body, 400 when not live/ready', async () => {
    for (const url of ['/v2/health/live', '/v2/health/ready']) {
      const ok = await get(url);
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toBe('');
    }
    core.live = false;
    core.ready = false;
    try {
      expect((await get('/v2/health/live')).statusCode).toBe(400);
      const notReady = await get('/v2/health/ready');
      expect(notReady.statusCode).toBe(400);
      expect(notReady.body).toBe('');
    } finally {
      core.live = true;
      core.ready = true;
    }
    const head = await app.inject({ method: 'HEAD', url: '/v2/health/ready' });
    expect(head.statusCode).toBe(200);
  });

  it('model metadata in KServe shape, with and without a version', async () => {
    const expected = {
      name: 'simple',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] }],
      outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: [-1, 16] }],
    };
    expect((await get('/v2/models/simple')).json()).toEqual(expected);
    expect((await get('/v2/models/simple/versions/2')).json()).toEqual(expected);
    const missing = await get('/v2/models/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: "Request for unknown model: 'nope' is not found" });
    expect((await get('/v2/models/simple/versions/9')).statusCode).toBe(404);
  });

  it('refuses versions that are not positive integers', async () => {
    for (const v of ['0', '-1', 'abc', '1.5', '99999999999999999999', '01x']) {
      const res = await get(`/v2/models/simple/versions/${v}`);
      expect(res.statusCode, v).toBe(400);
      expect(res.json().error).toMatch(/version should be an integral value > 0/);
    }
    expect((await get('/v2/models/simple/versions/0/ready')).statusCode).toBe(400);
    expect((await post('/v2/models/simple/versions/x/infer', { inputs: [] })).statusCode).toBe(400);
  });

  it('model ready: 200 empty when ready, 400 with an error otherwise', async () => {
    const ok = await get('/v2/models/simple/ready');
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('');
    expect((await get('/v2/models/simple/versions/1/ready')).statusCode).toBe(200);
    for (const url of ['/v2/models/cold/ready', '/v2/models/nope/ready', '/v2/models/simple/versions/3/ready']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json()).toEqual({ error: 'Model version not ready' });
    }
  });

  it('model config returns the core config; errors map to their statuses', async () => {
    const res = await get('/v2/models/simple/config');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(core.modelConfig('simple'));
    expect((await get('/v2/models/simple/versions/1/config')).json().name).toBe('simple');
    const cold = await get('/v2/models/cold/config');
    expect(cold.statusCode).toBe(503);
    expect(cold.json()).toEqual({ error: "model 'cold' is not ready" });
  });

  it('statistics: all models, one model, one version', async () => {
    const all = await get('/v2/models/stats');
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ model_stats: [stats('cold', '1', 0), stats('simple', '1', 3)] });
    expect((await get('/v2/models/simple/stats')).json()).toEqual({ model_stats: [stats('simple', '1', 3)] });
    expect((await get('/v2/models/simple/versions/2/stats')).json()).toEqual({ model_stats: [stats('simple', '2', 3)] });
    expect((await get('/v2/models/nope/stats')).statusCode).toBe(404);
    expect(all.body).toContain('"inference_count":3');
  });

  it('repository index with and without {"ready": true}', async () => {
    const all = await post('/v2/repository/index');
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual([
      { name: 'cold', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' },
      { name: 'simple', version: '1', state: 'READY' },
      { name: 'never' },
    ]);
    expect((await post('/v2/repository/index', { ready: true })).json()).toEqual([{ name: 'simple', version: '1', state: 'READY' }]);
    expect(core.indexCalls.at(-1)).toEqual({ readyOnly: true });
    expect((await post('/v2/repository/index', { ready: 'yes' })).statusCode).toBe(400);
    expect((await post('/v2/repository/index', '{"ready":')).statusCode).toBe(400);
    expect((await post('/v2/repository/index', '[1]')).statusCode).toBe(400);
  });

  it('load passes the config and decoded files through', async () => {
    const onnx = Buffer.from([0x08, 0x07, 0x12, 0x00, 0xff]);
    const res = await post('/v2/repository/models/m1/load', {
      parameters: { config: '{"backend":"onnxruntime"}', 'file:1/model.onnx': onnx.toString('base64') },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    const last = core.loads.at(-1);
    expect(last?.name).toBe('m1');
    expect(last?.options?.config).toBe('{"backend":"onnxruntime"}');
    expect([...(last?.options?.files ?? new Map()).keys()]).toEqual(['1/model.onnx']);
    expect(Buffer.from(last?.options?.files?.get('1/model.onnx') ?? []).equals(onnx)).toBe(true);

    expect((await post('/v2/repository/models/m2/load')).statusCode).toBe(200);
    expect(core.loads.at(-1)).toEqual({ name: 'm2', options: { config: undefined, files: undefined } });
  });

  it('load refuses bad parameters and reports core failures', async () => {
    const bad = [
      { parameters: { config: 5 } },
      { parameters: { 'file:1/model.onnx': 'not base64!' } },
      { parameters: { other: 'x' } },
      { parameters: [] },
    ];
    for (const body of bad) {
      const res = await post('/v2/repository/models/m3/load', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(typeof res.json().error).toBe('string');
    }
    const failed = await post('/v2/repository/models/broken/load');
    expect(failed.statusCode).toBe(400);
    expect(failed.json()).toEqual({ error: "failed to load 'broken'" });
    const named = await post('/v2/repository/myrepo/models/m3/load');
    expect(named.statusCode).toBe(400);
    expect(named.json()).toEqual({ error: "'repository_name' specification is not supported" });
  });

  it('unload passes unload_dependents through', async () => {
    expect((await post('/v2/repository/models/m1/unload')).statusCode).toBe(200);
    expect(core.unloads.at(-1)).toEqual({ name: 'm1', options: { unloadDependents: false } });
    expect((await post('/v2/repository/models/m1/unload', { parameters: { unload_dependents: true } })).statusCode).toBe(200);
    expect(core.unloads.at(-1)).toEqual({ name: 'm1', options: { unloadDependents: true } });
    expect((await post('/v2/repository/models/m1/unload', { parameters: { unload_dependents: 1 } })).statusCode).toBe(400);
  });

  it('unknown routes and methods get 404 in the error shape', async () => {
    const res = await get('/v2/nothing/here');
    expect(res.statusCode).toBe(404);
    expect(typeof res.json().error).toBe('string');
    expect((await app.inject({ method: 'DELETE', url: '/v2/models/simple' })).statusCode).toBe(404);
  });
});
