import { afterEach, describe, expect, it } from 'vitest';
import { FakeIterativeInstance, letters } from '../../../test/llm/fake-iterative-instance.js';
import { createLlmModel } from './llm-model.js';
import type { GenerateRequest, LlmModel } from './types.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
let model: LlmModel | undefined;
afterEach(() => model?.close());

function make(options: ConstructorParameters<typeof FakeIterativeInstance>[0] = {}): { llm: LlmModel; instance: FakeIterativeInstance } {
  const instance = new FakeIterativeInstance(options);
  model = createLlmModel({ name: 'fake', version: 3, config: { name: 'fake', parameters: { owned_by: { string_value: 'me' } } }, instances: [instance], maxQueue: 4, log: silent });
  return { llm: model, instance };
}

function request(over: Partial<GenerateRequest> = {}): GenerateRequest {
  return {
    id: 't',
    prompt: { kind: 'text', text: 'abc' },
    sampling: { temperature: 0, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logitBias: new Map() },
    minTokens: 0,
    ignoreEos: false,
    stop: [],
    priority: 0,
    signal: new AbortController().signal,
    ...over,
  };
}

async function text(llm: LlmModel, r: GenerateRequest): Promise<string> {
  let out = '';
  for await (const e of await llm.generate(r)) if (e.type === 'text') out += e.text;
  return out;
}

describe('LlmModel', () => {
  it('reports info from the instance and config', () => {
    const { llm } = make({ contextSize: 32, maxSequences: 2 });
    expect(llm.info).toMatchObject({ name: 'fake', version: 3, contextLength: 32, maxSequences: 2, ownedBy: 'me', parameters: { owned_by: 'me' } });
  });

  it('adds BOS to text prompts and defaults max tokens to the context left', async () => {
    const { llm, instance } = make({ contextSize: 10 });
    expect(llm.tokenize('abc')).toEqual([1, ...letters('abc')]);
    expect(await text(llm, request())).toBe('defghi');
    expect(instance.plans[0]!.entries[0]).toMatchObject({ kind: 'prefill', tokens: [1, 2, 3, 4] });
  });

  it('rejects context overflow, bad token ids and bad logit bias before queueing', async () => {
    const { llm } = make({ contextSize: 8 });
    await expect(llm.generate(request({ prompt: { kind: 'text', text: 'abcdefgh' } }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', detail: 'context_length_exceeded' });
    await expect(llm.generate(request({ maxTokens: 5 }))).rejects.toMatchObject({ param: 'max_tokens' });
    await expect(llm.generate(request({ prompt: { kind: 'tokens', tokens: [1, 500] } }))).rejects.toMatchObject({ param: 'prompt' });
    const bias = request();
    await expect(llm.generate({ ...bias, sampling: { ...bias.sampling, logitBias: new Map([[1000, 1]]) } })).rejects.toMatchObject({ param: 'logit_bias' });
    await expect(llm.generate(request({ constraint: { kind: 'grammar', gbnf: 'nonsense' } }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('renders chat messages with the fallback template', async () => {
    const { llm, instance } = make({ contextSize: 128, maxBatchTokens: 128 });
    await text(llm, request({ prompt: { kind: 'chat', messages: [{ role: 'user', content: 'hi' }] }, maxTokens: 1 }));
    const entry = instance.plans[0]!.entries[0]!;
    expect(entry.kind).toBe('prefill');
    expect(entry.kind === 'prefill' ? entry.tokens : []).toEqual(llm.tokenize('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n'));
  });

  it('detokenizes without splitting multibyte characters', () => {
    const { llm } = make();
    expect(llm.detokenize([2, 100, 101, 3])).toBe('aéb');
  });

  it('refuses new work while draining and reports stats', async () => {
    const { llm } = make();
    await text(llm, request({ maxTokens: 2 }));
    expect(llm.stats()).toMatchObject({ running: 0, generationTokensTotal: 2, requestsFinished: { length: 1 } });
    await llm.drain();
    await expect(llm.generate(request())).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
