/**
 * `mlp`: a small image classifier, 784 → 256 (Relu) → 10 (Softmax), with seeded weights so
 * tests can rebuild them and check the served model against a plain-JS forward pass.
 */
import { encodeOnnxModel } from '../../formats/onnx/index.js';
import { mulberry32, uniformFloat32 } from '../../formats/prng.js';
import type { ExampleModel } from './example-model.js';

/** Layer sizes of the example MLP. */
export const MLP_SIZES = { input: 784, hidden: 256, output: 10 } as const;
/** Seed of the example MLP's weights. */
export const MLP_SEED = 20240601;
/** Maximum batch size of the `mlp` example. */
export const MLP_MAX_BATCH = 64;
/** Class labels, one per output, in `labels.txt` order. */
export const MLP_LABELS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;

/** Weights in row-major [in, out] layout (so y = x·W + b), drawn like PyTorch's default init. */
export interface MlpWeights {
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

/** Regenerates the example MLP's weights from `seed`. */
export function mlpWeights(seed: number = MLP_SEED): MlpWeights {
  const next = mulberry32(seed);
  const { input, hidden, output } = MLP_SIZES;
  const s1 = 1 / Math.sqrt(input);
  const s2 = 1 / Math.sqrt(hidden);
  return {
    w1: uniformFloat32(next, input * hidden, s1),
    b1: uniformFloat32(next, hidden, s1),
    w2: uniformFloat32(next, hidden * output, s2),
    b2: uniformFloat32(next, output, s2),
  };
}

/** ONNX bytes of the MLP with the given weights. */
export function mlpOnnx(weights: MlpWeights = mlpWeights()): Uint8Array {
  const { input, hidden, output } = MLP_SIZES;
  return encodeOnnxModel({
    graph: {
      name: 'mlp',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: ['batch', input] }],
      outputs: [{ name: 'OUTPUT0', datatype: 'FP32', shape: ['batch', output] }],
      initializers: [
        { name: 'w1', datatype: 'FP32', shape: [input, hidden], data: weights.w1 },
        { name: 'b1', datatype: 'FP32', shape: [hidden], data: weights.b1 },
        { name: 'w2', datatype: 'FP32', shape: [hidden, output], data: weights.w2 },
        { name: 'b2', datatype: 'FP32', shape: [output], data: weights.b2 },
      ],
      nodes: [
        { opType: 'Gemm', inputs: ['INPUT0', 'w1', 'b1'], outputs: ['h'] },
        { opType: 'Relu', inputs: ['h'], outputs: ['h_relu'] },
        { opType: 'Gemm', inputs: ['h_relu', 'w2', 'b2'], outputs: ['logits'] },
        { opType: 'Softmax', inputs: ['logits'], outputs: ['OUTPUT0'], attributes: { axis: { type: 'INT', value: -1 } } },
      ],
    },
  });
}

/** The `mlp` example, with `labels.txt` for the classification extension. */
export function mlpExample(): ExampleModel {
  const configText = `name: "mlp"
platform: "onnxruntime_onnx"
max_batch_size: ${MLP_MAX_BATCH}
input [
  {
    name: "INPUT0"
    data_type: TYPE_FP32
    dims: [ ${MLP_SIZES.input} ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_FP32
    dims: [ ${MLP_SIZES.output} ]
    label_filename: "labels.txt"
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
  return {
    name: 'mlp',
    configText,
    files: { '1/model.onnx': mlpOnnx(), 'labels.txt': `${MLP_LABELS.join('\n')}\n` },
  };
}
