/**
 * One request inside the continuous batcher: its prompt progress, generated tokens, text
 * assembly and the stop decisions (end-of-generation tokens, stop strings, max tokens, full
 * context). Decisions live here, not in the engine, so they are testable without a model.
 */
import { InferError } from '../errors.js';
import type { LlmVocabulary, SamplingParams, TokenSample } from '../../backends/backend.js';
import { LlmEventChannel } from './llm-event-channel.js';
import { LlmTextOutput } from './llm-text-output.js';

/** A request as the batcher takes it: tokenized and with every limit resolved. */
export interface SequenceRequest {
  readonly id: string;
  readonly promptTokens: readonly number[];
  readonly sampling: SamplingParams;
  /** Most tokens to generate (at least 1). */
  readonly maxTokens: number;
  readonly minTokens: number;
  readonly ignoreEos: boolean;
  readonly stop: readonly string[];
  /** Lower is served first. */
  readonly priority: number;
  readonly signal: AbortSignal;
}

/** Why the batcher ended a sequence. */
export type SequenceFinishReason = 'stop' | 'length';

/** What a sequence's consumer receives: one event per sampled token, then `finish`. */
export type SequenceEvent =
  | { readonly type: 'token'; readonly sample: TokenSample; readonly text: string }
  | {
      readonly type: 'finish';
      readonly reason: SequenceFinishReason;
      /** Text released at the end (held back for stop strings, or a UTF-8 tail). */
      readonly text: string;
      readonly promptTokens: number;
      readonly completionTokens: number;
      readonly cachedPromptTokens: number;
    };

/** Lifecycle: waiting → prefill → decode → finished. */
export type SequencePhase = 'waiting' | 'prefill' | 'decode' | 'finished';

/** Per-request state owned by the batcher. */
export class LlmSequence {
  phase: SequencePhase = 'waiting';
  slot = -1;
  /** Next prompt index to evaluate. */
  prefillPos = 0;
  cachedPromptTokens = 0;
  numGenerated = 0;
  /** The last sampled token: the next decode step evaluates it. */
  lastToken = -1;
  cancelled = false;
  readonly channel: LlmEventChannel<SequenceEvent>;
  private readonly text: LlmTextOutput;
  private readonly eog: ReadonlySet<number>;

  constructor(
    readonly request: SequenceRequest,
    private readonly vocabulary: LlmVocabulary,
    private readonly contextSize: number,
    onCancel: (seq: LlmSequence) => void,
  ) {
    this.channel = new LlmEventChannel(() => onCancel(this));
    this.text = new LlmTextOutput(request.stop);
    this.eog = new Set(vocabulary.eog);
  }

  /** True when the sequence's next sample must not be an end-of-generation token. */
  get banEog(): boolean {
    return !this.request.ignoreEos && this.numGenerated < this.request.minTokens;
  }

  /** Prompt tokens still to evaluate. */
  get prefillRemaining(): number {
    return this.request.promptTokens.length - this.prefillPos;
  }

  /** Records a sampled token and emits it; returns the finish reason when generation must end. */
  accept(sample: TokenSample): SequenceFinishReason | undefined {
    this.numGenerated++;
    this.lastToken = sample.token;
    if (!this.request.ignoreEos && this.eog.has(sample.token)) {
      this.channel.push({ type: 'token', sample, text: '' });
      return 'stop';
    }
    const { text, stopped } = this.text.push(this.vocabulary.piece(sample.token));
    this.channel.push({ type: 'token', sample, text });
    if (stopped) return 'stop';
    if (this.numGenerated >= this.request.maxTokens) return 'length';
    // NOTE: the next decode would evaluate lastToken at this position; a full context cannot take it.
    if (this.request.promptTokens.length + this.numGenerated >= this.contextSize) return 'length';
    return undefined;
  }

  /** Ends the stream normally. */
  finish(reason: SequenceFinishReason): void {
    this.phase = 'finished';
    this.channel.push({
      type: 'finish',
      reason,
      text: this.text.flush(),
      promptTokens: this.request.promptTokens.length,
      completionTokens: this.numGenerated,
      cachedPromptTokens: this.cachedPromptTokens,
    });
    this.channel.close();
  }

  /** Ends the stream with an error. */
  fail(err: InferError): void {
    this.phase = 'finished';
    this.channel.fail(err);
  }
}
