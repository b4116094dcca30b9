/**
 * The scheduler factory the composition root hands the repository: ensembles get the ensemble
 * scheduler, other models the base factory's scheduler over rate-limited instances (when the rate
 * limiter is on), and any model with `response_cache { enable: true }` gets the cache in front.
 */
import { CachingScheduler } from '../scheduling/caching-scheduler.js';
import { EnsembleScheduler, type ComposingInfer } from '../scheduling/ensemble-scheduler.js';
import { rateLimitInstances } from '../scheduling/rate-limited-instance.js';
import type { RateLimiter } from '../scheduling/rate-limiter.js';
import type { Scheduler } from '../scheduling/scheduler.js';
import { requestBatchSize } from '../request-validation.js';
import type { ResponseCache } from '../response-cache.js';
import { checkComposingModels, isEnsemble } from './ensemble-model.js';
import { defaultSchedulerFactory, type SchedulerFactory } from './model-version.js';

/** What the composed factory needs from the rest of the server. */
export interface SchedulerFeatures {
  /** Scheduler of non-ensemble models; defaults to defaultSchedulerFactory. */
  readonly base?: SchedulerFactory;
  /** Runs a request on a composing model (the facade's infer); required for ensembles. */
  readonly infer?: ComposingInfer;
  /** Whether a composing model has a READY version (the given one, or any). */
  readonly isReady?: (name: string, version?: number) => boolean;
  readonly cache?: ResponseCache;
  /** Present only when --rate-limit is execution_count. */
  readonly rateLimiter?: RateLimiter;
}

/** Builds the factory; throws from the factory (making the version UNAVAILABLE) when an ensemble cannot run. */
export function composeSchedulerFactory(features: SchedulerFeatures): SchedulerFactory {
  const base = features.base ?? defaultSchedulerFactory;
  return (v, instances) => {
    let scheduler: Scheduler;
    if (isEnsemble(v.config)) {
      const { infer, isReady } = features;
      if (!infer || !isReady) throw new Error(`ensemble '${v.name}' cannot be served: no composing-model path configured`);
      checkComposingModels(v.config, isReady);
      scheduler = new EnsembleScheduler({ config: v.config, infer, stats: v.stats, batchSizeOf: (r) => requestBatchSize(r, v.config) });
    } else {
      const gated = features.rateLimiter ? rateLimitInstances(features.rateLimiter, v.config, instances) : instances;
      scheduler = base(v, gated);
    }
    if (features.cache && v.config.response_cache?.enable) {
      scheduler = new CachingScheduler({ inner: scheduler, cache: features.cache, stats: v.stats, name: v.name, version: v.version });
    }
    return scheduler;
  };
}
