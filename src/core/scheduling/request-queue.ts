/**
 * Triton's per-model request queue: one FIFO per priority level, each with its queue policy
 * (max size, default timeout, timeout override, REJECT or DELAY on timeout).
 */
import type { DynamicBatching, QueuePolicy } from '../../config/model-config.js';
import { InferError } from '../errors.js';
import type { InferenceRequest } from '../types.js';

/** A request waiting in the queue. */
export interface QueuedRequest {
  readonly request: InferenceRequest;
  readonly batchSize: number;
  readonly enqueuedUs: number;
  /** Absolute queue deadline in µs; undefined = none. */
  readonly deadlineUs: number | undefined;
  /** Zero-based index of the priority level (0 = highest). */
  readonly level: number;
  /** Set once the request timed out under a DELAY policy: it now waits behind all others. */
  delayed: boolean;
}

interface Level {
  readonly policy: QueuePolicy;
  readonly items: QueuedRequest[];
}

/** Priority levels with their policies; not thread-safe (event loop only). */
export class RequestQueue {
  private readonly levels: Level[];
  private readonly defaultLevel: number;

  constructor(config: DynamicBatching | undefined) {
    const count = Math.max(1, config?.priority_levels ?? 0);
    this.levels = Array.from({ length: count }, (_, i) => ({
      policy: config?.priority_queue_policy?.[String(i + 1)] ?? config?.default_queue_policy ?? {},
      items: [],
    }));
    this.defaultLevel = config?.priority_levels ? Math.min(count, Math.max(1, config.default_priority_level ?? 1)) - 1 : 0;
  }

  /** Number of queued requests. */
  get size(): number {
    return this.levels.reduce((n, l) => n + l.items.length, 0);
  }

  /** Level index and deadline for a request. */
  classify(request: InferenceRequest, nowUs: number): { level: number; deadlineUs: number | undefined } {
    // NOTE: like Triton, priority 0 and priorities beyond the configured levels use the default level.
    const level = request.priority > 0 && request.priority <= this.levels.length ? request.priority - 1 : this.defaultLevel;
    const policy = (this.levels[level] as Level).policy;
    let timeout = policy.default_timeout_microseconds || undefined;
    // NOTE: Triton lets a request shorten the default timeout, never lengthen it.
    if (policy.allow_timeout_override && request.timeoutUs !== undefined && request.timeoutUs > 0) {
      timeout = timeout === undefined ? request.timeoutUs : Math.min(timeout, request.timeoutUs);
    }
    return { level, deadlineUs: timeout === undefined ? undefined : nowUs + timeout };
  }

  /** Adds a request; throws QUEUE_FULL when its level is at max_queue_size. */
  push(item: QueuedRequest): void {
    const level = this.levels[item.level] as Level;
    const max = level.policy.max_queue_size ?? 0;
    if (max > 0 && level.items.length >= max) {
      throw new InferError('QUEUE_FULL', `Exceeds maximum queue size for model '${item.request.model.name}'`);
    }
    level.items.push(item);
  }

  /** Removes a request (cancellation); returns false when it was not queued. */
  remove(item: QueuedRequest): boolean {
    const items = (this.levels[item.level] as Level).items;
    const at = items.indexOf(item);
    if (at < 0) return false;
    items.splice(at, 1);
    return true;
  }

  /** Applies timeouts at `nowUs`: REJECT removes and returns the request, DELAY marks it delayed. */
  expire(nowUs: number): QueuedRequest[] {
    const rejected: QueuedRequest[] = [];
    for (const level of this.levels) {
      for (let i = level.items.length - 1; i >= 0; i--) {
        const item = level.items[i] as QueuedRequest;
        if (item.delayed || item.deadlineUs === undefined || item.deadlineUs > nowUs) continue;
        if (level.policy.timeout_action === 'DELAY') item.delayed = true;
        else {
          level.items.splice(i, 1);
          rejected.push(item);
        }
      }
    }
    return rejected.reverse();
  }

  /** Requests in scheduling order: by level, arrival; delayed ones after all others. */
  *ordered(): Generator<QueuedRequest> {
    for (const level of this.levels) for (const item of level.items) if (!item.delayed) yield item;
    for (const level of this.levels) for (const item of level.items) if (item.delayed) yield item;
  }

  /** Earliest pending (non-delayed) deadline, for the timeout timer. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const level of this.levels) {
      for (const item of level.items) {
        if (!item.delayed && item.deadlineUs !== undefined && (next === undefined || item.deadlineUs < next)) next = item.deadlineUs;
      }
    }
    return next;
  }
}
