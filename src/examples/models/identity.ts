/**
 * Identity models: one input copied to one output. Used by the `identity_fp32` example and as
 * per-datatype fixtures in backend tests.
 */
import type { DataType } from '../../core/types.js';
import { encodeOnnxModel, type OnnxDim } from '../../formats/onnx/index.js';
import type { ExampleModel } from './example-model.js';

/** ONNX bytes of `OUTPUT0 = Identity(INPUT0)` with the given datatype and full shape (batch dim included). */
export function identityOnnx(datatype: DataType, shape: readonly OnnxDim[] = ['batch', 'n']): Uint8Array {
  return encodeOnnxModel({
    graph: {
      name: `identity_${datatype.toLowerCase()}`,
      inputs: [{ name: 'INPUT0', datatype, shape }],
      outputs: [{ name: 'OUTPUT0', datatype, shape }],
      nodes: [{ opType: 'Identity', inputs: ['INPUT0'], outputs: ['OUTPUT0'] }],
    },
  });
}

/** Maximum batch size of the `identity_fp32` example. */
export const IDENTITY_FP32_MAX_BATCH = 64;

/** `identity_fp32`: FP32 [-1] echo with dynamic batching. */
export function identityFp32Example(): ExampleModel {
  const configText = `name: "identity_fp32"
platform: "onnxruntime_onnx"
max_batch_size: ${IDENTITY_FP32_MAX_BATCH}
input [
  {
    name: "INPUT0"
    data_type: TYPE_FP32
    dims: [ -1 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_FP32
    dims: [ -1 ]
  }
]
dynamic_batching { }
instance_group [
  {
    kind: KIND_CPU
    count: 1
  }
]
`;
  return { name: 'identity_fp32', configText, files: { '1/model.onnx': identityOnnx('FP32') } };
}
