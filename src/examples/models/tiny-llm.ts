/**
 * `tiny_llm`: a random-weight Llama-architecture GGUF (a few hundred kB) served by the llamacpp
 * backend, so the example repository exercises the OpenAI API and continuous batching with no
 * download. Its text is noise; point `--model` at a real GGUF for words.
 */
import { encodeGguf, tinyLlamaGguf } from '../../formats/gguf/index.js';
import type { ExampleModel } from './example-model.js';

/** Seed of the example's weights, fixed so every generated repository holds the same model. */
export const TINY_LLM_SEED = 7;

/** The example LLM directory. */
export function tinyLlmExample(): ExampleModel {
  return {
    name: 'tiny_llm',
    configText: [
      'name: "tiny_llm"',
      'backend: "llamacpp"',
      'parameters { key: "context_size" value: { string_value: "1024" } }',
      'parameters { key: "max_sequences" value: { string_value: "4" } }',
      'parameters { key: "gpu" value: { string_value: "false" } }',
      '',
    ].join('\n'),
    files: { '1/model.gguf': encodeGguf(tinyLlamaGguf({ name: 'tiny_llm', seed: TINY_LLM_SEED })) },
  };
}
