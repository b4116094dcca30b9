/**
 * The OpenAI-compatible API through the official `openai` SDK: chat, completions, streaming,
 * tools, JSON schemas, embeddings and errors, against a tiny generated model (random weights,
 * so assertions check structure, determinism and consistency rather than meaning).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmFixture, type LlmFixture } from './llm-fixture.js';

let fixture: LlmFixture;
let client: OpenAI;

beforeAll(async () => {
  fixture = await startLlmFixture([{ name: 'tiny', gguf: { seed: 11 } }]);
  client = new OpenAI({ baseURL: `${fixture.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 20_000 });
});
afterAll(() => fixture?.close());

const greedy = { model: 'tiny', temperature: 0 } as const;

describe('models', () => {
  it('lists and retrieves served models', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['tiny']);
    const model = await client.models.retrieve('tiny');
    expect(model).toMatchObject({ id: 'tiny', object: 'model', owned_by: 'inferd' });
    await expect(client.models.retrieve('nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('chat completions', () => {
  it('answers deterministically with greedy sampling, exact usage and finish reason', async () => {
    const messages = [{ role: 'system' as const, content: 'You are terse.' }, { role: 'user' as const, content: 'Tell me a story about a dog.' }];
    const a = await client.chat.completions.create({ ...greedy, messages, max_tokens: 12 });
    const b = await client.chat.completions.create({ ...greedy, messages, max_tokens: 12 });
    expect(a.object).toBe('chat.completion');
    expect(a.choices[0]!.message.role).toBe('assistant');
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    const rendered = '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nTell me a story about a dog.<|im_end|>\n<|im_start|>assistant\n';
    expect(a.usage!.prompt_tokens).toBe(fixture.models.get('tiny')!.tokenize(rendered).length);
    expect(['stop', 'length']).toContain(a.choices[0]!.finish_reason);
    if (a.choices[0]!.finish_reason === 'length') expect(a.usage!.completion_tokens).toBe(12);
    expect(a.usage!.total_tokens).toBe(a.usage!.prompt_tokens + a.usage!.completion_tokens);
    expect(b.usage!.prompt_tokens_details?.cached_tokens).toBeGreaterThan(0);
  });

  it('streams the same text as the plain response, then usage, then [DONE]', async () => {
    const body: OpenAI.ChatCompletionCreateParamsNonStreaming & { ignore_eos: boolean } = { ...greedy, messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 16, ignore_eos: true };
    const plain = await client.chat.completions.create(body);
    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.choices.length === 0) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        finish = c.finish_reason ?? finish;
      }
    }
    expect(text).toBe(plain.choices[0]!.message.content);
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ completion_tokens: 16, prompt_tokens: plain.usage!.prompt_tokens });
    expect(chunks).toBeGreaterThan(3);
  });

  it('cuts the output at a stop string', async () => {
    const base = { ...greedy, messages: [{ role: 'user' as const, content: 'Count with me' }], max_tokens: 24, ignore_eos: true } as OpenAI.ChatCompletionCreateParamsNonStreaming;
    const full = (await client.chat.completions.create(base)).choices[0]!.message.content!;
    const stop = full.slice(4, 6);
    const cut = await client.chat.completions.create({ ...base, stop: [stop] });
    expect(cut.choices[0]!.finish_reason).toBe('stop');
    expect(cut.choices[0]!.message.content).toBe(full.slice(0, full.indexOf(stop)));
  });

  it('returns n choices and log-probabilities', async () => {
    const res = await client.chat.completions.create({ ...greedy, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, n: 2, logprobs: true, top_logprobs: 2, ignore_eos: true } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(res.choices).toHaveLength(2);
    expect(res.choices[0]!.message.content).toBe(res.choices[1]!.message.content);
    const lp = res.choices[0]!.logprobs!.content!;
    expect(lp).toHaveLength(4);
    expect(lp[0]!.logprob).toBeLessThanOrEqual(0);
    expect(lp[0]!.top_logprobs).toHaveLength(2);
    expect(lp[0]!.top_logprobs[0]!.logprob).toBeGreaterThanOrEqual(lp[0]!.top_logprobs[1]!.logprob);
    expect(res.usage!.completion_tokens).toBe(8);
  });

  it('produces JSON matching a json_schema response format', async () => {
    const schema = { type: 'object', properties: { answer: { enum: ['yes', 'no'] }, sure: { type: 'boolean' } }, required: ['answer', 'sure'], additionalProperties: false };
    const res = await client.chat.completions.create({
      ...greedy,
      messages: [{ role: 'user', content: 'Is the sky blue?' }],
      max_tokens: 64,
      response_format: { type: 'json_schema', json_schema: { name: 'reply', schema, strict: true } },
    });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    const value = JSON.parse(res.choices[0]!.message.content!);
    expect(['yes', 'no']).toContain(value.answer);
    expect(typeof value.sure).toBe('boolean');
  });

  it('calls a required tool with arguments matching its schema, plain and streamed', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { enum: ['Paris', 'Oslo'] } }, required: ['city'], additionalProperties: false } } },
      { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {}, additionalProperties: false } } },
    ];
    const body = { ...greedy, messages: [{ role: 'user' as const, content: 'Weather in Paris?' }], tools, tool_choice: 'required' as const, max_tokens: 80 };
    const res = await client.chat.completions.create(body);
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    const call = res.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.type).toBe('function');
    expect(call.id).toMatch(/^call_/);
    expect(['get_weather', 'get_time']).toContain(call.function.name);
    const args = JSON.parse(call.function.arguments);
    if (call.function.name === 'get_weather') expect(['Paris', 'Oslo']).toContain(args.city);
    else expect(args).toEqual({});

    const named = await client.chat.completions.create({ ...body, tool_choice: { type: 'function', function: { name: 'get_time' } } });
    expect((named.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall).function).toEqual({ name: 'get_time', arguments: '{}' });

    const stream = await client.chat.completions.create({ ...body, stream: true });
    const streamed: { name?: string; args: string }[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        for (const tc of c.delta.tool_calls ?? []) {
          streamed[tc.index] ??= { args: '' };
          if (tc.function?.name) streamed[tc.index]!.name = tc.function.name;
          streamed[tc.index]!.args += tc.function?.arguments ?? '';
        }
        finish = c.finish_reason ?? finish;
      }
    }
    expect(finish).toBe('tool_calls');
    expect(streamed[0]).toEqual({ name: call.function.name, args: call.function.arguments });
  });

  it('accepts a tool conversation with tool results and auto choice', async () => {
    const res = await client.chat.completions.create({
      ...greedy,
      max_tokens: 6,
      ignore_eos: true,
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
      messages: [
        { role: 'user', content: 'Look it up' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'found it' },
      ],
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(['length', 'stop', 'tool_calls']).toContain(res.choices[0]!.finish_reason);
  });
});

describe('text completions', () => {
  it('completes, echoes and streams consistently', async () => {
    const plain = await client.completions.create({ ...greedy, prompt: 'Once upon a time', max_tokens: 10, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(plain.object).toBe('text_completion');
    expect(plain.choices[0]!.finish_reason).toBe('length');
    expect(plain.usage!.completion_tokens).toBe(10);
    const echoed = await client.completions.create({ ...greedy, prompt: 'Once upon a time', max_tokens: 10, echo: true, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(echoed.choices[0]!.text).toBe(`Once upon a time${plain.choices[0]!.text}`);
    const stream = await client.completions.create({ ...greedy, prompt: 'Once upon a time', max_tokens: 10, stream: true, ignore_eos: true } as OpenAI.CompletionCreateParamsStreaming);
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(plain.choices[0]!.text);
  });

  it('accepts several prompts and token-id prompts, with legacy logprobs', async () => {
    const tokens = fixture.models.get('tiny')!.tokenize('The little dog');
    const res = await client.completions.create({ ...greedy, prompt: ['The little dog', 'A big ball'], n: 2, max_tokens: 3, logprobs: 1, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(res.choices.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(res.choices[0]!.logprobs!.tokens).toHaveLength(3);
    const byTokens = await client.completions.create({ ...greedy, prompt: tokens, max_tokens: 3, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
    expect(byTokens.choices[0]!.text).toBe(res.choices[0]!.text);
    expect(res.usage!.prompt_tokens).toBe(tokens.length + fixture.models.get('tiny')!.tokenize('A big ball').length);
  });
});

describe('embeddings', () => {
  it('returns one vector per input, as floats and as base64 (the SDK default)', async () => {
    const viaSdk = await client.embeddings.create({ model: 'tiny', input: ['hello world', 'a dog'] });
    expect(viaSdk.data).toHaveLength(2);
    expect(viaSdk.data[0]!.embedding).toHaveLength(64);
    const floats = await client.embeddings.create({ model: 'tiny', input: 'hello world', encoding_format: 'float' });
    expect(floats.data[0]!.embedding.map((v) => Math.fround(v))).toEqual(viaSdk.data[0]!.embedding);
    expect(viaSdk.usage.prompt_tokens).toBeGreaterThan(floats.usage.prompt_tokens);
  });
});

describe('errors', () => {
  it('maps bad requests to OpenAI errors with param', async () => {
    const err = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], temperature: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
    const huge = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], n: 1000 }).catch((e: unknown) => e);
    expect(huge).toBeInstanceOf(OpenAI.BadRequestError);
    const negative = await client.completions.create({ model: 'tiny', prompt: 'x', max_tokens: -1 }).catch((e: unknown) => e);
    expect((negative as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('max_tokens');
    const missing = await client.chat.completions.create({ model: 'ghost', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('rejects context overflow and malformed schemas with 400', async () => {
    const overflow = await client.completions.create({ model: 'tiny', prompt: 'dog '.repeat(600), max_tokens: 5 }).catch((e: unknown) => e);
    expect(overflow).toBeInstanceOf(OpenAI.BadRequestError);
    expect((overflow as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
    const tooMany = await client.completions.create({ model: 'tiny', prompt: 'dog', max_tokens: 100_000 }).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);
    const schema = await client.chat.completions
      .create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'wat' } } } })
      .catch((e: unknown) => e);
    expect(schema).toBeInstanceOf(OpenAI.BadRequestError);
    expect((schema as Error).message).toMatch(/unknown type/);
  });
});
