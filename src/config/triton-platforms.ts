/**
 * Triton's platform names with the backend that serves each and its default model file
 * (core src/constants.h). Normalization and validation both read this one table.
 */

/** One known platform. */
export interface TritonPlatform {
  readonly backend: string;
  readonly filename: string;
}

/** Platform name → backend and default model file name. `libtorch` is Triton's older alias of `pytorch_libtorch`. */
export const TRITON_PLATFORMS: Readonly<Record<string, TritonPlatform>> = {
  tensorflow_savedmodel: { backend: 'tensorflow', filename: 'model.savedmodel' },
  tensorflow_graphdef: { backend: 'tensorflow', filename: 'model.graphdef' },
  tensorrt_plan: { backend: 'tensorrt', filename: 'model.plan' },
  onnxruntime_onnx: { backend: 'onnxruntime', filename: 'model.onnx' },
  pytorch_libtorch: { backend: 'pytorch', filename: 'model.pt' },
  libtorch: { backend: 'pytorch', filename: 'model.pt' },
  torch_aoti: { backend: 'pytorch', filename: 'model.pt2' },
};

/** The platform entry for `name`, or undefined for unknown names (and `ensemble`). */
export function tritonPlatform(name: string): TritonPlatform | undefined {
  return Object.hasOwn(TRITON_PLATFORMS, name) ? TRITON_PLATFORMS[name] : undefined;
}
