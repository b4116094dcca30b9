/**
 * Puts the response cache in front of a version's scheduler: a hit answers at once and never
 * reaches the queue; a miss runs through the inner scheduler and stores the outputs.
 */
import { responseCacheKey, type ResponseCache } from '../response-cache.js';
import { nowNs, type VersionStatistics } from '../statistics.js';
import type { InferenceRequest, Tensor } from '../types.js';
import type { Scheduler } from './scheduler.js';

/** Options of a caching scheduler. */
export interface CachingSchedulerOptions {
  readonly inner: Scheduler;
  readonly cache: ResponseCache;
  readonly stats: VersionStatistics;
  /** Model name and version that go into the cache key. */
  readonly name: string;
  readonly version: number;
}

/** A Scheduler decorator that answers repeated requests from the response cache. */
export class CachingScheduler implements Scheduler {
  constructor(private readonly opts: CachingSchedulerOptions) {}

  /** Requests queued or executing in the inner scheduler (hits never are). */
  get inflight(): number {
    return this.opts.inner.inflight;
  }

  async enqueue(request: InferenceRequest): Promise<readonly Tensor[]> {
    const { cache, stats } = this.opts;
    const startNs = nowNs();
    const key = responseCacheKey(this.opts.name, this.opts.version, request);
    const hit = cache.lookup(key);
    if (hit) {
      const endNs = nowNs();
      stats.recordCacheHit(endNs - startNs, endNs - startNs);
      return hit;
    }
    const lookupNs = nowNs() - startNs;
    const outputs = await this.opts.inner.enqueue(request);
    const insertStart = nowNs();
    cache.insert(key, outputs);
    stats.recordCache(false, lookupNs + (nowNs() - insertStart));
    return outputs;
  }

  enqueueStream(request: InferenceRequest, emit: (outputs: readonly Tensor[]) => void): Promise<void> {
    // NOTE: config validation refuses the cache on decoupled models; streams pass straight through.
    return this.opts.inner.enqueueStream(request, emit);
  }

  drain(): Promise<void> {
    return this.opts.inner.drain();
  }
}
