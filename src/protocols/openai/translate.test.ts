import { describe, expect, it } from 'vitest';
import { InferError } from '../../core/errors.js';
import { LlmRequestError } from '../../core/llm/index.js';
import { toOpenAiError } from './errors.js';
import { chatChunkJson, chatCompletionJson, chatFromWire, chatGenerateRequest } from './translate-chat.js';
import { completionFromWire, completionLogprobs } from './translate-completion.js';
import { embeddingFromWire, embeddingJson } from './translate-embedding.js';

const user = [{ role: 'user', content: 'hi' }];

function paramOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as LlmRequestError).param;
  }
  return 'no error';
}

describe('chatFromWire', () => {
  it('applies OpenAI defaults', () => {
    const call = chatFromWire({ model: 'm', messages: user });
    expect(call).toMatchObject({ model: 'm', n: 1, stream: false, includeUsage: false, minTokens: 0, ignoreEos: false, stop: [], priority: 0 });
    expect(call.sampling).toMatchObject({ temperature: 1, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0 });
    expect(call.maxTokens).toBeUndefined();
    expect(call.logprobs).toBeUndefined();
  });

  it('reads messages with text parts, tool calls and tool results', () => {
    const call = chatFromWire({
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c', content: 'r' },
      ],
    });
    expect(call.messages).toEqual([
      { role: 'system', content: 'ab' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }] },
      { role: 'tool', content: 'r', toolCallId: 'c' },
    ]);
  });

  it('reads every sampling parameter, vLLM extras and nvext (nvext wins)', () => {
    const call = chatFromWire({
      model: 'm', messages: user, max_completion_tokens: 9, max_tokens: 5, temperature: 0.5, top_p: 0.9, n: 2, stop: 'x', seed: 7,
      presence_penalty: 1, frequency_penalty: -1, logit_bias: { '5': -100 }, logprobs: true, top_logprobs: 3, user: 'u',
      top_k: 10, min_p: 0.1, repetition_penalty: 1.1, min_tokens: 2, ignore_eos: true, priority: -1,
      nvext: { top_k: 20, guided_choice: ['yes', 'no'] }, stream: true, stream_options: { include_usage: true },
    });
    expect(call).toMatchObject({ maxTokens: 9, n: 2, stop: ['x'], minTokens: 2, ignoreEos: true, priority: -1, logprobs: 3, stream: true, includeUsage: true });
    expect(call.sampling).toMatchObject({ temperature: 0.5, topP: 0.9, seed: 7, presencePenalty: 1, frequencyPenalty: -1, topK: 20, minP: 0.1, repetitionPenalty: 1.1 });
    expect(call.sampling.logitBias).toEqual(new Map([[5, -100]]));
    expect(call.constraint).toEqual({ kind: 'choice', choices: ['yes', 'no'] });
    expect(chatGenerateRequest(call, 'id', 1, new AbortController().signal).sampling.seed).toBe(8);
  });

  it('maps response formats, tools and tool choices', () => {
    const call = chatFromWire({
      model: 'm', messages: user,
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' } } },
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
    });
    expect(call.constraint).toEqual({ kind: 'json_schema', schema: { type: 'object' } });
    expect(call.tools).toEqual([{ name: 'f', parameters: { type: 'object' } }]);
    expect(call.toolChoice).toEqual({ name: 'f' });
    expect(chatFromWire({ model: 'm', messages: user, response_format: { type: 'json_object' } }).constraint).toEqual({ kind: 'json_object' });
  });

  it('names the offending parameter', () => {
    expect(paramOf(() => chatFromWire({ messages: user }))).toBe('model');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: user, temperature: 3 }))).toBe('temperature');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: user, top_p: 0 }))).toBe('top_p');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: user, n: 17 }))).toBe('n');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: user, max_tokens: 0 }))).toBe('max_tokens');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: user, top_logprobs: 2 }))).toBe('top_logprobs');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: user, logit_bias: { a: 1 } }))).toBe('logit_bias');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: user, stop: [1] }))).toBe('stop');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: user, stream_options: { include_usage: true } }))).toBe('stream_options');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: [{ role: 'tool', content: 'x' }] }))).toBe('messages[0].tool_call_id');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: user, tools: [{ type: 'function', function: { name: 'bad name' } }] }))).toBe('tools[0].function.name');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: user, tool_choice: 'always' }))).toBe('tool_choice');
    expect(paramOf(() => chatFromWire({ model: 'm', messages: user, response_format: { type: 'xml' } }))).toBe('response_format.type');
  });
});

describe('chat responses', () => {
  it('builds chat.completion with tool calls and usage', () => {
    const json = chatCompletionJson('id', 'm', 5, [{ text: '', toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }], finishReason: 'tool_calls' }], { promptTokens: 3, completionTokens: 2, cachedPromptTokens: 1 }) as Record<string, any>;
    expect(json.choices[0].message).toEqual({ role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] });
    expect(json.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, prompt_tokens_details: { cached_tokens: 1 } });
  });

  it('builds chunks with role, content, tool call indexes and finish reasons', () => {
    expect((chatChunkJson('id', 'm', 1, 0, { kind: 'role' }, true) as any).choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect((chatChunkJson('id', 'm', 1, 0, { kind: 'role' }, true) as any).usage).toBeNull();
    expect((chatChunkJson('id', 'm', 1, 2, { kind: 'text', text: 'x' }, false) as any).choices[0]).toEqual({ index: 2, delta: { content: 'x' }, logprobs: null, finish_reason: null });
    expect((chatChunkJson('id', 'm', 1, 0, { kind: 'tool_calls', calls: [{ id: 'c', name: 'f', arguments: '{}' }] }, false) as any).choices[0].delta.tool_calls[0].index).toBe(0);
    expect((chatChunkJson('id', 'm', 1, 0, { kind: 'finish', reason: 'length' }, false) as any).choices[0].finish_reason).toBe('length');
  });
});

describe('completions', () => {
  it('accepts every prompt form and rejects unsupported options', () => {
    expect(completionFromWire({ model: 'm', prompt: 'a' }).prompts).toEqual([{ kind: 'text', text: 'a' }]);
    expect(completionFromWire({ model: 'm', prompt: [1, 2] }).prompts).toEqual([{ kind: 'tokens', tokens: [1, 2] }]);
    expect(completionFromWire({ model: 'm', prompt: ['a', [3]] }).prompts).toHaveLength(2);
    expect(completionFromWire({ model: 'm', prompt: 'a' }).maxTokens).toBe(16);
    expect(paramOf(() => completionFromWire({ model: 'm', prompt: 'a', best_of: 3 }))).toBe('best_of');
    expect(paramOf(() => completionFromWire({ model: 'm', prompt: 'a', suffix: 'z' }))).toBe('suffix');
    expect(paramOf(() => completionFromWire({ model: 'm', prompt: 'a', logprobs: 6 }))).toBe('logprobs');
    expect(paramOf(() => completionFromWire({ model: 'm', prompt: [] }))).toBe('prompt');
  });

  it('lays out legacy logprobs with text offsets', () => {
    const lp = completionLogprobs(
      [
        { token: 1, text: 'ab', bytes: [97, 98], logprob: -1, top: [{ token: 1, text: 'ab', bytes: [], logprob: -1 }] },
        { token: 2, text: 'c', bytes: [99], logprob: -2, top: [] },
      ],
      4,
    );
    expect(lp).toEqual({ tokens: ['ab', 'c'], token_logprobs: [-1, -2], top_logprobs: [{ ab: -1 }, {}], text_offset: [4, 6] });
  });
});

describe('embeddings', () => {
  it('reads inputs and encodes base64 little-endian float32', () => {
    const call = embeddingFromWire({ model: 'm', input: ['a', [1, 2]], encoding_format: 'base64' });
    expect(call.inputs).toEqual(['a', [1, 2]]);
    const json = embeddingJson('m', { vectors: [Float32Array.of(1, -2)], promptTokens: 3 }, 'base64') as any;
    const bytes = Buffer.from(json.data[0].embedding, 'base64');
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([1, -2]);
    expect(json.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(paramOf(() => embeddingFromWire({ model: 'm', input: [] }))).toBe('input');
    expect(paramOf(() => embeddingFromWire({ model: 'm', input: 'a', encoding_format: 'int8' }))).toBe('encoding_format');
  });
});

describe('toOpenAiError', () => {
  it('maps catalogue codes to OpenAI statuses, types and codes', () => {
    expect(toOpenAiError(new LlmRequestError('INVALID_ARGUMENT', 'too long', 'messages', 'context_length_exceeded'))).toMatchObject({
      status: 400,
      body: { error: { message: 'too long', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } },
    });
    expect(toOpenAiError(new InferError('NOT_FOUND', 'no'))).toMatchObject({ status: 404, body: { error: { code: 'model_not_found' } } });
    expect(toOpenAiError(new InferError('RATE_LIMITED', 'busy'))).toMatchObject({ status: 429, headers: { 'retry-after': '1' }, body: { error: { type: 'rate_limit_error' } } });
    expect(toOpenAiError(new InferError('MODEL_NOT_READY', 'loading'))).toMatchObject({ status: 503, body: { error: { type: 'server_error' } } });
    expect(toOpenAiError(new Error('secret path /x'))).toMatchObject({ status: 500, body: { error: { message: 'internal server error' } } });
  });
});
