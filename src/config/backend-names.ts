/**
 * Which backend serves a model when its config does not name one: Triton's platform names,
 * then the model file found in a version folder.
 */

/** Triton platform names and the backend that serves each. */
export const PLATFORM_BACKENDS: Readonly<Record<string, string>> = {
  onnxruntime_onnx: 'onnxruntime',
  ensemble: 'ensemble',
};

/** Default model file name per backend, and the backend each such file implies. */
export const BACKEND_MODEL_FILES: Readonly<Record<string, string>> = {
  onnxruntime: 'model.onnx',
  llamacpp: 'model.gguf',
};

/** The backend named by a config's `backend` or `platform`, if any. */
export function backendFromConfig(config: { backend?: string; platform?: string }): string | undefined {
  if (config.backend) return config.backend;
  if (config.platform) return PLATFORM_BACKENDS[config.platform] ?? config.platform;
  return undefined;
}
