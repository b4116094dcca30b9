import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IterativeInstance, LoadedModel, SamplingParams } from '../backend.js';
import { encodeGguf, tinyLlamaGguf } from '../../formats/gguf/index.js';
import { llamaCppBackend } from './index.js';
import { llamaCppSettings } from './llamacpp-settings.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const greedy: SamplingParams = { temperature: 0, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logitBias: new Map() };
let dir: string;
let loaded: LoadedModel;
let instance: IterativeInstance;

async function load(name: string, bytes: Uint8Array | string, parameters: Record<string, string> = {}): Promise<LoadedModel> {
  const versionDir = join(dir, name, '1');
  await mkdir(versionDir, { recursive: true });
  await writeFile(join(versionDir, 'model.gguf'), bytes);
  const config = { name, backend: 'llamacpp', parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, { string_value: v }])) };
  return llamaCppBackend.loadModel({ config, modelDir: join(dir, name), versionDir, version: 1, autoCompleteConfig: true, log: silent });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llamacpp-'));
  loaded = await load('tiny', encodeGguf(tinyLlamaGguf({ seed: 21 })), { context_size: '128', max_sequences: '3', batch_size: '64' });
  instance = (await loaded.createInstance({ index: 0, groupName: 'g', device: 'cpu' })) as IterativeInstance;
});
afterAll(async () => {
  await instance?.dispose();
  await loaded?.unload();
  await rm(dir, { recursive: true, force: true });
});

/** Greedy tokens after `prompt` on `slot`, prefilling from `startPos`. */
async function greedyRun(slot: number, prompt: number[], steps: number, startPos = 0): Promise<number[]> {
  const out: number[] = [];
  let r = await instance.step({ entries: [{ kind: 'prefill', slot, startPos, tokens: prompt.slice(startPos), sampling: greedy, banEog: true }] });
  out.push(r.samples.get(slot)!.token);
  for (let i = 1; i < steps; i++) {
    r = await instance.step({ entries: [{ kind: 'decode', slot, banEog: true }] });
    out.push(r.samples.get(slot)!.token);
  }
  instance.finish(slot);
  return out;
}

describe('llamacpp backend', () => {
  it('completes the config to the LLM shape and reports its settings', () => {
    expect(loaded.config.model_transaction_policy).toEqual({ decoupled: true });
    expect(loaded.config.input?.map((i) => i.name)).toContain('text_input');
    expect(loaded.config.output?.map((o) => o.name)).toEqual(['text_output', 'finish_reason', 'num_input_tokens', 'num_output_tokens']);
    expect(loaded.config.parameters?.context_size?.string_value).toBe('128');
    expect(loaded.config.parameters?.prefill_chunk?.string_value).toBe('64');
    expect(instance).toMatchObject({ kind: 'iterative', maxSequences: 3, contextSize: 128, maxBatchTokens: 64, embeddingSize: 64 });
    expect(instance.vocabulary).toMatchObject({ bos: 1, eos: 2, addBos: true });
    expect(instance.vocabulary.eog).toContain(2);
  });

  it('is deterministic across slots, batched steps and reused prefixes', async () => {
    const prompt = [1, ...instance.tokenize('Once upon a time there was', false)];
    const fresh = await greedyRun(0, prompt, 8);
    expect(await greedyRun(1, prompt, 8)).toEqual(fresh);
    // Slot 0 still caches the prompt plus 7 generated tokens: reuse all but the last prompt token.
    expect(await greedyRun(0, prompt, 8, prompt.length - 1)).toEqual(fresh);
    const both = await instance.step({
      entries: [
        { kind: 'prefill', slot: 1, startPos: 0, tokens: prompt, sampling: greedy, banEog: true },
        { kind: 'prefill', slot: 2, startPos: 0, tokens: prompt, sampling: greedy, banEog: true },
      ],
    });
    expect([both.samples.get(1)!.token, both.samples.get(2)!.token]).toEqual([fresh[0], fresh[0]]);
    instance.finish(1);
    instance.finish(2);
  });

  it('evaluates chunked prompts like whole ones', async () => {
    const prompt = [1, ...instance.tokenize('The little dog ran to the park and saw a big red ball', false)];
    const whole = await greedyRun(0, prompt, 4);
    await instance.step({ entries: [{ kind: 'prefill', slot: 2, startPos: 0, tokens: prompt.slice(0, 5), banEog: false }] });
    const r = await instance.step({ entries: [{ kind: 'prefill', slot: 2, startPos: 5, tokens: prompt.slice(5), sampling: greedy, banEog: true }] });
    expect(r.samples.get(2)!.token).toBe(whole[0]);
    instance.finish(2);
  });

  it('bans end-of-generation tokens and applies logit bias', async () => {
    const prompt = [1, 2];
    const eos = instance.vocabulary.eos!;
    const forced = { ...greedy, logitBias: new Map([[eos, 100]]) };
    const free = await instance.step({ entries: [{ kind: 'prefill', slot: 0, startPos: 0, tokens: prompt, sampling: forced, banEog: false }] });
    expect(free.samples.get(0)!.token).toBe(eos);
    instance.finish(0);
    const banned = await instance.step({ entries: [{ kind: 'prefill', slot: 0, startPos: 0, tokens: prompt, sampling: forced, banEog: true }] });
    expect(banned.samples.get(0)!.token).not.toBe(eos);
    instance.finish(0);
  });

  it('reports log-probabilities when asked', async () => {
    const r = await instance.step({ entries: [{ kind: 'prefill', slot: 0, startPos: 0, tokens: [1, 5], sampling: { ...greedy, topLogprobs: 3 }, banEog: true }] });
    const s = r.samples.get(0)!;
    expect(s.top).toHaveLength(3);
    expect(s.top![0]!.token).toBe(s.token);
    expect(s.logprob).toBeCloseTo(s.top![0]!.logprob, 5);
    instance.finish(0);
  });

  it('compiles constraints and rejects broken grammars', async () => {
    await expect(instance.prepareConstraint({ kind: 'json_schema', schema: { type: 'object', properties: { a: { type: 'boolean' } } } })).resolves.toMatchObject({ trimTrailingWhitespace: true });
    await expect(instance.prepareConstraint({ kind: 'gbnf', grammar: 'root ::= missing' })).rejects.toThrow();
  });

  it('embeds token sequences', async () => {
    const v = await instance.embed([1, 5, 6]);
    expect(v).toHaveLength(64);
    expect(Array.from(v).every(Number.isFinite)).toBe(true);
  });

  it('rejects files that are not valid GGUF before llama.cpp sees them', async () => {
    await expect(load('junk', 'not a model')).rejects.toThrow(/bad magic/);
    const truncated = encodeGguf(tinyLlamaGguf({ seed: 1 })).subarray(0, 5000);
    await expect(load('short', truncated)).rejects.toThrow(/beyond the end|truncated|ends/);
  });
});

describe('llamaCppSettings', () => {
  const cfg = (p: Record<string, string>) => ({ name: 'x', parameters: Object.fromEntries(Object.entries(p).map(([k, v]) => [k, { string_value: v }])) });
  it('has defaults and reads every parameter', () => {
    expect(llamaCppSettings(cfg({}))).toMatchObject({ maxSequences: 4, batchSize: 512, prefillChunk: 256, threads: 1, gpuLayers: 'auto', gpu: 'auto', embedding: false, ownedBy: 'inferd' });
    expect(llamaCppSettings(cfg({ context_size: '1024', max_sequences: '8', batch_size: '256', threads: '2', gpu_layers: '0', gpu: 'false', embedding: 'true', prefill_chunk: '64' }))).toMatchObject({
      contextSize: 1024, maxSequences: 8, batchSize: 256, threads: 2, gpuLayers: 0, gpu: false, embedding: true, prefillChunk: 64,
    });
  });
  it('names bad parameters', () => {
    expect(() => llamaCppSettings(cfg({ threads: 'two' }))).toThrow(/threads/);
    expect(() => llamaCppSettings(cfg({ gpu_layers: '-1' }))).toThrow(/gpu_layers/);
    expect(() => llamaCppSettings(cfg({ max_sequences: '8', batch_size: '4' }))).toThrow(/cannot exceed/);
    expect(() => llamaCppSettings(cfg({ embedding: 'maybe' }))).toThrow(/embedding/);
  });
});
