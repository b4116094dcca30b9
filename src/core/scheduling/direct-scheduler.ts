/**
 * Triton's default scheduler: no batching across requests; each request runs alone on the first
 * free instance, in arrival order. Also runs decoupled models (one request per instance). An
 * instance whose execute rejects with UNAVAILABLE is lost for good and leaves the pool; once no
 * instance is left every queued and new request fails at once with UNAVAILABLE.
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
  /** Told each time an instance is lost for good; `remaining` instances still serve. The owner decides whether the version stays up. */
  readonly onInstanceLost?: (reason: string, remaining: number) => void;
}

/** How one request ended on its instance; `lost` means the instance itself can never run again. */
type RunOutcome = { readonly outputs: readonly Tensor[] } | { readonly error: InferError; readonly lost: boolean };

/** FIFO queue in front of a pool of instances, one execution in flight per instance. */
export class DirectScheduler implements Scheduler {
  private readonly queue: Pending[] = [];
  private readonly free: (BatchInstance | DecoupledInstance)[];
  private running = 0;
  private draining = false;
  private drained: (() => void) | undefined;
  /** Instances not lost yet, busy or free. */
  private live: number;
  /** Why the last instance was lost, once none is left. */
  private noInstances: InferError | undefined;

  constructor(private readonly opts: DirectSchedulerOptions) {
    this.free = [...opts.instances];
    this.live = opts.instances.length;
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
    if (this.noInstances) {
      this.opts.stats.recordFailure(0, 'REJECTED', request);
      return Promise.reject(this.noInstances);
    }
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
      void this.run(instance, pending).then((lost) => {
        this.running -= 1;
        if (lost) this.retire(lost);
        else this.free.push(instance);
        this.dispatch();
        this.checkDrained();
      });
    }
  }

  /** Runs one request and settles it; resolves with the error that lost the instance, if it was lost. Never rejects. */
  private async run(instance: BatchInstance | DecoupledInstance, p: Pending): Promise<InferError | undefined> {
    const startNs = nowNs();
    const outcome = instance.kind === 'batch' ? await runBatch(instance, p.request) : await runDecoupled(instance, p);
    const endNs = nowNs();
    if ('outputs' in outcome) {
      this.opts.stats.recordExecution(p.batchSize, 0, endNs - startNs, 0);
      this.opts.stats.recordSuccess(
        { totalNs: endNs - p.enqueuedNs, queueNs: startNs - p.enqueuedNs, computeInputNs: 0, computeInferNs: endNs - startNs, computeOutputNs: 0 },
        p.batchSize,
        p.request,
      );
      p.resolve(outcome.outputs);
      return undefined;
    }
    this.opts.stats.recordFailure(endNs - p.enqueuedNs, outcome.error.code === 'CANCELLED' ? 'CANCELED' : 'BACKEND', p.request);
    p.reject(outcome.error);
    return outcome.lost ? outcome.error : undefined;
  }

  /** Takes a lost instance out of service; with none left, fails everything queued. Tells the owner last. */
  private retire(error: InferError): void {
    this.live -= 1;
    if (this.live === 0) {
      this.noInstances = new InferError('UNAVAILABLE', `no instance of the model is left: ${error.message}`, { cause: error });
      for (const pending of this.queue.splice(0)) {
        pending.request.signal.removeEventListener('abort', pending.onAbort);
        this.opts.stats.recordFailure(nowNs() - pending.enqueuedNs, 'REJECTED', pending.request);
        pending.reject(this.noInstances);
      }
    }
    this.opts.onInstanceLost?.(error.message, this.live);
  }

  private checkDrained(): void {
    if (this.draining && this.inflight === 0 && this.drained) {
      this.drained();
      this.drained = undefined;
    }
  }
}

/** An execute that rejected: UNAVAILABLE means the instance is gone for good (the backend contract's convention). */
function rejected(err: unknown): RunOutcome {
  const error = toInferError(err);
  return { error, lost: error.code === 'UNAVAILABLE' };
}

async function runBatch(instance: BatchInstance, request: InferenceRequest): Promise<RunOutcome> {
  let responses: Awaited<ReturnType<BatchInstance['execute']>>;
  try {
    responses = await instance.execute([request]);
  } catch (err) {
    return rejected(err);
  }
  const [response] = responses;
  if (!response) return { error: new InferError('INTERNAL', 'backend returned no response'), lost: false };
  return response.ok ? { outputs: response.outputs } : { error: response.error, lost: false };
}

async function runDecoupled(instance: DecoupledInstance, p: Pending): Promise<RunOutcome> {
  const emit = p.emit;
  if (!emit) return { error: new InferError('UNSUPPORTED', `model '${p.request.model.name}' is decoupled: use a streaming API`), lost: false };
  try {
    await instance.execute(p.request, emit);
  } catch (err) {
    return rejected(err);
  }
  return { outputs: [] };
}
