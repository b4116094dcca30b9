/**
 * Continuous batching for LLMs, owned by inferd (vLLM v1 / TGI shape). Each instance (one engine
 * context with N KV-cache slots) runs its own loop; one iteration is one forward pass:
 *
 *   schedule: running decodes first (one token each), then prompt chunks of sequences still in
 *             prefill, then new requests from the waiting queue while a slot is free, all within
 *             the instance's token budget, so a long prompt is chunked and never freezes streams;
 *   execute:  the instance evaluates the plan and samples;
 *   update:   tokens are appended, stop decisions made, events emitted, finished slots freed.
 *
 * The waiting queue is bounded (RATE_LIMITED when full) and ordered by priority, FCFS within one.
 * A cancelled request (signal aborted or consumer gone) leaves the queue at once, or frees its
 * slot before the next step. A new request reuses the free slot whose KV cache shares the longest
 * prefix with its prompt.
 */
import type { BackendLogger, IterativeInstance, StepEntry, StepResult } from '../../backends/backend.js';
import { InferError, toInferError } from '../errors.js';
import { LlmSlotTable } from './llm-slot-table.js';
import { LlmSequence, type SequenceEvent, type SequenceFinishReason, type SequenceRequest } from './llm-sequence.js';
import { LlmWaitingQueue } from './llm-waiting-queue.js';

/** Options of a batcher; every budget is explicit. */
export interface ContinuousBatcherOptions {
  readonly instances: readonly IterativeInstance[];
  /** Waiting requests beyond which `submit` answers RATE_LIMITED. */
  readonly maxQueue: number;
  /** Most prompt tokens one sequence evaluates per step; defaults to the instance's batch budget. */
  readonly maxPrefillChunk?: number;
  readonly log: BackendLogger;
}

/** Counters the batcher keeps (monotonic except the gauges). */
export interface BatcherStats {
  readonly running: number;
  readonly waiting: number;
  readonly maxSequences: number;
  readonly maxQueue: number;
  readonly usedCells: number;
  readonly totalCells: number;
  readonly prefixCacheHits: number;
  readonly prefixCachedTokens: number;
  readonly promptTokensTotal: number;
  readonly generationTokensTotal: number;
  readonly finished: Readonly<Record<SequenceFinishReason | 'aborted' | 'error', number>>;
  readonly steps: number;
}

interface MutableStats {
  prefixCacheHits: number;
  prefixCachedTokens: number;
  promptTokensTotal: number;
  generationTokensTotal: number;
  finished: Record<SequenceFinishReason | 'aborted' | 'error', number>;
  steps: number;
}

/** A plan plus the sequence behind each entry. */
interface ScheduledStep {
  readonly entries: StepEntry[];
  readonly sequences: LlmSequence[];
}

/** The shared state engines schedule from. */
interface BatcherCore {
  readonly queue: LlmWaitingQueue<LlmSequence>;
  readonly stats: MutableStats;
  readonly log: BackendLogger;
  readonly maxPrefillChunk?: number;
  onIdle(): void;
}

/** The loop of one instance. */
class EngineLoop {
  readonly slots: LlmSlotTable;
  readonly running: LlmSequence[] = [];
  private wakeup?: () => void;
  /** A wake that arrived while the loop was busy; the next idle() returns at once. */
  private woken = false;
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    readonly instance: IterativeInstance,
    private readonly core: BatcherCore,
  ) {
    this.slots = new LlmSlotTable(instance.maxSequences);
  }

  start(): void {
    this.done = this.run().catch((err: unknown) => this.core.log.error('llm engine loop crashed', { err: String(err) }));
  }

  /** Resolves when the loop has exited after `stop()`. */
  stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    return this.done;
  }

  wake(): void {
    const w = this.wakeup;
    this.wakeup = undefined;
    if (w) w();
    else this.woken = true;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!(await this.step())) await this.idle();
    }
  }

  /** One iteration: schedule → execute → update. Resolves false when there was nothing to do. */
  private async step(): Promise<boolean> {
    this.woken = false;
    this.reapCancelled();
    const plan = this.schedule();
    if (plan.entries.length === 0) return false;
    const result = await this.execute(plan);
    if (result) this.update(plan, result);
    return true;
  }

  private idle(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    this.core.onIdle();
    return new Promise((resolve) => {
      this.wakeup = resolve;
    });
  }

  /** Frees the slots of running sequences whose client went away. */
  private reapCancelled(): void {
    for (const seq of [...this.running]) {
      if (!seq.cancelled) continue;
      this.release(seq);
      seq.fail(new InferError('CANCELLED', 'request cancelled'));
      this.core.stats.finished.aborted++;
    }
  }

  private schedule(): ScheduledStep {
    const step: ScheduledStep = { entries: [], sequences: [] };
    let budget = this.instance.maxBatchTokens;
    for (const seq of this.running) {
      if (seq.phase !== 'decode') continue;
      step.entries.push({ kind: 'decode', slot: seq.slot, banEog: seq.banEog });
      step.sequences.push(seq);
      budget--;
    }
    for (const seq of this.running) {
      if (seq.phase === 'prefill' && budget > 0) budget -= this.addPrefillChunk(step, seq, budget);
    }
    while (budget > 0 && this.slots.numFree > 0) {
      const seq = this.core.queue.shift();
      if (!seq) break;
      this.admit(seq);
      budget -= this.addPrefillChunk(step, seq, budget);
    }
    return step;
  }

  private admit(seq: LlmSequence): void {
    const choice = this.slots.acquire(seq.request.promptTokens)!;
    seq.slot = choice.slot;
    seq.prefillPos = choice.reused;
    seq.cachedPromptTokens = choice.reused;
    seq.phase = 'prefill';
    this.running.push(seq);
    const stats = this.core.stats;
    stats.promptTokensTotal += seq.request.promptTokens.length;
    if (choice.reused > 0) {
      stats.prefixCacheHits++;
      stats.prefixCachedTokens += choice.reused;
    }
  }

  /** Adds the sequence's next prompt chunk (at most `budget` tokens); returns its length. */
  private addPrefillChunk(step: ScheduledStep, seq: LlmSequence, budget: number): number {
    const n = Math.min(seq.prefillRemaining, budget, this.core.maxPrefillChunk ?? Infinity);
    const start = seq.prefillPos;
    const tokens = seq.request.promptTokens.slice(start, start + n);
    const last = start + n === seq.request.promptTokens.length;
    step.entries.push({
      kind: 'prefill',
      slot: seq.slot,
      startPos: start,
      tokens,
      banEog: seq.banEog,
      ...(last ? { sampling: seq.request.sampling } : {}),
    });
    step.sequences.push(seq);
    return n;
  }

  private async execute(step: ScheduledStep): Promise<StepResult | undefined> {
    this.core.stats.steps++;
    try {
      return await this.instance.step({ entries: step.entries });
    } catch (err) {
      this.core.log.error('llm step failed', { err: String(err) });
      const failure = toInferError(err);
      for (const seq of step.sequences) {
        this.release(seq, true);
        seq.fail(failure);
        this.core.stats.finished.error++;
      }
      return undefined;
    }
  }

  private update(step: ScheduledStep, result: StepResult): void {
    step.entries.forEach((entry, i) => {
      const seq = step.sequences[i]!;
      if (entry.kind === 'prefill') {
        this.slots.append(seq.slot, entry.tokens);
        seq.prefillPos += entry.tokens.length;
        if (!entry.sampling) return;
        seq.phase = 'decode';
      } else {
        this.slots.append(seq.slot, [seq.lastToken]);
      }
      if (seq.cancelled) return;
      const sample = result.samples.get(seq.slot);
      if (!sample) return this.failOne(seq, new InferError('INTERNAL', `engine returned no token for slot ${seq.slot}`));
      this.core.stats.generationTokensTotal++;
      const reason = seq.accept(sample);
      if (reason) this.finishOne(seq, reason);
    });
  }

  private finishOne(seq: LlmSequence, reason: SequenceFinishReason): void {
    this.release(seq);
    seq.finish(reason);
    this.core.stats.finished[reason]++;
  }

  private failOne(seq: LlmSequence, err: InferError): void {
    this.release(seq, true);
    seq.fail(err);
    this.core.stats.finished.error++;
  }

  private release(seq: LlmSequence, discard = false): void {
    const index = this.running.indexOf(seq);
    if (index < 0) return;
    this.running.splice(index, 1);
    this.instance.finish(seq.slot);
    if (discard) this.slots.discard(seq.slot);
    else this.slots.release(seq.slot);
  }

  /** Aborts every running sequence (shutdown). */
  abortAll(err: InferError): void {
    for (const seq of [...this.running]) {
      this.release(seq);
      seq.fail(err);
    }
  }
}

/** The continuous batcher of one LLM model version. */
export class ContinuousBatcher {
  private readonly queue: LlmWaitingQueue<LlmSequence>;
  private readonly engines: EngineLoop[];
  private readonly stats: MutableStats = {
    prefixCacheHits: 0,
    prefixCachedTokens: 0,
    promptTokensTotal: 0,
    generationTokensTotal: 0,
    finished: { stop: 0, length: 0, aborted: 0, error: 0 },
    steps: 0,
  };
  private draining = false;
  private closed = false;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly options: ContinuousBatcherOptions) {
    if (options.instances.length === 0) throw new Error('a continuous batcher needs at least one instance');
    for (const inst of options.instances) {
      if (inst.maxSequences > inst.maxBatchTokens) throw new Error(`instance has ${inst.maxSequences} sequences but a batch budget of ${inst.maxBatchTokens} tokens`);
    }
    this.queue = new LlmWaitingQueue(options.maxQueue);
    const core: BatcherCore = {
      queue: this.queue,
      stats: this.stats,
      log: options.log,
      ...(options.maxPrefillChunk ? { maxPrefillChunk: options.maxPrefillChunk } : {}),
      onIdle: () => this.checkDrained(),
    };
    this.engines = options.instances.map((inst) => new EngineLoop(inst, core));
    for (const engine of this.engines) engine.start();
  }

  /**
   * Queues a request and returns its event stream. Throws RATE_LIMITED when the waiting queue is
   * full, UNAVAILABLE while draining, CANCELLED when the signal already aborted, and
   * INVALID_ARGUMENT when the prompt cannot fit the context.
   */
  submit(request: SequenceRequest): AsyncIterable<SequenceEvent> {
    if (this.draining || this.closed) throw new InferError('UNAVAILABLE', 'model is shutting down');
    if (request.signal.aborted) throw new InferError('CANCELLED', 'request cancelled');
    const engine = this.engines[0]!;
    const contextSize = engine.instance.contextSize;
    if (request.promptTokens.length === 0) throw new InferError('INVALID_ARGUMENT', 'the prompt is empty');
    if (request.promptTokens.length >= contextSize) {
      throw new InferError('INVALID_ARGUMENT', `the prompt has ${request.promptTokens.length} tokens; this model's context holds ${contextSize}`);
    }
    const seq = new LlmSequence(request, engine.instance.vocabulary, contextSize, (s) => this.cancel(s));
    if (!this.queue.push(seq, request.priority)) {
      throw new InferError('RATE_LIMITED', `the waiting queue is full (${this.queue.maxSize} requests)`);
    }
    request.signal.addEventListener('abort', () => this.cancel(seq), { once: true });
    for (const e of this.engines) e.wake();
    return seq.channel;
  }

  private cancel(seq: LlmSequence): void {
    if (seq.phase === 'finished' || seq.cancelled) return;
    seq.cancelled = true;
    if (seq.phase === 'waiting' && this.queue.remove(seq, seq.request.priority)) {
      seq.fail(new InferError('CANCELLED', 'request cancelled'));
      this.stats.finished.aborted++;
      this.checkDrained();
      return;
    }
    for (const e of this.engines) e.wake();
  }

  /** Current figures. */
  snapshot(): BatcherStats {
    const running = this.engines.reduce((n, e) => n + e.running.length, 0);
    const maxSequences = this.engines.reduce((n, e) => n + e.instance.maxSequences, 0);
    const totalCells = this.engines.reduce((n, e) => n + e.instance.maxSequences * e.instance.contextSize, 0);
    return {
      ...this.stats,
      finished: { ...this.stats.finished },
      running,
      waiting: this.queue.size,
      maxSequences,
      maxQueue: this.queue.maxSize,
      usedCells: this.engines.reduce((n, e) => n + e.slots.usedCells(), 0),
      totalCells,
    };
  }

  /** Stops admitting and resolves when every queued and running request has finished. */
  drain(): Promise<void> {
    this.draining = true;
    const done = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.checkDrained();
    return done;
  }

  private checkDrained(): void {
    if (!this.draining || this.queue.size > 0 || this.engines.some((e) => e.running.length > 0)) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Fails everything still queued or running and stops the loops. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.draining = true;
    const err = new InferError('UNAVAILABLE', 'model unloaded');
    for (const seq of this.queue.clear()) seq.fail(err);
    await Promise.all(this.engines.map((e) => e.stop()));
    for (const e of this.engines) e.abortAll(err);
    this.checkDrained();
  }
}
