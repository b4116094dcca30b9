/**
 * Reads a Triton `config.pbtxt` into a ModelConfig. Only what the text sets is present in the
 * result (plus `name`, which is "" when absent, as protobuf's default); normalization fills
 * Triton's defaults afterwards.
 */
import type { ModelConfig } from '../model-config.js';
import { MODEL_CONFIG_SCHEMA, type MessageSchema } from '../model-config-schema.js';
import { parseText } from './parser.js';
import { readMessage } from './read-message.js';

/** Parses protobuf text as any message of the schema; throws PbtxtError with `source:line:col`. */
export function parsePbtxt(text: string, schema: MessageSchema, source?: string): Record<string, unknown> {
  return readMessage(parseText(text, source), schema, source);
}

/**
 * Parses config.pbtxt text. Throws PbtxtError (an INVALID_ARGUMENT InferError) whose message is
 * `<source>:<line>:<col>: <reason>`, e.g. `m/config.pbtxt:3:5: unknown field 'foo' in ModelInput`.
 */
export function parseModelConfig(text: string, source?: string): ModelConfig {
  const config = parsePbtxt(text, MODEL_CONFIG_SCHEMA, source);
  return { ...config, name: typeof config.name === 'string' ? config.name : '' } as ModelConfig;
}
