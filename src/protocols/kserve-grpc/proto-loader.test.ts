import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { findPackageRoot, loadInferencePackage, protoDir, SERVICE_NAME } from './proto-loader.js';

describe('proto lookup', () => {
  it('finds the package root from any folder below it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'inferd-proto-'));
    try {
      await writeFile(join(root, 'package.json'), '{}');
      const deep = join(root, 'dist', 'src', 'protocols', 'kserve-grpc');
      await mkdir(deep, { recursive: true });
      expect(findPackageRoot(deep)).toBe(root);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('resolves the proto folder holding both files', () => {
    expect(existsSync(join(protoDir(), 'grpc_service.proto'))).toBe(true);
    expect(existsSync(join(protoDir(), 'model_config.proto'))).toBe(true);
  });

  it('loads a service with every RPC of Triton GRPCInferenceService', () => {
    const service = loadInferencePackage()[SERVICE_NAME] as Record<string, { requestStream: boolean; responseStream: boolean }>;
    expect(Object.keys(service).sort()).toEqual(
      [
        'CudaSharedMemoryRegister', 'CudaSharedMemoryStatus', 'CudaSharedMemoryUnregister', 'LogSettings', 'ModelConfig',
        'ModelInfer', 'ModelMetadata', 'ModelReady', 'ModelStatistics', 'ModelStreamInfer', 'RepositoryIndex',
        'RepositoryModelLoad', 'RepositoryModelUnload', 'ServerLive', 'ServerMetadata', 'ServerReady',
        'SystemSharedMemoryRegister', 'SystemSharedMemoryStatus', 'SystemSharedMemoryUnregister', 'TraceSetting',
      ].sort(),
    );
    expect(service['ModelStreamInfer']).toMatchObject({ requestStream: true, responseStream: true });
  });
});

describe('wire compatibility with Triton field numbering', () => {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(protoDir(), target.replace(/^.*[\\/]/, ''));
  root.loadSync('grpc_service.proto', { keepCase: true });
  const field = (type: string, name: string) => root.lookupType(`inference.${type}`).fields[name]!;

  it.each([
    ['ModelInferRequest', 'raw_input_contents', 7, 'bytes', 'repeated'],
    ['ModelInferRequest', 'outputs', 6, 'InferRequestedOutputTensor', 'repeated'],
    ['ModelInferRequest.InferInputTensor', 'contents', 5, 'InferTensorContents', 'optional'],
    ['ModelInferResponse', 'raw_output_contents', 6, 'bytes', 'repeated'],
    ['ModelStreamInferResponse', 'infer_response', 2, 'ModelInferResponse', 'optional'],
    ['InferParameter', 'uint64_param', 5, 'uint64', 'optional'],
    ['InferParameter', 'double_param', 4, 'double', 'optional'],
    ['InferTensorContents', 'uint64_contents', 5, 'uint64', 'repeated'],
    ['InferTensorContents', 'bytes_contents', 8, 'bytes', 'repeated'],
    ['ModelStatistics', 'response_stats', 9, 'InferResponseStatistics', 'map'],
    ['ModelRepositoryParameter', 'bytes_param', 4, 'bytes', 'optional'],
    ['ModelConfig', 'backend', 17, 'string', 'optional'],
    ['ModelConfig', 'runtime', 25, 'string', 'optional'],
    ['ModelConfig', 'sequence_batching', 13, 'ModelSequenceBatching', 'optional'],
    ['ModelConfig', 'model_metrics', 26, 'ModelMetrics', 'optional'],
    ['ModelInstanceGroup', 'kind', 4, 'Kind', 'optional'],
    ['ModelSequenceBatching.Control', 'bool_false_true', 5, 'bool', 'repeated'],
    ['ModelDynamicBatching', 'priority_queue_policy', 7, 'ModelQueuePolicy', 'map'],
  ])('%s.%s is field %i of type %s (%s)', (type, name, id, fieldType, label) => {
    const f = field(type, name);
    expect(f.id).toBe(id);
    expect(f.type).toBe(fieldType);
    const actual = f.map ? 'map' : f.repeated ? 'repeated' : 'optional';
    expect(actual).toBe(label);
  });

  it('keeps the DataType enum numbering', () => {
    const values = root.lookupEnum('inference.DataType').values;
    expect(values).toMatchObject({ TYPE_INVALID: 0, TYPE_BOOL: 1, TYPE_UINT64: 5, TYPE_INT64: 9, TYPE_FP16: 10, TYPE_STRING: 13, TYPE_BF16: 14 });
  });
});
