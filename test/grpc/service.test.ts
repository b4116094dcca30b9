/**
 * Every unary RPC of inference.GRPCInferenceService over a real socket, against the fake core:
 * health, metadata, config, statistics, repository, the unsupported extensions and status codes.
 */
import { status } from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcServer, type GrpcServerHandle } from '../../src/protocols/kserve-grpc/index.js';
import { call, callError, connect, type InferenceClient } from './support/grpc-client.js';
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

describe('health and metadata', () => {
  it('ServerLive and ServerReady follow the core', async () => {
    expect(await call(client, 'ServerLive', {})).toEqual({ live: true });
    expect(await call(client, 'ServerReady', {})).toEqual({ ready: true });
    fake.ready = false;
    expect(await call(client, 'ServerReady', {})).toEqual({ ready: false });
    fake.ready = true;
  });

  it('ModelReady answers per model and version, and refuses a malformed version', async () => {
    expect(await call(client, 'ModelReady', { name: 'echo' })).toEqual({ ready: true });
    expect(await call(client, 'ModelReady', { name: 'echo', version: '1' })).toEqual({ ready: true });
    expect(await call(client, 'ModelReady', { name: 'echo', version: '2' })).toEqual({ ready: false });
    expect(await call(client, 'ModelReady', { name: 'nope' })).toEqual({ ready: false });
    const bad = await callError(client, 'ModelReady', { name: 'echo', version: 'latest' });
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/version string 'latest'/);
  });

  it('ServerMetadata', async () => {
    expect(await call(client, 'ServerMetadata', {})).toEqual({
      name: 'inferd',
      version: '9.9.9',
      extensions: ['classification', 'statistics'],
    });
  });

  it('ModelMetadata carries int64 shapes with -1 for variable dimensions', async () => {
    const meta = await call(client, 'ModelMetadata', { name: 'echo', version: '1' });
    expect(meta).toEqual({
      name: 'echo',
      versions: ['1'],
      platform: 'fake',
      inputs: [{ name: 'IN', datatype: 'INT32', shape: ['-1', '16'] }],
      outputs: [{ name: 'OUT', datatype: 'FP32', shape: ['-1', '16'] }],
    });
    const missing = await callError(client, 'ModelMetadata', { name: 'nope' });
    expect(missing.code).toBe(status.NOT_FOUND);
    expect(missing.details).toMatch(/unknown model: 'nope'/);
  });
});

describe('ModelConfig', () => {
  it('encodes the core config as model_config.proto, enums by name', async () => {
    const res = await call(client, 'ModelConfig', { name: 'repeat' });
    expect(res.config).toMatchObject({ name: 'repeat', backend: 'fake', model_transaction_policy: { decoupled: true } });
    expect((await callError(client, 'ModelConfig', { name: 'nope' })).code).toBe(status.NOT_FOUND);
  });

  it('carries every field group of a full config across the wire', async () => {
    const config = {
      name: 'full',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      version_policy: { specific: { versions: [1, 3] } },
      max_batch_size: 8,
      input: [{ name: 'I', data_type: 'TYPE_FP16', format: 'FORMAT_NCHW', dims: [3, -1], reshape: { shape: [3, 1, -1] }, optional: true }],
      output: [{ name: 'O', data_type: 'TYPE_STRING', dims: [-1], label_filename: 'labels.txt' }],
      dynamic_batching: {
        preferred_batch_size: [4, 8],
        max_queue_delay_microseconds: 100,
        priority_levels: 2,
        default_priority_level: 1,
        default_queue_policy: { timeout_action: 'DELAY', default_timeout_microseconds: 5, allow_timeout_override: true, max_queue_size: 9 },
        priority_queue_policy: { '2': { timeout_action: 'REJECT', max_queue_size: 3 } },
      },
      instance_group: [{ name: 'g', kind: 'KIND_CPU', count: 2 }],
      parameters: { k: { string_value: 'v' } },
      model_warmup: [{ name: 'w', batch_size: 1, inputs: { I: { data_type: 'TYPE_FP16', dims: [3, 1], zero_data: true } } }],
      model_transaction_policy: { decoupled: false },
      response_cache: { enable: true },
      metric_tags: { team: 'a' },
    } as const;
    const original = fake.modelConfig.bind(fake);
    fake.modelConfig = () => config as never;
    try {
      const res = (await call(client, 'ModelConfig', { name: 'full' })).config;
      expect(res).toMatchObject({
        name: 'full',
        platform: 'onnxruntime_onnx',
        backend: 'onnxruntime',
        version_policy: { specific: { versions: ['1', '3'] } },
        max_batch_size: 8,
        input: [{ name: 'I', data_type: 'TYPE_FP16', format: 'FORMAT_NCHW', dims: ['3', '-1'], reshape: { shape: ['3', '1', '-1'] }, optional: true }],
        output: [{ name: 'O', data_type: 'TYPE_STRING', dims: ['-1'], label_filename: 'labels.txt' }],
        dynamic_batching: {
          preferred_batch_size: [4, 8],
          max_queue_delay_microseconds: '100',
          priority_levels: '2',
          default_priority_level: '1',
          default_queue_policy: { timeout_action: 'DELAY', default_timeout_microseconds: '5', allow_timeout_override: true, max_queue_size: 9 },
        },
        scheduling_choice: 'dynamic_batching',
        instance_group: [{ name: 'g', kind: 'KIND_CPU', count: 2 }],
        parameters: { k: { string_value: 'v' } },
        model_warmup: [{ name: 'w', batch_size: 1, inputs: { I: { data_type: 'TYPE_FP16', dims: ['3', '1'], zero_data: true } } }],
        response_cache: { enable: true },
        metric_tags: { team: 'a' },
      });
      // NOTE: protobufjs hands uint64 map keys back as 8-byte hashes; decode to check the key.
      const [key, policy] = Object.entries(res.dynamic_batching.priority_queue_policy)[0] as [string, unknown];
      expect(protobuf.util.longFromHash(key, true).toString()).toBe('2');
      expect(policy).toMatchObject({ timeout_action: 'REJECT', max_queue_size: 3 });
    } finally {
      fake.modelConfig = original;
    }
  });
});

describe('ModelStatistics', () => {
  it('returns every model, one model, or fails for an unknown one; 64-bit counts stay exact', async () => {
    const all = await call(client, 'ModelStatistics', {});
    expect(all.model_stats.map((s: { name: string }) => s.name)).toEqual(['echo', 'repeat', 'fail', 'crash', 'hang']);
    const one = await call(client, 'ModelStatistics', { name: 'echo', version: '1' });
    expect(one.model_stats).toHaveLength(1);
    expect(one.model_stats[0]).toMatchObject({
      name: 'echo',
      version: '1',
      last_inference: '1700000000123',
      inference_count: '7',
      execution_count: '3',
      inference_stats: { success: { count: '5000000000', ns: '123456789' }, cache_miss: { count: '5000000000' } },
      batch_stats: [{ batch_size: '4', compute_infer: { count: '5000000000', ns: '123456789' } }],
    });
    expect((await callError(client, 'ModelStatistics', { name: 'nope' })).code).toBe(status.NOT_FOUND);
  });
});

describe('repository extension', () => {
  it('RepositoryIndex lists all or only ready models; a named repository is refused', async () => {
    const all = await call(client, 'RepositoryIndex', {});
    expect(all.models).toContainEqual({ name: 'broken', version: '1', state: 'UNAVAILABLE', reason: 'no backend' });
    expect(all.models).toContainEqual({ name: 'never_loaded', version: '', state: '', reason: '' });
    const ready = await call(client, 'RepositoryIndex', { ready: true });
    expect(ready.models.every((m: { state: string }) => m.state === 'READY')).toBe(true);
    const named = await callError(client, 'RepositoryIndex', { repository_name: 'other' });
    expect(named.code).toBe(status.UNIMPLEMENTED);
  });

  it('RepositoryModelLoad passes the config override and file overrides as bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    await call(client, 'RepositoryModelLoad', {
      model_name: 'echo',
      parameters: {
        config: { string_param: '{"backend":"fake"}' },
        'file:1/model.onnx': { bytes_param: bytes },
      },
    });
    const load = fake.loads.at(-1)!;
    expect(load.name).toBe('echo');
    expect(load.options?.config).toBe('{"backend":"fake"}');
    expect([...load.options!.files!.keys()]).toEqual(['1/model.onnx']);
    expect(Buffer.from(load.options!.files!.get('1/model.onnx')!)).toEqual(bytes);
    await call(client, 'RepositoryModelLoad', { model_name: 'echo' });
    expect(fake.loads.at(-1)).toEqual({ name: 'echo', options: {} });
  });

  it('RepositoryModelLoad refuses mistyped or unknown parameters and reports core failures', async () => {
    const mistyped = await callError(client, 'RepositoryModelLoad', { model_name: 'echo', parameters: { config: { bool_param: true } } });
    expect(mistyped).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/expected string_param/) });
    const file = await callError(client, 'RepositoryModelLoad', { model_name: 'echo', parameters: { 'file:1/x': { string_param: 'x' } } });
    expect(file.details).toMatch(/expected bytes_param/);
    const unknown = await callError(client, 'RepositoryModelLoad', { model_name: 'echo', parameters: { colour: { string_param: 'red' } } });
    expect(unknown.details).toMatch(/unrecognized load parameter 'colour'/);
    expect((await callError(client, 'RepositoryModelLoad', { model_name: 'missing' })).code).toBe(status.NOT_FOUND);
  });

  it('RepositoryModelUnload passes unload_dependents', async () => {
    await call(client, 'RepositoryModelUnload', { model_name: 'echo', parameters: { unload_dependents: { bool_param: true } } });
    expect(fake.unloads.at(-1)).toEqual({ name: 'echo', options: { unloadDependents: true } });
    await call(client, 'RepositoryModelUnload', { model_name: 'echo' });
    expect(fake.unloads.at(-1)).toEqual({ name: 'echo', options: {} });
    const bad = await callError(client, 'RepositoryModelUnload', { model_name: 'echo', parameters: { unload_dependents: { int64_param: 1 } } });
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('extensions this server does not offer', () => {
  it('shared memory: status lists no regions, register is UNIMPLEMENTED, unregister has nothing to do', async () => {
    expect(await call(client, 'SystemSharedMemoryStatus', {})).toEqual({ regions: {} });
    expect(await call(client, 'CudaSharedMemoryStatus', {})).toEqual({ regions: {} });
    expect((await callError(client, 'SystemSharedMemoryStatus', { name: 'r' })).code).toBe(status.NOT_FOUND);
    const reg = await callError(client, 'SystemSharedMemoryRegister', { name: 'r', key: '/k', byte_size: 16 });
    expect(reg.code).toBe(status.UNIMPLEMENTED);
    expect(reg.details).toMatch(/SystemSharedMemoryRegister is not supported/);
    expect((await callError(client, 'CudaSharedMemoryRegister', { name: 'r' })).code).toBe(status.UNIMPLEMENTED);
    expect(await call(client, 'SystemSharedMemoryUnregister', {})).toEqual({});
    expect(await call(client, 'CudaSharedMemoryUnregister', { name: 'r' })).toEqual({});
  });

  it('TraceSetting and LogSettings answer UNIMPLEMENTED, even for a log file path', async () => {
    const trace = await callError(client, 'TraceSetting', { settings: { trace_level: { value: ['TIMESTAMPS'] } } });
    expect(trace).toMatchObject({ code: status.UNIMPLEMENTED, details: expect.stringMatching(/TraceSetting/) });
    const log = await callError(client, 'LogSettings', { settings: { log_file: { string_param: '/etc/passwd' } } });
    expect(log).toMatchObject({ code: status.UNIMPLEMENTED, details: expect.stringMatching(/LogSettings/) });
  });
});
