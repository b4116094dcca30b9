/**
 * A deterministic stand-in for an LLM engine, for scheduler tests: it keeps each slot's KV
 * contents, checks the batcher's plans against them (positions, budget, one entry per slot) and
 * "samples" with a pure function of the evaluated tokens. Token 0 is end-of-generation, 1 is
 * BOS, 2..27 are the letters a..z, 100/101 are the two bytes of "é" and 102 is a lone 0x80 byte.
 */
import type { ConstraintInfo, IterativeInstance, LlmVocabulary, SamplingConstraint, StepPlan, StepResult, TokenSample } from '../../src/backends/backend.js';

/** Picks the next token from everything the slot has evaluated. */
export type FakeSampler = (evaluated: readonly number[]) => number;

/** Tokens for text made of a..z (no BOS). */
export function letters(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0) - 97 + 2);
}

/** The default sampler: the letter after the last evaluated one, wrapping z → a. */
export const nextLetter: FakeSampler = (evaluated) => {
  const last = evaluated[evaluated.length - 1] ?? 1;
  return last >= 2 && last < 27 ? last + 1 : 2;
};

const PIECES = new Map<number, Uint8Array>([
  [100, Uint8Array.of(0xc3)],
  [101, Uint8Array.of(0xa9)],
  [102, Uint8Array.of(0x80)],
]);

/** The fake vocabulary. */
export const fakeVocabulary: LlmVocabulary = {
  size: 128,
  bos: 1,
  eos: 0,
  eog: [0],
  addBos: true,
  piece: (t) => PIECES.get(t) ?? (t >= 2 && t <= 27 ? Uint8Array.of(95 + t) : new Uint8Array()),
  text: (t) => (t === 0 ? '</s>' : t === 1 ? '<s>' : String.fromCharCode(95 + t)),
};

/** Options of the fake. */
export interface FakeInstanceOptions {
  readonly maxSequences?: number;
  readonly contextSize?: number;
  readonly maxBatchTokens?: number;
  readonly sampler?: FakeSampler;
  /** Milliseconds each step takes (a timer, so the event loop keeps running). */
  readonly stepMs?: number;
}

/** The fake engine; `plans` records every step it ran. */
export class FakeIterativeInstance implements IterativeInstance {
  readonly kind = 'iterative' as const;
  readonly maxSequences: number;
  readonly contextSize: number;
  readonly maxBatchTokens: number;
  readonly vocabulary = fakeVocabulary;
  readonly embeddingSize = 0;
  readonly plans: StepPlan[] = [];
  /** Tokens evaluated into each slot (its KV cache). */
  readonly kv: number[][];
  /** Slots with a generation running (started by a final prefill, ended by finish). */
  readonly generating = new Set<number>();
  readonly finished: number[] = [];
  failNextStep?: Error;
  private readonly sampler: FakeSampler;
  private readonly stepMs: number;
  private readonly pendingToken = new Map<number, number>();
  private inFlight = false;

  constructor(options: FakeInstanceOptions = {}) {
    this.maxSequences = options.maxSequences ?? 4;
    this.contextSize = options.contextSize ?? 64;
    this.maxBatchTokens = options.maxBatchTokens ?? 32;
    this.sampler = options.sampler ?? nextLetter;
    this.stepMs = options.stepMs ?? 0;
    this.kv = Array.from({ length: this.maxSequences }, () => []);
  }

  tokenize(text: string): number[] {
    return letters(text.toLowerCase().replace(/[^a-z]/g, ''));
  }

  async prepareConstraint(constraint: SamplingConstraint): Promise<ConstraintInfo> {
    if (constraint.kind === 'gbnf' && !constraint.grammar.includes('::=')) throw new Error('grammar has no rules');
    return { stop: [], trimTrailingWhitespace: false };
  }

  async step(plan: StepPlan): Promise<StepResult> {
    if (this.inFlight) throw new Error('two steps in flight');
    this.inFlight = true;
    try {
      this.plans.push(plan);
      await new Promise((resolve) => (this.stepMs > 0 ? setTimeout(resolve, this.stepMs) : setImmediate(resolve)));
      if (this.failNextStep) {
        const err = this.failNextStep;
        this.failNextStep = undefined;
        throw err;
      }
      const total = plan.entries.reduce((n, e) => n + (e.kind === 'prefill' ? e.tokens.length : 1), 0);
      if (total > this.maxBatchTokens) throw new Error(`plan has ${total} tokens, budget ${this.maxBatchTokens}`);
      const slots = plan.entries.map((e) => e.slot);
      if (new Set(slots).size !== slots.length) throw new Error('a slot appears twice in one plan');
      const samples = new Map<number, TokenSample>();
      for (const entry of plan.entries) {
        const kv = this.kv[entry.slot]!;
        if (entry.kind === 'prefill') {
          if (this.generating.has(entry.slot)) throw new Error(`prefill on generating slot ${entry.slot}`);
          if (entry.startPos > kv.length) throw new Error(`prefill at ${entry.startPos} beyond cached ${kv.length}`);
          kv.length = entry.startPos;
          kv.push(...entry.tokens);
          if (!entry.sampling) continue;
          this.generating.add(entry.slot);
        } else {
          if (!this.generating.has(entry.slot)) throw new Error(`decode on idle slot ${entry.slot}`);
          kv.push(this.pendingToken.get(entry.slot)!);
        }
        if (kv.length > this.contextSize) throw new Error('context overflow');
        let token = this.sampler(kv);
        if (entry.banEog && token === 0) token = 2;
        this.pendingToken.set(entry.slot, token);
        samples.set(entry.slot, { token, logprob: -0.5, top: [{ token, logprob: -0.5 }] });
      }
      return { samples };
    } finally {
      this.inFlight = false;
    }
  }

  finish(slot: number): void {
    this.generating.delete(slot);
    this.pendingToken.delete(slot);
    this.finished.push(slot);
  }

  async embed(): Promise<Float32Array> {
    throw new Error('no embeddings');
  }

  async dispose(): Promise<void> {}
}
