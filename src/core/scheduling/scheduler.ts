/**
 * The per-model-version scheduler seam (Triton's three-method scheduler): the facade enqueues
 * validated requests; the scheduler owns queueing, batching and instance choice, and settles
 * every request exactly once.
 */
import type { InferenceRequest, Tensor } from '../types.js';

/** A scheduler for one model version. */
export interface Scheduler {
  /**
   * Runs one request and resolves with its outputs. Rejects with InferError: QUEUE_FULL at once
   * when the queue is full, CANCELLED when the request's signal aborts while queued,
   * UNAVAILABLE once draining started, or the backend's error for this request.
   */
  enqueue(request: InferenceRequest): Promise<readonly Tensor[]>;
  /** Runs one request of a decoupled model, calling `emit` per response; resolves when complete. */
  enqueueStream(request: InferenceRequest, emit: (outputs: readonly Tensor[]) => void): Promise<void>;
  /** Requests queued or executing. */
  readonly inflight: number;
  /** Requests waiting, not yet executing (Triton's pending count); schedulers without a queue of their own leave it out. */
  readonly queued?: number;
  /** Stops admitting new requests and resolves once every admitted request has settled. */
  drain(): Promise<void>;
}
