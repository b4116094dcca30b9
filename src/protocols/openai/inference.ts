/**
 * The slice of the core facade the OpenAI front-end uses. The core's InferenceServer provides
 * these members; tests pass a small object of the same shape.
 */
import type { LlmAcquireOptions, ListedLlm } from '../../core/inference-server.js';
import type { LlmModel } from '../../core/llm/index.js';

export type { ListedLlm };

/** What OpenAI routes call on the core. */
export interface OpenAiInference {
  isLive(): boolean;
  isReady(): boolean;
  serverMetadata(): { readonly name: string; readonly version: string };
  /** The ready LLM `name`; throws InferError NOT_FOUND or MODEL_NOT_READY. */
  llmModel(name: string, options?: LlmAcquireOptions): Promise<LlmModel>;
  listLlmModels(): Promise<readonly ListedLlm[]>;
}
