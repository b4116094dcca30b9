/** Entry point the backend registry imports lazily. */
export { llamaCppBackend, DEFAULT_GGUF_FILENAME } from './llamacpp-backend.js';
export { llamaCppSettings, type LlamaCppSettings } from './llamacpp-settings.js';
