/**
 * Triton's dynamic batcher. Whenever an instance is free it forms a batch from the queue in
 * priority-then-arrival order: requests join while their non-batch shapes and input sets match
 * the first one and the summed batch dimension fits max_batch_size. It sends at once when the
 * batch is full or hits a preferred size, or when nothing else could join; otherwise it waits
 * until the oldest request has waited max_queue_delay_microseconds. An instance whose execute
 * rejects with UNAVAILABLE is lost for good and leaves the pool; once no instance is left every
 * queued and new request fails at once with UNAVAILABLE.
 */
import type { BatchInstance, ModelInstance } from '../../backends/backend.js';
import type { DynamicBatching } from '../../config/model-config.js';
import { InferError, toInferError } from '../errors.js';
import { failureReasonOf, type FailureReason, type VersionStatistics } from '../statistics.js';
import type { InferenceRequest, InstanceResponse, Tensor } from '../types.js';
import { systemClock, type Clock } from './clock.js';
import { RequestQueue, type QueuedRequest } from './request-queue.js';
import type { Scheduler } from './scheduler.js';

/** Options of a dynamic batcher. */
export interface DynamicBatcherOptions {
  readonly config: DynamicBatching;
  readonly maxBatchSize: number;
  readonly instances: readonly ModelInstance[];
  readonly stats: VersionStatistics;
  readonly batchSizeOf: (request: InferenceRequest) => number;
  readonly clock?: Clock;
  /** Told each time an instance is lost for good; `remaining` instances still serve. The owner decides whether the version stays up. */
  readonly onInstanceLost?: (reason: string, remaining: number) => void;
}

interface Waiter {
  readonly item: QueuedRequest;
  readonly resolve: (outputs: readonly Tensor[]) => void;
  readonly reject: (err: InferError) => void;
  readonly onAbort: () => void;
  /** Outcome held back until earlier requests are answered (preserve_ordering). */
  outcome?: () => void;
}

/** The dynamic batcher of one model version. */
export class DynamicBatcher implements Scheduler {
  private readonly queue: RequestQueue;
  private readonly waiters = new Map<QueuedRequest, Waiter>();
  private readonly free: BatchInstance[];
  private readonly clock: Clock;
  private readonly preferred: readonly number[];
  private readonly delayUs: number;
  /** Requests in arrival order awaiting delivery, when preserve_ordering is on. */
  private readonly ordered: Waiter[] = [];
  private running = 0;
  private cancelTimer: (() => void) | undefined;
  private timerAt = Infinity;
  private draining = false;
  private drained: (() => void) | undefined;
  /** Instances not lost yet, busy or free. */
  private live: number;
  /** Why the last instance was lost, once none is left. */
  private noInstances: InferError | undefined;

  constructor(private readonly opts: DynamicBatcherOptions) {
    this.queue = new RequestQueue(opts.config);
    this.clock = opts.clock ?? systemClock;
    this.preferred = [...(opts.config.preferred_batch_size ?? [])].sort((a, b) => a - b);
    this.delayUs = opts.config.max_queue_delay_microseconds ?? 0;
    this.free = opts.instances.map((i) => {
      if (i.kind !== 'batch') throw new Error('dynamic batching needs batch (non-decoupled) instances');
      return i;
    });
    this.live = this.free.length;
  }

  /** Requests queued or executing. */
  get inflight(): number {
    return this.queue.size + this.running;
  }

  /** Requests waiting to join a batch. */
  get queued(): number {
    return this.queue.size;
  }

  enqueue(request: InferenceRequest): Promise<readonly Tensor[]> {
    if (this.draining) return Promise.reject(new InferError('UNAVAILABLE', `model '${request.model.name}' is unloading`));
    if (request.signal.aborted) return Promise.reject(new InferError('CANCELLED', 'request cancelled by the client'));
    if (this.noInstances) {
      this.opts.stats.recordFailure(0, 'REJECTED', request);
      return Promise.reject(this.noInstances);
    }
    const now = this.clock.nowUs();
    const { level, deadlineUs } = this.queue.classify(request, now);
    const item: QueuedRequest = { request, batchSize: this.opts.batchSizeOf(request), enqueuedUs: now, deadlineUs, level, delayed: false };
    return new Promise((resolve, reject) => {
      try {
        this.queue.push(item);
      } catch (err) {
        const error = toInferError(err);
        this.opts.stats.recordFailure(0, failureReasonOf(error.code), request);
        reject(error);
        return;
      }
      const waiter: Waiter = { item, resolve, reject, onAbort: () => this.cancel(item) };
      this.waiters.set(item, waiter);
      if (this.opts.config.preserve_ordering) this.ordered.push(waiter);
      request.signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.schedule();
    });
  }

  enqueueStream(request: InferenceRequest): Promise<void> {
    return Promise.reject(new InferError('UNSUPPORTED', `model '${request.model.name}' is not decoupled`));
  }

  drain(): Promise<void> {
    this.draining = true;
    this.schedule();
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  /** Expire timeouts, then form and send batches while instances are free. */
  private schedule(): void {
    const now = this.clock.nowUs();
    for (const item of this.queue.expire(now)) this.settle(item, new InferError('TIMEOUT', 'Request timeout expired'), undefined);
    while (this.free.length > 0 && this.queue.size > 0) {
      const batch = this.formBatch(now);
      if (!batch) break;
      this.execute(batch);
    }
    this.armTimer();
    this.checkDrained();
  }

  /** The batch to send now, or undefined to keep waiting for more requests. */
  private formBatch(now: number): QueuedRequest[] | undefined {
    const max = Math.max(1, this.opts.maxBatchSize);
    const batch: QueuedRequest[] = [];
    let total = 0;
    let closed = false;
    let signature: string | undefined;
    for (const item of this.queue.ordered()) {
      const sig = shapeSignature(item.request);
      if (signature !== undefined && sig !== signature) {
        closed = true;
        break;
      }
      if (total + item.batchSize > max) {
        closed = true;
        break;
      }
      signature = sig;
      batch.push(item);
      total += item.batchSize;
    }
    if (batch.length === 0) return undefined;
    const oldest = Math.min(...batch.map((b) => b.enqueuedUs));
    const expired = now - oldest >= this.delayUs;
    if (total === max || closed || this.draining) return this.take(batch);
    if (this.preferred.length > 0) {
      const prefix = this.largestPreferredPrefix(batch);
      if (prefix > 0 && (prefix === batch.length || expired || this.delayUs === 0)) return this.take(batch.slice(0, prefix));
      return expired ? this.take(batch) : undefined;
    }
    return expired ? this.take(batch) : undefined;
  }

  /** Length of the longest prefix of `batch` whose summed size is a preferred batch size. */
  private largestPreferredPrefix(batch: readonly QueuedRequest[]): number {
    let sum = 0;
    let best = 0;
    batch.forEach((item, i) => {
      sum += item.batchSize;
      if (this.preferred.includes(sum)) best = i + 1;
    });
    return best;
  }

  private take(batch: QueuedRequest[]): QueuedRequest[] {
    for (const item of batch) this.queue.remove(item);
    return batch;
  }

  private execute(batch: QueuedRequest[]): void {
    const instance = this.free.pop() as BatchInstance;
    this.running += batch.length;
    const startUs = this.clock.nowUs();
    for (const item of batch) item.request.signal.removeEventListener('abort', (this.waiters.get(item) as Waiter).onAbort);
    const total = batch.reduce((n, b) => n + b.batchSize, 0);
    const release = (): void => {
      this.running -= batch.length;
      this.free.push(instance);
    };
    let running: Promise<readonly InstanceResponse[]>;
    try {
      running = instance.execute(batch.map((b) => b.request));
    } catch (err) {
      // NOTE: a backend that throws before returning its promise must not leak the batch or the instance.
      running = Promise.reject(err);
    }
    // NOTE: the instance goes back to the pool before answers are delivered, so the next batch
    // is formed in the same turn and the instance never idles while callers run.
    void running.then(
      (responses) => {
        const inferNs = (this.clock.nowUs() - startUs) * 1000;
        this.opts.stats.recordExecution(total, 0, inferNs, 0);
        release();
        batch.forEach((item, i) => {
          const r = responses[i];
          if (r?.ok) this.settle(item, undefined, r.outputs, { queueNs: (startUs - item.enqueuedUs) * 1000, inferNs });
          else this.settle(item, r ? r.error : new InferError('INTERNAL', 'backend returned too few responses'), undefined);
        });
        this.schedule();
      },
      (err: unknown) => {
        const error = toInferError(err);
        const lost = error.code === 'UNAVAILABLE';
        this.running -= batch.length;
        if (lost) this.retire(error);
        else this.free.push(instance);
        // NOTE: a lost instance is the backend's failure, not a scheduler rejection.
        for (const item of batch) this.settle(item, error, undefined, undefined, lost ? 'BACKEND' : undefined);
        this.schedule();
      },
    );
  }

  /** Takes a lost instance out of service; with none left, fails everything queued. Tells the owner last. */
  private retire(error: InferError): void {
    this.live -= 1;
    if (this.live === 0) {
      this.noInstances = new InferError('UNAVAILABLE', `no instance of the model is left: ${error.message}`, { cause: error });
      for (const item of [...this.queue.ordered()]) {
        this.queue.remove(item);
        const waiter = this.waiters.get(item);
        if (waiter) item.request.signal.removeEventListener('abort', waiter.onAbort);
        this.settle(item, this.noInstances, undefined);
      }
    }
    this.opts.onInstanceLost?.(error.message, this.live);
  }

  /** Answers one request, holding the answer back while earlier requests are pending (preserve_ordering). */
  private settle(
    item: QueuedRequest,
    err: InferError | undefined,
    outputs: readonly Tensor[] | undefined,
    t?: { queueNs: number; inferNs: number },
    reason?: FailureReason,
  ): void {
    const waiter = this.waiters.get(item);
    if (!waiter) return;
    this.waiters.delete(item);
    const totalNs = (this.clock.nowUs() - item.enqueuedUs) * 1000;
    if (err || !outputs || !t) {
      this.opts.stats.recordFailure(totalNs, reason ?? failureReasonOf(err?.code), item.request);
      waiter.outcome = () => waiter.reject(err ?? new InferError('INTERNAL', 'missing outputs'));
    } else {
      this.opts.stats.recordSuccess({ totalNs, queueNs: t.queueNs, computeInputNs: 0, computeInferNs: t.inferNs, computeOutputNs: 0 }, item.batchSize, item.request);
      waiter.outcome = () => waiter.resolve(outputs);
    }
    if (!this.opts.config.preserve_ordering) return waiter.outcome();
    while (this.ordered[0]?.outcome) (this.ordered.shift() as Waiter).outcome?.();
  }

  private cancel(item: QueuedRequest): void {
    if (!this.queue.remove(item)) return;
    this.settle(item, new InferError('CANCELLED', 'request cancelled by the client'), undefined);
    this.checkDrained();
  }

  /** One timer for the earliest of: the oldest request's batching delay, the next queue timeout. */
  private armTimer(): void {
    let at = this.queue.nextDeadline() ?? Infinity;
    if (this.queue.size > 0 && this.free.length > 0) {
      for (const item of this.queue.ordered()) {
        at = Math.min(at, item.enqueuedUs + this.delayUs);
        break;
      }
    }
    if (at === this.timerAt) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = at;
    if (at === Infinity) return;
    this.cancelTimer = this.clock.setTimer(() => {
      this.cancelTimer = undefined;
      this.timerAt = Infinity;
      this.schedule();
    }, at - this.clock.nowUs());
  }

  private checkDrained(): void {
    if (this.draining && this.inflight === 0 && this.drained) {
      this.drained();
      this.drained = undefined;
    }
  }
}

/** Requests batch together only with the same inputs, datatypes and non-batch dims. */
function shapeSignature(request: InferenceRequest): string {
  let sig = '';
  for (const t of [...request.inputs].sort((a, b) => (a.name < b.name ? -1 : 1))) sig += `${t.name}:${t.datatype}:${t.shape.slice(1).join(',')};`;
  return sig;
}
