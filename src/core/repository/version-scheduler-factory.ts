/**
 * The scheduler factory the composition root hands the repository: ensembles get the ensemble
 * scheduler, other models the base factory's scheduler over rate-limited instances (when the rate
 * limiter is on), LLMs (iterative instances) get a continuous batcher behind the KServe tensor
 * adapter, and any model with `response_cache { enable: true }` gets the cache in front.
 */
import type { BackendLogger, IterativeInstance, ModelInstance } from '../../backends/backend.js';
import { createLlmModel } from '../llm/index.js';
import type { LlmMetricsHub } from '../metrics/llm-metrics.js';
import { LlmTensorScheduler } from '../scheduling/llm-tensor-scheduler.js';
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
  /** Settings of LLM model versions; without them an LLM cannot be served. */
  readonly llm?: LlmFeatures;
}

/** What the continuous batcher of an LLM version needs from the server. */
export interface LlmFeatures {
  /** Requests that may wait for a free sequence before new ones get 429 (`--max-queue`). */
  readonly maxQueue: number;
  readonly log: BackendLogger;
  readonly metrics?: LlmMetricsHub;
}

function allIterative(instances: readonly ModelInstance[]): instances is readonly IterativeInstance[] {
  return instances.length > 0 && instances.every((i) => i.kind === 'iterative');
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
    } else if (allIterative(instances)) {
      if (!features.llm) throw new Error(`model '${v.name}' is an LLM but this server has no LLM scheduling configured`);
      const { maxQueue, log, metrics } = features.llm;
      v.llm = createLlmModel({ name: v.name, version: v.version, config: v.config, instances, maxQueue, log, ...(metrics ? { metrics } : {}) });
      scheduler = new LlmTensorScheduler(v.llm, v.stats);
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
