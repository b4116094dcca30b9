import { afterEach, describe, expect, it } from 'vitest';
import type { SamplingParams } from '../../backends/backend.js';
import { InferError } from '../errors.js';
import { ContinuousBatcher } from './continuous-batcher.js';
import type { SequenceEvent, SequenceRequest } from './llm-sequence.js';
import { FakeIterativeInstance, letters, type FakeInstanceOptions } from '../../../test/llm/fake-iterative-instance.js';

const sampling: SamplingParams = {
  temperature: 0, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logitBias: new Map(),
};
const silentLog = { debug() {}, info() {}, warn() {}, error() {} };

function request(prompt: number[], over: Partial<SequenceRequest> = {}): SequenceRequest {
  return { id: 'r', promptTokens: prompt, sampling, maxTokens: 5, minTokens: 0, ignoreEos: false, stop: [], priority: 0, signal: new AbortController().signal, ...over };
}

async function collect(stream: AsyncIterable<SequenceEvent>): Promise<{ text: string; reason?: string; tokens: number[]; finish?: Extract<SequenceEvent, { type: 'finish' }> }> {
  let text = '';
  const tokens: number[] = [];
  let finish: Extract<SequenceEvent, { type: 'finish' }> | undefined;
  for await (const e of stream) {
    text += e.text;
    if (e.type === 'token') tokens.push(e.sample.token);
    else finish = e;
  }
  return { text, reason: finish?.reason, tokens, finish };
}

let batcher: ContinuousBatcher | undefined;
afterEach(async () => {
  await batcher?.close();
  batcher = undefined;
});

function setup(options: FakeInstanceOptions = {}, maxQueue = 16, maxPrefillChunk?: number): FakeIterativeInstance {
  const instance = new FakeIterativeInstance(options);
  batcher = new ContinuousBatcher({ instances: [instance], maxQueue, log: silentLog, ...(maxPrefillChunk ? { maxPrefillChunk } : {}) });
  return instance;
}

describe('ContinuousBatcher stop decisions', () => {
  it('generates up to max tokens and reports length with exact usage', async () => {
    setup();
    const out = await collect(batcher!.submit(request([1, ...letters('abc')], { maxTokens: 4 })));
    expect(out.text).toBe('defg');
    expect(out.reason).toBe('length');
    expect(out.finish).toMatchObject({ promptTokens: 4, completionTokens: 4, cachedPromptTokens: 0 });
  });

  it('stops on an end-of-generation token and counts it', async () => {
    setup({ sampler: (kv) => (kv.length >= 6 ? 0 : 2 + (kv.length % 26)) });
    const out = await collect(batcher!.submit(request([1, 2, 3], { maxTokens: 20 })));
    expect(out.reason).toBe('stop');
    expect(out.tokens[out.tokens.length - 1]).toBe(0);
    expect(out.finish!.completionTokens).toBe(out.tokens.length);
  });

  it('cuts output before a stop string that spans tokens and never sends it', async () => {
    setup();
    const stream = batcher!.submit(request([1, ...letters('b')], { maxTokens: 10, stop: ['ef', 'zz'] }));
    const events: SequenceEvent[] = [];
    for await (const e of stream) events.push(e);
    expect(events.map((e) => e.text).join('')).toBe('cd');
    expect(events.some((e) => e.text.includes('e'))).toBe(false);
    expect(events[events.length - 1]).toMatchObject({ type: 'finish', reason: 'stop' });
  });

  it('never splits a multibyte character and survives lone invalid bytes', async () => {
    const script = [100, 101, 102, 100];
    setup({ sampler: (kv) => script[kv.length - 2] ?? 2 });
    const events: SequenceEvent[] = [];
    for await (const e of batcher!.submit(request([1, 2], { maxTokens: 4 }))) events.push(e);
    // 0x80 can never start a character, so it is replaced at once; the final lead byte at flush.
    expect(events.map((e) => e.text)).toEqual(['', 'é', '\uFFFD', '', '\uFFFD']);
  });

  it('bans end-of-generation until min tokens, and ignores it with ignore_eos', async () => {
    setup({ sampler: () => 0 });
    const min = await collect(batcher!.submit(request([1, 2], { maxTokens: 10, minTokens: 3 })));
    expect(min.tokens).toEqual([2, 2, 2, 0]);
    const ignore = await collect(batcher!.submit(request([1, 2], { maxTokens: 3, ignoreEos: true })));
    expect(ignore.tokens).toEqual([0, 0, 0]);
    expect(ignore.reason).toBe('length');
  });

  it('rejects prompts that do not fit the context', () => {
    setup({ contextSize: 8 });
    expect(() => batcher!.submit(request([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/context holds 8/);
  });
});

describe('ContinuousBatcher scheduling', () => {
  it('batches all running sequences into one decode step and lets new requests join', async () => {
    const inst = setup({ maxSequences: 4, stepMs: 2 });
    const first = collect(batcher!.submit(request([1, 2], { maxTokens: 8 })));
    await new Promise((r) => setTimeout(r, 7));
    const second = collect(batcher!.submit(request([1, 3], { maxTokens: 3 })));
    await Promise.all([first, second]);
    const mixed = inst.plans.find((p) => p.entries.some((e) => e.kind === 'decode') && p.entries.some((e) => e.kind === 'prefill'));
    expect(mixed).toBeDefined();
    const both = inst.plans.filter((p) => p.entries.filter((e) => e.kind === 'decode').length === 2);
    expect(both.length).toBeGreaterThan(0);
  });

  it('chunks a long prompt so running streams decode in every step', async () => {
    const inst = setup({ maxSequences: 2, maxBatchTokens: 8, contextSize: 128 });
    const running = batcher!.submit(request([1, 2], { maxTokens: 30 }));
    const it = running[Symbol.asyncIterator]();
    await it.next();
    const before = inst.plans.length;
    const long = collect(batcher!.submit(request([1, ...Array.from({ length: 40 }, (_, i) => 2 + (i % 26))], { maxTokens: 2 })));
    await long;
    const withLong = inst.plans.slice(before).filter((p) => p.entries.some((e) => e.kind === 'prefill'));
    expect(withLong.length).toBeGreaterThanOrEqual(5);
    for (const plan of withLong) {
      expect(plan.entries.some((e) => e.kind === 'decode')).toBe(true);
      expect(plan.entries.reduce((n, e) => n + (e.kind === 'prefill' ? e.tokens.length : 1), 0)).toBeLessThanOrEqual(8);
    }
    await it.return!();
  });

  it('limits each prompt chunk to maxPrefillChunk', async () => {
    const inst = setup({ maxBatchTokens: 32, contextSize: 128 }, 16, 5);
    await collect(batcher!.submit(request([1, ...letters('abcdefghijkl')], { maxTokens: 1 })));
    expect(inst.plans.map((p) => (p.entries[0]!.kind === 'prefill' ? p.entries[0]!.tokens.length : 0))).toEqual([5, 5, 3]);
  });

  it('answers RATE_LIMITED when the waiting queue is full', async () => {
    setup({ maxSequences: 1, stepMs: 5 }, 1);
    const a = batcher!.submit(request([1, 2], { maxTokens: 3 }));
    await new Promise((r) => setTimeout(r, 1));
    const b = batcher!.submit(request([1, 2], { maxTokens: 3 }));
    let error: unknown;
    try {
      batcher!.submit(request([1, 2]));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InferError);
    expect((error as InferError).code).toBe('RATE_LIMITED');
    await Promise.all([collect(a), collect(b)]);
  });

  it('serves lower priority values first and FCFS within a priority', async () => {
    setup({ maxSequences: 1, stepMs: 1 });
    const order: string[] = [];
    const run = (name: string, priority: number) =>
      collect(batcher!.submit(request([1, 2], { maxTokens: 2, priority }))).then(() => order.push(name));
    const busy = run('busy', 0);
    await new Promise((r) => setTimeout(r, 3));
    await Promise.all([run('low-1', 5), run('high-1', -1), run('low-2', 5), run('high-2', -1), busy]);
    expect(order).toEqual(['busy', 'high-1', 'high-2', 'low-1', 'low-2']);
  });
});

describe('ContinuousBatcher cancellation', () => {
  it('frees the slot within one step when the signal aborts', async () => {
    const inst = setup({ stepMs: 2 });
    const ctl = new AbortController();
    const stream = batcher!.submit(request([1, 2], { maxTokens: 50, signal: ctl.signal }));
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    ctl.abort();
    const stepsAtAbort = inst.plans.length;
    await expect((async () => { for (;;) { const r = await it.next(); if (r.done) return; } })()).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(inst.finished).toContain(0);
    expect(inst.plans.length - stepsAtAbort).toBeLessThanOrEqual(1);
    expect(batcher!.snapshot()).toMatchObject({ running: 0, finished: { aborted: 1 } });
  });

  it('frees the slot when the consumer stops reading', async () => {
    const inst = setup({ stepMs: 1 });
    for await (const e of batcher!.submit(request([1, 2], { maxTokens: 50 }))) {
      if (e.type === 'token') break;
    }
    await new Promise((r) => setTimeout(r, 10));
    expect(inst.finished).toEqual([0]);
    expect(batcher!.snapshot().running).toBe(0);
  });

  it('drops a waiting request at once when it is cancelled', async () => {
    setup({ maxSequences: 1, stepMs: 5 });
    const busy = collect(batcher!.submit(request([1, 2], { maxTokens: 3 })));
    await new Promise((r) => setTimeout(r, 1));
    const ctl = new AbortController();
    const waiting = collect(batcher!.submit(request([1, 2], { signal: ctl.signal })));
    expect(batcher!.snapshot().waiting).toBe(1);
    ctl.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(batcher!.snapshot().waiting).toBe(0);
    await busy;
  });
});

describe('ContinuousBatcher prefix reuse and failures', () => {
  it('reuses the KV cache of a free slot that holds the prompt prefix', async () => {
    const inst = setup({ maxSequences: 2 });
    const system = [1, ...letters('systemprompt')];
    await collect(batcher!.submit(request([...system, ...letters('aa')], { maxTokens: 2 })));
    const second = await collect(batcher!.submit(request([...system, ...letters('bb')], { maxTokens: 2 })));
    expect(second.finish!.cachedPromptTokens).toBe(system.length);
    const prefill = inst.plans.filter((p) => p.entries.some((e) => e.kind === 'prefill')).at(-1)!.entries[0]!;
    expect(prefill).toMatchObject({ kind: 'prefill', slot: 0, startPos: system.length, tokens: letters('bb') });
    const same = await collect(batcher!.submit(request([...system, ...letters('bb')], { maxTokens: 2 })));
    expect(same.finish!.cachedPromptTokens).toBe(system.length + 1);
    expect(same.text).toBe(second.text);
    expect(batcher!.snapshot()).toMatchObject({ prefixCacheHits: 2 });
  });

  it('fails the requests of a failed step, forgets their cache and keeps serving', async () => {
    const inst = setup();
    inst.failNextStep = new Error('decode failed');
    await expect(collect(batcher!.submit(request([1, 2, 3])))).rejects.toMatchObject({ code: 'INTERNAL' });
    const ok = await collect(batcher!.submit(request([1, 2, 3], { maxTokens: 2 })));
    expect(ok.finish!.cachedPromptTokens).toBe(0);
    expect(ok.text).toBe('cd');
  });

  it('drains: refuses new work and resolves after running requests finish', async () => {
    setup({ stepMs: 1 });
    const running = collect(batcher!.submit(request([1, 2], { maxTokens: 5 })));
    const drained = batcher!.drain();
    expect(() => batcher!.submit(request([1, 2]))).toThrow(/shutting down/);
    await drained;
    expect((await running).reason).toBe('length');
  });
});
