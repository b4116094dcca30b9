/**
 * The core's LLM serving: `createLlmModel` wraps a model version's iterative instances in a
 * continuous batcher and exposes the LlmModel surface front-ends use.
 */
export { createLlmModel, type CreateLlmModelOptions } from './llm-model.js';
export { LlmRequestError } from './llm-errors.js';
export type * from './types.js';
