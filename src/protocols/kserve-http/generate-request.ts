/**
 * Triton's generate extension, wire ⇄ core: the JSON body is parsed by the core's Triton LLM
 * request parser; results become `{model_name, model_version, text_output}` objects.
 */
import { parseTritonLlmRequest, type GenerateCall } from '../../core/llm/triton-llm-request.js';

export type { GenerateCall };

/** Validates a generate body; `id` names the request in logs. */
export function generateFromWire(body: unknown, id: string): GenerateCall {
  return parseTritonLlmRequest(body, id);
}

/** One generate response (or one streamed part of it). */
export function generateResponseJson(model: string, version: number, text: string, finishReason?: string): unknown {
  return { model_name: model, model_version: String(version), text_output: text, ...(finishReason ? { finish_reason: finishReason } : {}) };
}
