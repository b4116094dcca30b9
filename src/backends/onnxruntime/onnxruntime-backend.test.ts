import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackendSuite } from '../../../test/conformance/backend.suite.js';
import type { ModelConfig } from '../../config/model-config.js';
import { identityOnnx } from '../../examples/models/identity.js';
import { encodeOnnxModel } from '../../formats/onnx/index.js';
import type { BackendLogger, ModelLoadContext } from '../backend.js';
import { onnxRuntimeBackend } from './index.js';

const silentLog: BackendLogger = { debug() {}, info() {}, warn() {}, error() {} };

runBackendSuite({
  name: 'onnxruntime',
  backend: () => onnxRuntimeBackend,
  fixture: async (dir) => {
    const config: ModelConfig = {
      name: 'identity',
      platform: 'onnxruntime_onnx',
      max_batch_size: 8,
      input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
    };
    const versionDir = join(dir, 'identity', '1');
    await mkdir(versionDir, { recursive: true });
    await writeFile(join(versionDir, 'model.onnx'), identityOnnx('FP32'));
    return { config, modelDir: dirname(versionDir), versionDir, version: 1 };
  },
});

describe('onnxruntime backend: loading', () => {
  let root = '';
  let count = 0;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'inferd-ort-load-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function context(config: ModelConfig, model: Uint8Array | undefined, autoCompleteConfig: boolean): Promise<ModelLoadContext> {
    const modelDir = join(root, `m${count++}`);
    const versionDir = join(modelDir, '1');
    await mkdir(versionDir, { recursive: true });
    if (model) await writeFile(join(versionDir, config.default_model_filename ?? 'model.onnx'), model);
    return { config, modelDir, versionDir, version: 1, autoCompleteConfig, log: silentLog };
  }

  async function load(config: ModelConfig, model: Uint8Array | undefined, autoComplete = false): Promise<ModelConfig> {
    const loaded = await onnxRuntimeBackend.loadModel(await context(config, model, autoComplete));
    await loaded.unload();
    return loaded.config;
  }

  const twoOutputs = encodeOnnxModel({
    graph: {
      name: 'pair',
      inputs: [{ name: 'A', datatype: 'INT32', shape: ['batch', 16] }, { name: 'B', datatype: 'INT32', shape: ['batch', 16] }],
      outputs: [{ name: 'SUM', datatype: 'INT32', shape: ['batch', 16] }, { name: 'DIFF', datatype: 'INT32', shape: ['batch', 16] }],
      nodes: [
        { opType: 'Add', inputs: ['A', 'B'], outputs: ['SUM'] },
        { opType: 'Sub', inputs: ['A', 'B'], outputs: ['DIFF'] },
      ],
    },
  });

  it('auto-completes inputs, outputs, max_batch_size 4 and dynamic batching from the model', async () => {
    const config = await load({ name: 'pair' }, twoOutputs, true);
    expect(config.max_batch_size).toBe(4);
    expect(config.input).toEqual([
      { name: 'A', data_type: 'TYPE_INT32', dims: [16] },
      { name: 'B', data_type: 'TYPE_INT32', dims: [16] },
    ]);
    expect(config.output).toEqual([
      { name: 'SUM', data_type: 'TYPE_INT32', dims: [16] },
      { name: 'DIFF', data_type: 'TYPE_INT32', dims: [16] },
    ]);
    expect(config.dynamic_batching).toEqual({});
  });

  it('keeps a given max_batch_size and fills only what is missing', async () => {
    const config = await load(
      { name: 'pair', max_batch_size: 16, output: [{ name: 'SUM', data_type: 'TYPE_INT32', dims: [16], label_filename: 'l.txt' }] },
      twoOutputs,
      true,
    );
    expect(config.max_batch_size).toBe(16);
    expect(config.output?.map((o) => o.name)).toEqual(['SUM', 'DIFF']);
    expect(config.output?.[0]?.label_filename).toBe('l.txt');
  });

  it('does not batch a model whose first dimension is fixed', async () => {
    const config = await load({ name: 'fixed' }, identityOnnx('FP32', [2, 3]), true);
    expect(config.max_batch_size).toBe(0);
    expect(config.input).toEqual([{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [2, 3] }]);
    await expect(load({ name: 'fixed', max_batch_size: 4 }, identityOnnx('FP32', [2, 3]), true)).rejects.toThrow(
      /does not support batching/,
    );
  });

  it('fails with both types named when config and model disagree', async () => {
    const config: ModelConfig = {
      name: 'mismatch',
      max_batch_size: 4,
      input: [{ name: 'INPUT0', data_type: 'TYPE_INT64', dims: [-1] }],
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
    };
    await expect(load(config, identityOnnx('FP32'))).rejects.toThrow(/'INPUT0' has data type TYPE_INT64 in the config but TYPE_FP32 in the model/);
  });

  it('fails when the config names a tensor the model lacks, or omits a model input', async () => {
    const base = { name: 'names', max_batch_size: 4, output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32' as const, dims: [-1] }] };
    await expect(load({ ...base, input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [-1] }] }, identityOnnx('FP32'))).rejects.toThrow(
      /input 'X' in the config is not a model input; the model has inputs: INPUT0/,
    );
    await expect(load({ ...base, input: [] }, identityOnnx('FP32'))).rejects.toThrow(/model input 'INPUT0' missing from the config/);
  });

  it('fails when dims disagree', async () => {
    const config: ModelConfig = {
      name: 'dims',
      max_batch_size: 4,
      input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [3] }],
      output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [3] }],
    };
    await expect(load(config, identityOnnx('FP32', ['batch', 2]))).rejects.toThrow(/shape \[-1, 3\] in the config .* but \[-1, 2\] in the model/);
  });

  it('explains a missing or malformed model file', async () => {
    await expect(load({ name: 'absent' }, undefined, true)).rejects.toThrow(/model file .*model\.onnx not found/);
    await expect(load({ name: 'garbage' }, new TextEncoder().encode('definitely not protobuf'), true)).rejects.toThrow(
      /onnxruntime cannot load .*not a valid ONNX model/,
    );
  });

  it('loads default_model_filename and refuses paths outside the version directory', async () => {
    const config = await load({ name: 'renamed', default_model_filename: 'net.onnx' }, identityOnnx('FP32'), true);
    expect(config.input?.[0]?.name).toBe('INPUT0');
    await expect(load({ name: 'escape', default_model_filename: '../../x.onnx' }, undefined, true)).rejects.toThrow(
      /must stay inside the version directory/,
    );
  });

  it('rejects bad session parameters by name', async () => {
    const config: ModelConfig = { name: 'params', parameters: { intra_op_thread_count: { string_value: 'many' } } };
    await expect(load(config, identityOnnx('FP32'), true)).rejects.toThrow(/parameter 'intra_op_thread_count'/);
  });

  const cudaLib = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
  const hasCuda = existsSync(cudaLib);
  if (hasCuda) console.info(`skipping the no-CUDA load test: ${cudaLib} exists`);

  it.skipIf(hasCuda)('KIND_GPU fails with the CUDA cause; KIND_AUTO on a GPU slot falls back to the CPU', async () => {
    const config: ModelConfig = {
      name: 'gpu',
      instance_group: [
        { name: 'gpu_group', kind: 'KIND_GPU', count: 1 },
        { name: 'auto_group', kind: 'KIND_AUTO', count: 1 },
      ],
    };
    const model = await onnxRuntimeBackend.loadModel(await context(config, identityOnnx('FP32'), true));
    try {
      await expect(model.createInstance({ index: 0, groupName: 'gpu_group', device: 'gpu:0' })).rejects.toThrow(
        /CUDA execution provider failed to initialize for instance 0 on gpu:0: .*(Cuda|CUDA|cuda)/,
      );
      const fallback = await model.createInstance({ index: 1, groupName: 'auto_group', device: 'gpu:0' });
      await fallback.dispose();
    } finally {
      await model.unload();
    }
  });
});
