/**
 * One llamacpp instance: a llama.cpp context with N sequences driven by the core's continuous
 * batcher. A step starts every entry's evaluation in the same tick, so node-llama-cpp gathers
 * them into one batch and one `llama_decode` call (its dispatch runs on the next event-loop
 * turn); the token budget the batcher keeps equals the context's batch size, so a step never
 * spills into a second decode. Generations are node-llama-cpp evaluation generators: each
 * `next()` evaluates the previous sample and samples the next token.
 */
import type { LlamaContext, LlamaContextSequence, LlamaEmbeddingContext, LlamaModel, SequenceEvaluateOutput, Token } from 'node-llama-cpp';
import type {
  ConstraintInfo,
  IterativeInstance,
  LlmVocabulary,
  SamplingConstraint,
  SamplingParams,
  StepEntry,
  StepPlan,
  StepResult,
  TokenSample,
} from '../backend.js';
import type { ConstraintCache } from './constraint-cache.js';
import type { LlamaCppSettings } from './llamacpp-settings.js';
import { evaluateOptions } from './sampling-options.js';

type Output = SequenceEvaluateOutput<{ readonly confidence: true; readonly probabilities: true }>;
type Generation = AsyncGenerator<Partial<Output> & { token: number }, void, void>;

/** What an instance is built from. */
export interface LlamaCppInstanceOptions {
  readonly model: LlamaModel;
  readonly settings: LlamaCppSettings;
  readonly contextSize: number;
  readonly vocabulary: LlmVocabulary;
  readonly constraints: ConstraintCache;
}

function toSample(output: Partial<Output> & { token: number }, topLogprobs: number | undefined): TokenSample {
  if (topLogprobs === undefined) return { token: output.token };
  const top: { token: number; logprob: number }[] = [];
  if (output.probabilities) {
    for (const [token, p] of output.probabilities) {
      if (top.length >= topLogprobs) break;
      top.push({ token, logprob: Math.log(p) });
    }
  }
  const p = output.confidence ?? output.probabilities?.get(output.token);
  return { token: output.token, logprob: p === undefined ? 0 : Math.log(p), top };
}

/** Adapts node-llama-cpp's plain token generator (cheaper per token than the metadata one) to the Generation shape. */
async function* tokensOnly(tokens: AsyncGenerator<Token, void, void>): Generation {
  try {
    for (;;) {
      const next = await tokens.next();
      if (next.done) return;
      yield { token: next.value };
    }
  } finally {
    await tokens.return();
  }
}

/** The llamacpp IterativeInstance. */
export class LlamaCppInstance implements IterativeInstance {
  readonly kind = 'iterative' as const;
  readonly maxSequences: number;
  readonly contextSize: number;
  readonly maxBatchTokens: number;
  readonly vocabulary: LlmVocabulary;
  readonly embeddingSize: number;
  private readonly generations: (Generation | undefined)[];
  private readonly topLogprobs: (number | undefined)[];
  private readonly banEog: boolean[];
  private embedding?: Promise<LlamaEmbeddingContext>;

  private constructor(
    private readonly options: LlamaCppInstanceOptions,
    private readonly context: LlamaContext | undefined,
    private readonly sequences: readonly LlamaContextSequence[],
  ) {
    this.maxSequences = sequences.length;
    this.contextSize = options.contextSize;
    this.maxBatchTokens = context?.batchSize ?? options.settings.batchSize;
    this.vocabulary = options.vocabulary;
    this.embeddingSize = options.model.embeddingVectorSize;
    this.generations = sequences.map(() => undefined);
    this.topLogprobs = sequences.map(() => undefined);
    this.banEog = sequences.map(() => false);
  }

  /** Creates the context (none for embedding-only models, which get 0 sequences). */
  static async create(options: LlamaCppInstanceOptions): Promise<LlamaCppInstance> {
    if (options.settings.embedding) return new LlamaCppInstance(options, undefined, []);
    const { settings } = options;
    const context = await options.model.createContext({
      contextSize: options.contextSize,
      sequences: settings.maxSequences,
      batchSize: settings.batchSize,
      threads: settings.threads,
      failedCreationRemedy: false,
    });
    const sequences = Array.from({ length: settings.maxSequences }, () => context.getSequence());
    return new LlamaCppInstance(options, context, sequences);
  }

  tokenize(text: string, special: boolean): number[] {
    return Array.from(this.options.model.tokenize(text, special));
  }

  prepareConstraint(constraint: SamplingConstraint): Promise<ConstraintInfo> {
    return this.options.constraints.prepare(constraint);
  }

  async step(plan: StepPlan): Promise<StepResult> {
    // NOTE: truncations take the context lock, so they finish before any evaluation is queued.
    await Promise.all(plan.entries.map((e) => this.truncate(e)));
    const grammars = await Promise.all(plan.entries.map((e) => this.grammarFor(e)));
    const outputs = await Promise.all(plan.entries.map((e, i) => this.evaluate(e, grammars[i])));
    const samples = new Map<number, TokenSample>();
    plan.entries.forEach((e, i) => {
      const sample = outputs[i];
      if (sample) samples.set(e.slot, sample);
    });
    return { samples };
  }

  private async truncate(entry: StepEntry): Promise<void> {
    if (entry.kind !== 'prefill') return;
    const seq = this.sequences[entry.slot]!;
    if (entry.startPos < seq.nextTokenIndex) await seq.eraseContextTokenRanges([{ start: entry.startPos, end: seq.nextTokenIndex }]);
    if (seq.nextTokenIndex !== entry.startPos) throw new Error(`slot ${entry.slot} holds ${seq.nextTokenIndex} tokens, the plan expects ${entry.startPos}`);
  }

  private grammarFor(entry: StepEntry) {
    if (entry.kind !== 'prefill' || !entry.sampling?.constraint) return undefined;
    return this.options.constraints.newState(entry.sampling.constraint);
  }

  private async evaluate(entry: StepEntry, grammar: Awaited<ReturnType<LlamaCppInstance['grammarFor']>>): Promise<TokenSample | undefined> {
    const slot = entry.slot;
    this.banEog[slot] = entry.banEog;
    if (entry.kind === 'decode') return this.next(slot);
    const seq = this.sequences[slot]!;
    if (!entry.sampling) {
      await seq.evaluateWithoutGeneratingNewTokens(entry.tokens as Token[]);
      return undefined;
    }
    this.generations[slot] = this.startGeneration(slot, entry.tokens, entry.sampling, grammar);
    this.topLogprobs[slot] = entry.sampling.topLogprobs;
    return this.next(slot);
  }

  private startGeneration(slot: number, tokens: readonly number[], params: SamplingParams, grammar: Awaited<ReturnType<LlamaCppInstance['grammarFor']>>): Generation {
    const seq = this.sequences[slot]!;
    const options = evaluateOptions(params, {
      model: this.options.model,
      sequence: seq,
      eog: this.vocabulary.eog,
      ...(grammar ? { grammar } : {}),
      banEog: () => this.banEog[slot]!,
    });
    if (params.topLogprobs === undefined) return tokensOnly(seq.evaluate([...tokens] as Token[], options));
    const wantTop = params.topLogprobs > 0;
    const metadata = { confidence: true, probabilities: wantTop } as const;
    return seq.evaluateWithMetadata([...tokens] as Token[], metadata, options) as unknown as Generation;
  }

  private async next(slot: number): Promise<TokenSample> {
    const gen = this.generations[slot];
    if (!gen) throw new Error(`slot ${slot} has no generation running`);
    const result = await gen.next();
    if (result.done) throw new Error(`generation on slot ${slot} ended unexpectedly`);
    return toSample(result.value, this.topLogprobs[slot]);
  }

  finish(slot: number): void {
    const gen = this.generations[slot];
    this.generations[slot] = undefined;
    this.banEog[slot] = false;
    if (gen) void gen.return().catch(() => undefined);
  }

  async embed(tokens: readonly number[]): Promise<Float32Array> {
    if (!this.embedding) {
      this.embedding = this.options.model.createEmbeddingContext({
        contextSize: this.contextSize,
        batchSize: Math.max(this.options.settings.batchSize, this.contextSize),
        threads: this.options.settings.threads,
      });
      this.embedding.catch(() => (this.embedding = undefined));
    }
    const ctx = await this.embedding;
    const result = await ctx.getEmbeddingFor([...tokens] as Token[]);
    return Float32Array.from(result.vector);
  }

  async dispose(): Promise<void> {
    for (let slot = 0; slot < this.generations.length; slot++) this.finish(slot);
    const embedding = this.embedding;
    this.embedding = undefined;
    if (embedding) await (await embedding.catch(() => undefined))?.dispose();
    await this.context?.dispose();
  }
}
