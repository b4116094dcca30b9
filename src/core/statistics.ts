/**
 * Per-version statistics with Triton's semantics: success/fail per request, queue and compute
 * durations per request, inference_count = batch items, execution_count = backend executions,
 * batch_stats per executed batch size.
 */
import type { ErrorCode } from './errors.js';
import type { ModelStatistics, StatDuration } from './inference-server.js';
import type { InferenceRequest } from './types.js';

const zero = (): StatDuration => ({ count: 0, ns: 0 });

/** Timing of one request, all in nanoseconds. */
export interface RequestTiming {
  readonly totalNs: number;
  readonly queueNs: number;
  readonly computeInputNs: number;
  readonly computeInferNs: number;
  readonly computeOutputNs: number;
}

/** Triton's `reason` label of nv_inference_request_failure. */
export type FailureReason = 'REJECTED' | 'CANCELED' | 'BACKEND' | 'OTHER';

/** Every failure reason, in Triton's order. */
export const FAILURE_REASONS: readonly FailureReason[] = ['REJECTED', 'CANCELED', 'BACKEND', 'OTHER'];

/** Triton's reason for a request that failed inside a scheduler with `code`. */
export function failureReasonOf(code: ErrorCode | undefined): FailureReason {
  if (code === undefined) return 'OTHER';
  if (code === 'CANCELLED') return 'CANCELED';
  if (code === 'QUEUE_FULL' || code === 'TIMEOUT' || code === 'RATE_LIMITED' || code === 'UNAVAILABLE') return 'REJECTED';
  return 'BACKEND';
}

/**
 * Optional per-request hooks (latency summaries, tracing). Called synchronously from the event
 * loop right after the matching record* call; absent on the hot path unless a feature needs it.
 */
export interface StatisticsObserver {
  /** A backend execution of `batchSize` items finished; the matching onSuccess calls follow at once. */
  onExecution(batchSize: number): void;
  /** A request succeeded; `request` is given by schedulers that have it. */
  onSuccess(timing: RequestTiming, batchSize: number, request?: InferenceRequest): void;
  /** A request failed. */
  onFailure(totalNs: number, reason: FailureReason, request?: InferenceRequest): void;
}

/** Accumulates statistics of one model version. Single-threaded: called from the event loop only. */
export class VersionStatistics {
  private lastInference = 0;
  private inferenceCount = 0;
  private executionCount = 0;
  private readonly success = zero();
  private readonly fail = zero();
  private readonly queue = zero();
  private readonly computeInput = zero();
  private readonly computeInfer = zero();
  private readonly computeOutput = zero();
  private readonly cacheHit = zero();
  private readonly cacheMiss = zero();
  private readonly batches = new Map<number, { compute_input: StatDuration; compute_infer: StatDuration; compute_output: StatDuration }>();
  private readonly failReasons: Record<FailureReason, number> = { REJECTED: 0, CANCELED: 0, BACKEND: 0, OTHER: 0 };
  /** Monotonic time (ns) this version's statistics were created, i.e. when its load started. */
  readonly createdNs = nowNs();
  /** Per-request hooks; set by the composition root when metrics summaries or tracing are on. */
  observer: StatisticsObserver | undefined;

  constructor(
    readonly name: string,
    readonly version: number,
  ) {}

  /** Records a successful request; `batchSize` is its own batch dimension (inference_count). */
  recordSuccess(timing: RequestTiming, batchSize: number, request?: InferenceRequest): void {
    add(this.success, timing.totalNs);
    add(this.queue, timing.queueNs);
    add(this.computeInput, timing.computeInputNs);
    add(this.computeInfer, timing.computeInferNs);
    add(this.computeOutput, timing.computeOutputNs);
    this.inferenceCount += batchSize;
    this.lastInference = Date.now();
    this.observer?.onSuccess(timing, batchSize, request);
  }

  /** Records a failed request (rejected, timed out, cancelled or failed in the backend). */
  recordFailure(totalNs: number, reason: FailureReason = 'OTHER', request?: InferenceRequest): void {
    add(this.fail, totalNs);
    this.failReasons[reason] += 1;
    this.lastInference = Date.now();
    this.observer?.onFailure(totalNs, reason, request);
  }

  /** Failed requests per Triton reason (their sum is `inference_stats.fail.count`). */
  failuresByReason(): Readonly<Record<FailureReason, number>> {
    return { ...this.failReasons };
  }

  /** Records a response-cache lookup. */
  recordCache(hit: boolean, ns: number): void {
    add(hit ? this.cacheHit : this.cacheMiss, ns);
  }

  /**
   * Records a request answered from the response cache, as Triton does: it counts as a success
   * and in `queue`, never in compute, inference_count or execution_count.
   */
  recordCacheHit(totalNs: number, lookupNs: number): void {
    add(this.success, totalNs);
    add(this.queue, totalNs - lookupNs);
    add(this.cacheHit, lookupNs);
    this.lastInference = Date.now();
  }

  /** Records one backend execution of `batchSize` items. */
  recordExecution(batchSize: number, inputNs: number, inferNs: number, outputNs: number): void {
    this.executionCount += 1;
    let row = this.batches.get(batchSize);
    if (!row) {
      row = { compute_input: zero(), compute_infer: zero(), compute_output: zero() };
      this.batches.set(batchSize, row);
    }
    add(row.compute_input, inputNs);
    add(row.compute_infer, inferNs);
    add(row.compute_output, outputNs);
    this.observer?.onExecution(batchSize);
  }

  /** A copy in the statistics-extension shape. */
  snapshot(): ModelStatistics {
    return {
      name: this.name,
      version: String(this.version),
      last_inference: this.lastInference,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: {
        success: { ...this.success },
        fail: { ...this.fail },
        queue: { ...this.queue },
        compute_input: { ...this.computeInput },
        compute_infer: { ...this.computeInfer },
        compute_output: { ...this.computeOutput },
        cache_hit: { ...this.cacheHit },
        cache_miss: { ...this.cacheMiss },
      },
      batch_stats: [...this.batches.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([size, row]) => ({
          batch_size: size,
          compute_input: { ...row.compute_input },
          compute_infer: { ...row.compute_infer },
          compute_output: { ...row.compute_output },
        })),
    };
  }
}

function add(d: StatDuration, ns: number): void {
  d.count += 1;
  d.ns += Math.max(0, Math.round(ns));
}

/** Monotonic clock in nanoseconds as a number (safe for ~104 days of uptime differences). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}
