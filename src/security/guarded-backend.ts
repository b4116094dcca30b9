/**
 * Wraps a backend so that every version load first passes `inspectModelVersion`: the engine only
 * ever opens files that stayed inside the model directory, are not pickles, match the optional
 * sha256 manifest and have a valid container header. The wrapper adds no other behaviour.
 */
import type { Backend, LoadedModel, ModelLoadContext } from '../backends/backend.js';
import { BACKEND_MODEL_FILES } from '../config/backend-names.js';
import { inspectModelVersion, type ModelFileInspection } from './model-files.js';

/** Repository-wide rules for model files. */
export interface ModelFilePolicy {
  /** Folder every model directory must resolve inside. */
  readonly root: string;
  /** Real paths outside the repository that symlinks may point to (the `--model` file). */
  readonly trustedFiles?: readonly string[];
}

/** Container format each built-in engine parses, by backend name. */
const BACKEND_FORMATS: Readonly<Record<string, ModelFileInspection['format']>> = {
  onnxruntime: 'onnx',
  llamacpp: 'gguf',
};

/** The model file a backend will open for `ctx`, relative to the version folder. */
export function modelFileOf(backendName: string, config: ModelLoadContext['config']): string | undefined {
  return config.default_model_filename || BACKEND_MODEL_FILES[backendName];
}

/** `backend` with the pre-load inspection in front of `loadModel`. */
export function guardBackend(backend: Backend, policy: ModelFilePolicy): Backend {
  return {
    name: backend.name,
    apiVersion: backend.apiVersion,
    async loadModel(ctx: ModelLoadContext): Promise<LoadedModel> {
      await inspectModelVersion({
        root: policy.root,
        modelDir: ctx.modelDir,
        version: ctx.version,
        modelFile: modelFileOf(backend.name, ctx.config),
        format: BACKEND_FORMATS[backend.name],
        ...(policy.trustedFiles ? { trustedFiles: policy.trustedFiles } : {}),
      });
      return backend.loadModel(ctx);
    },
  };
}
