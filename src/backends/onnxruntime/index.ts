/**
 * Entry point of the onnxruntime backend, loaded lazily by the backend registry.
 */
export { onnxRuntimeBackend, DEFAULT_MODEL_FILENAME } from './onnxruntime-backend.js';
export { DEFAULT_MAX_BATCH_SIZE } from './config-completion.js';
export { DEFAULT_INTRA_OP_THREADS } from './session-options.js';
