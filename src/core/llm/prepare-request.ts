/**
 * Resolves a GenerateRequest against one model: renders and tokenizes the prompt, checks it fits
 * the context, compiles the output constraint (response_format, guided decoding, forced tool
 * calls) and settles every limit, producing what the batcher and the output adapter need.
 */
import type { IterativeInstance, SamplingConstraint, SamplingParams } from '../../backends/backend.js';
import type { SequenceRequest } from '../scheduling/llm-sequence.js';
import type { ChatTemplate } from './chat-template.js';
import type { OutputHandling } from './generation-stream.js';
import { checkJsonSchema, grammarSchema, JsonSchemaError } from './json-schema.js';
import { badParam } from './llm-errors.js';
import { planTools, type ToolPlan } from './tool-calls.js';
import type { GenerateRequest, OutputConstraint } from './types.js';

/** A request ready for the batcher. */
export interface PreparedRequest {
  readonly sequence: SequenceRequest;
  readonly handling: OutputHandling;
}

/** Prompt tokens of `text` as a prompt starts (BOS added when the model wants it and the text lacks it). */
export function promptTokens(instance: IterativeInstance, text: string): number[] {
  const tokens = instance.tokenize(text, true);
  const { bos, addBos } = instance.vocabulary;
  if (addBos && bos !== undefined && tokens[0] !== bos) tokens.unshift(bos);
  return tokens;
}

function tokensOf(instance: IterativeInstance, request: GenerateRequest, template: () => ChatTemplate): { tokens: number[]; tools?: ToolPlan } {
  const prompt = request.prompt;
  if (prompt.kind === 'text') return { tokens: promptTokens(instance, prompt.text) };
  if (prompt.kind === 'tokens') {
    const size = instance.vocabulary.size;
    const bad = prompt.tokens.find((t) => !Number.isInteger(t) || t < 0 || t >= size);
    if (bad !== undefined) throw badParam(`token id ${bad} is outside the vocabulary (0..${size - 1})`, 'prompt');
    return { tokens: [...prompt.tokens] };
  }
  const chat = template();
  const tools = planTools(prompt.messages, prompt.tools, prompt.toolChoice, chat.handlesTools);
  let text: string;
  try {
    text = chat.render(tools.messages, tools.tools);
  } catch (err) {
    throw badParam(`the chat template failed on these messages: ${err instanceof Error ? err.message : String(err)}`, 'messages');
  }
  return { tokens: promptTokens(instance, text), tools };
}

function escapeGbnf(s: string): string {
  return s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

function samplingConstraint(c: OutputConstraint): SamplingConstraint {
  switch (c.kind) {
    case 'json_object':
      return { kind: 'json' };
    case 'json_schema':
      try {
        checkJsonSchema(c.schema);
      } catch (err) {
        if (err instanceof JsonSchemaError) throw badParam(`invalid JSON schema: ${err.message}`, 'response_format');
        throw err;
      }
      return { kind: 'json_schema', schema: grammarSchema(c.schema) };
    case 'grammar':
      return { kind: 'gbnf', grammar: c.gbnf };
    case 'choice':
      if (c.choices.length === 0) throw badParam('guided_choice needs at least one choice', 'guided_choice');
      return { kind: 'gbnf', grammar: `root ::= ${c.choices.map((x) => `"${escapeGbnf(x)}"`).join(' | ')}` };
  }
}

/** Resolves `request`; throws INVALID_ARGUMENT (LlmRequestError) for anything the model cannot serve. */
export async function prepareRequest(instance: IterativeInstance, request: GenerateRequest, template: () => ChatTemplate): Promise<PreparedRequest> {
  const { tokens, tools } = tokensOf(instance, request, template);
  const contextSize = instance.contextSize;
  if (tokens.length === 0) throw badParam('the prompt is empty', 'prompt');
  if (tokens.length >= contextSize) {
    throw badParam(`This model's maximum context length is ${contextSize} tokens. However, your prompt has ${tokens.length} tokens.`, 'messages', 'context_length_exceeded');
  }
  const room = contextSize - tokens.length;
  if (request.maxTokens !== undefined && request.maxTokens > room) {
    throw badParam(
      `This model's maximum context length is ${contextSize} tokens. However, you requested ${tokens.length + request.maxTokens} tokens (${tokens.length} in the prompt, ${request.maxTokens} for the completion).`,
      'max_tokens',
      'context_length_exceeded',
    );
  }
  const outputConstraint: OutputConstraint | undefined = tools?.schema ? { kind: 'json_schema', schema: tools.schema } : request.constraint;
  const constraint = outputConstraint ? samplingConstraint(outputConstraint) : undefined;
  const info = constraint
    ? await instance.prepareConstraint(constraint).catch((err: unknown) => {
        throw badParam(`invalid grammar: ${err instanceof Error ? err.message : String(err)}`, 'response_format');
      })
    : undefined;
  for (const token of request.sampling.logitBias.keys()) {
    if (!Number.isInteger(token) || token < 0 || token >= instance.vocabulary.size) throw badParam(`logit_bias token ${token} is outside the vocabulary`, 'logit_bias');
  }
  const s = request.sampling;
  const sampling: SamplingParams = {
    temperature: s.temperature,
    topP: s.topP,
    topK: s.topK > 0 ? s.topK : 0,
    minP: s.minP,
    ...(s.seed !== undefined ? { seed: s.seed } : {}),
    repetitionPenalty: s.repetitionPenalty,
    presencePenalty: s.presencePenalty,
    frequencyPenalty: s.frequencyPenalty,
    // NOTE: OpenAI's -100 means "never"; other values are logit offsets as llama.cpp applies them.
    logitBias: new Map([...s.logitBias].map(([t, b]) => [t, b <= -100 ? -Infinity : b])),
    ...(constraint ? { constraint } : {}),
    ...(request.logprobs !== undefined ? { topLogprobs: request.logprobs } : {}),
  };
  const jsonSchema = outputConstraint?.kind === 'json_schema' && !tools?.schema ? { schema: outputConstraint.schema } : undefined;
  const handling: OutputHandling = {
    logprobs: request.logprobs !== undefined,
    ...(outputConstraint?.kind === 'json_object' ? { json: {} } : jsonSchema ? { json: jsonSchema } : {}),
    ...(tools && tools.mode !== 'none' ? { tools: { mode: tools.mode, tools: tools.tools } } : {}),
    trimTrailingWhitespace: info?.trimTrailingWhitespace ?? false,
  };
  return {
    sequence: {
      id: request.id,
      promptTokens: tokens,
      sampling,
      maxTokens: Math.max(1, request.maxTokens ?? room),
      minTokens: request.minTokens,
      ignoreEos: request.ignoreEos,
      stop: [...request.stop, ...(info?.stop ?? [])],
      priority: request.priority,
      signal: request.signal,
    },
    handling,
  };
}
