/**
 * Triton's default scheduler: no batching across requests; each request runs alone on the first
 * free instance, in arrival order. Also runs decoupled models (one request per instance).
 */
import type { BatchInstance, DecoupledInstance } from '../../backends/backend.js';
import { InferError, toInferError } from '../errors.js';
import { nowNs, type VersionStatistics } from '../statistics.js';
import type { InferenceRequest, Tensor } from '../types.js';
import type { Scheduler } from './scheduler.js';

interface Pending {
  readonly request: InferenceRequest;
  readonly batchSize: number;
  readonly enqueuedNs: number;
  readonly emit?: (outputs: readonly Tensor[]) => void;
  readonly resolve: (outputs: readonly Tensor[]) => void;
  readonly reject: (err: InferError) => void;
  readonly onAbort: () => void;
}

/** Options of a direct scheduler. */
export interface DirectSchedulerOptions {
  readonly instances: readonly (BatchInstance | DecoupledInstance)[];
  readonly stats: VersionStatistics;
  /** Batch size of a request (its first dim for batching models, else 1). */
  readonly batchSizeOf: (request: InferenceRequest) => number;
  /** Waiting requests beyond this are refused with QUEUE_FULL; 0 = unbounded. */
  readonly maxQueueSize?: number;
}

/** FIFO queue in front of a pool of instances, one execution in flight per instance. */
export class DirectScheduler implements Scheduler {
  private readonly queue: Pending[] = [];
  private readonly free: (BatchInstance | DecoupledInstance)[];
  private running = 0;
  private draining = false;
  private drained: (() => void) | undefined;

  constructor(private readonly opts: DirectSchedulerOptions) {
    this.free = [...opts.instances];
  }

  /** Requests queued or executing. */
  get inflight(): number {
    return this.queue.length + this.running;
  }

  /** Requests waiting for an instance. */
  get queued(): number {
    return this.queue.length;
  }

  enqueue(request: InferenceRequest): Promise<readonly Tensor[]> {
    return this.admit(request);
  }

  async enqueueStream(request: InferenceRequest, emit: (outputs: readonly Tensor[]) => void): Promise<void> {
    await this.admit(request, emit);
  }

  drain(): Promise<void> {
    this.draining = true;
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  private admit(request: InferenceRequest, emit?: (outputs: readonly Tensor[]) => void): Promise<readonly Tensor[]> {
    if (this.draining) return Promise.reject(new InferError('UNAVAILABLE', `model '${request.model.name}' is unloading`));
    const max = this.opts.maxQueueSize ?? 0;
    if (max > 0 && this.queue.length >= max) {
      this.opts.stats.recordFailure(0, 'REJECTED', request);
      return Promise.reject(new InferError('QUEUE_FULL', `exceeds maximum queue size for model '${request.model.name}'`));
    }
    if (request.signal.aborted) return Promise.reject(new InferError('CANCELLED', 'request cancelled by the client'));
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        request,
        batchSize: this.opts.batchSizeOf(request),
        enqueuedNs: nowNs(),
        emit,
        resolve,
        reject,
        onAbort: () => this.cancelQueued(pending),
      };
      request.signal.addEventListener('abort', pending.onAbort, { once: true });
      this.queue.push(pending);
      this.dispatch();
    });
  }

  private cancelQueued(pending: Pending): void {
    const at = this.queue.indexOf(pending);
    if (at < 0) return;
    this.queue.splice(at, 1);
    this.opts.stats.recordFailure(nowNs() - pending.enqueuedNs, 'CANCELED', pending.request);
    pending.reject(new InferError('CANCELLED', 'request cancelled by the client'));
    this.checkDrained();
  }

  private dispatch(): void {
    while (this.queue.length > 0 && this.free.length > 0) {
      const pending = this.queue.shift() as Pending;
      const instance = this.free.pop() as BatchInstance | DecoupledInstance;
      pending.request.signal.removeEventListener('abort', pending.onAbort);
      this.running += 1;
      void this.run(instance, pending).finally(() => {
        this.running -= 1;
        this.free.push(instance);
        this.dispatch();
        this.checkDrained();
      });
    }
  }

  private async run(instance: BatchInstance | DecoupledInstance, p: Pending): Promise<void> {
    const startNs = nowNs();
    try {
      const outputs = instance.kind === 'batch' ? await runBatch(instance, p.request) : await runDecoupled(instance, p);
      const endNs = nowNs();
      this.opts.stats.recordExecution(p.batchSize, 0, endNs - startNs, 0);
      this.opts.stats.recordSuccess(
        { totalNs: endNs - p.enqueuedNs, queueNs: startNs - p.enqueuedNs, computeInputNs: 0, computeInferNs: endNs - startNs, computeOutputNs: 0 },
        p.batchSize,
        p.request,
      );
      p.resolve(outputs);
    } catch (err) {
      const error = toInferError(err);
      this.opts.stats.recordFailure(nowNs() - p.enqueuedNs, error.code === 'CANCELLED' ? 'CANCELED' : 'BACKEND', p.request);
      p.reject(error);
    }
  }

  private checkDrained(): void {
    if (this.draining && this.inflight === 0 && this.drained) {
      this.drained();
      this.drained = undefined;
    }
  }
}

async function runBatch(instance: BatchInstance, request: InferenceRequest): Promise<readonly Tensor[]> {
  const [response] = await instance.execute([request]);
  if (!response) throw new InferError('INTERNAL', 'backend returned no response');
  if (!response.ok) throw response.error;
  return response.outputs;
}

async function runDecoupled(instance: DecoupledInstance, p: Pending): Promise<readonly Tensor[]> {
  const emit = p.emit;
  if (!emit) throw new InferError('UNSUPPORTED', `model '${p.request.model.name}' is decoupled: use a streaming API`);
  await instance.execute(p.request, emit);
  return [];
}
