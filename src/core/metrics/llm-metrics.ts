/**
 * NIM/vLLM metrics for LLM models. The LLM engine registers one `LlmMetricsSource` per served
 * model: gauges and cumulative counters are read from it when Prometheus scrapes, and each
 * finished request is reported once through the returned `LlmRequestRecorder` for the histograms.
 *
 * Contract for sources: `snapshot()` is synchronous, cheap and side-effect free; counters in it
 * only grow for the lifetime of the source. Call `recorder.unregister()` when the model unloads.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LLM_BUCKETS, LLM_METRICS, LLM_METRICS_WITHOUT_VLLM_ALIAS, type MetricDef, VLLM_PREFIX } from './metric-names.js';

/** Live state and cumulative counters of one LLM model, read at scrape time. */
export interface LlmStatsSnapshot {
  /** Sequences currently generating (holding a KV slot). */
  readonly running: number;
  /** Admitted requests waiting for a slot. */
  readonly waiting: number;
  /** Most sequences that can run at once (KV slots). */
  readonly maxRequests: number;
  /** KV-cache occupancy, 0..1 (exposed as both gpu_cache_usage_perc and kv_cache_usage_perc). */
  readonly kvCacheUsage: number;
  /** Prompt (prefill) tokens processed so far. */
  readonly promptTokens: number;
  /** Tokens generated so far. */
  readonly generationTokens: number;
  /** Finished requests per finish reason (`stop`, `length`, `abort`, ...). */
  readonly successByReason: Readonly<Record<string, number>>;
  /** Requests that ended with an error. */
  readonly failures: number;
  /** Prompt tokens looked up in the prefix cache. */
  readonly prefixCacheQueries: number;
  /** Prompt tokens found in the prefix cache (reused KV). */
  readonly prefixCacheHits: number;
}

/** A source of LLM statistics for one model. */
export interface LlmMetricsSource {
  /** Value of the `model_name` label (the served model name). */
  readonly modelName: string;
  snapshot(): LlmStatsSnapshot;
}

/** Timings and sizes of one finished request. */
export interface LlmRequestObservation {
  /** Seconds from arrival to the first generated token; absent when none was generated. */
  readonly timeToFirstTokenSeconds?: number;
  /** Seconds between consecutive generated tokens (one entry per token after the first). */
  readonly interTokenSeconds?: readonly number[];
  /** Seconds from arrival to the last token or error. */
  readonly e2eSeconds: number;
  readonly promptTokens: number;
  readonly generationTokens: number;
}

/** Handle a registered source uses to report finished requests. */
export interface LlmRequestRecorder {
  /** Records one finished request in the histograms; cost is a few bucket increments. */
  observe(observation: LlmRequestObservation): void;
  /** Removes the source and its series (model unloaded). */
  unregister(): void;
}

/** Where LLM engines register their sources; handed out by the composition root. */
export interface LlmMetricsHub {
  register(source: LlmMetricsSource): LlmRequestRecorder;
}

/** The hub to hand out when metrics are off: registering costs nothing and records nothing. */
export const NOOP_LLM_METRICS_HUB: LlmMetricsHub = {
  register: () => ({ observe: () => undefined, unregister: () => undefined }),
};

type Pair<T> = readonly T[];

/** The NIM/vLLM collector: the hub implementation registered on one prom-client registry. */
export class LlmMetricsCollector implements LlmMetricsHub {
  private readonly sources = new Set<LlmMetricsSource>();
  private readonly gauges: Record<'running' | 'waiting' | 'maxRequests' | 'gpuCacheUsage' | 'kvCacheUsage', Pair<Gauge<string>>>;
  private readonly counters: Record<'promptTokens' | 'generationTokens' | 'requestSuccess' | 'requestFailure' | 'prefixCacheQueries' | 'prefixCacheHits', Pair<Counter<string>>>;
  private readonly histograms: Record<'ttft' | 'tpot' | 'e2e' | 'promptTokens' | 'generationTokens', Pair<Histogram<string>>>;

  /** `vllmAliases` also registers every metric as `vllm:<name>`. */
  constructor(registry: Registry, vllmAliases: boolean) {
    const names = (def: MetricDef): string[] =>
      vllmAliases && !LLM_METRICS_WITHOUT_VLLM_ALIAS.has(def.name) ? [def.name, VLLM_PREFIX + def.name] : [def.name];
    let first = true;
    const gauges = (def: MetricDef): Gauge<string>[] =>
      names(def).map((name) => {
        // NOTE: the first metric's synchronous collect refreshes all scrape-time series.
        const collect = first ? { collect: () => this.refresh() } : {};
        first = false;
        return new Gauge({ name, help: def.help, labelNames: [...def.labels], registers: [registry], ...collect });
      });
    const counters = (def: MetricDef): Counter<string>[] =>
      names(def).map((name) => new Counter({ name, help: def.help, labelNames: [...def.labels], registers: [registry] }));
    const histograms = (def: MetricDef, buckets: readonly number[]): Histogram<string>[] =>
      names(def).map((name) => new Histogram({ name, help: def.help, labelNames: [...def.labels], buckets: [...buckets], registers: [registry] }));
    const m = LLM_METRICS;
    this.gauges = {
      running: gauges(m.running),
      waiting: gauges(m.waiting),
      maxRequests: gauges(m.maxRequests),
      gpuCacheUsage: gauges(m.gpuCacheUsage),
      kvCacheUsage: gauges(m.kvCacheUsage),
    };
    this.counters = {
      promptTokens: counters(m.promptTokens),
      generationTokens: counters(m.generationTokens),
      requestSuccess: counters(m.requestSuccess),
      requestFailure: counters(m.requestFailure),
      prefixCacheQueries: counters(m.prefixCacheQueries),
      prefixCacheHits: counters(m.prefixCacheHits),
    };
    this.histograms = {
      ttft: histograms(m.timeToFirstToken, LLM_BUCKETS.timeToFirstToken),
      tpot: histograms(m.timePerOutputToken, LLM_BUCKETS.timePerOutputToken),
      e2e: histograms(m.e2eLatency, LLM_BUCKETS.e2eLatency),
      promptTokens: histograms(m.requestPromptTokens, LLM_BUCKETS.tokens),
      generationTokens: histograms(m.requestGenerationTokens, LLM_BUCKETS.tokens),
    };
  }

  register(source: LlmMetricsSource): LlmRequestRecorder {
    this.sources.add(source);
    const labels = { model_name: source.modelName };
    const h = this.histograms;
    return {
      observe: (o) => {
        if (o.timeToFirstTokenSeconds !== undefined) for (const x of h.ttft) x.observe(labels, o.timeToFirstTokenSeconds);
        for (const gap of o.interTokenSeconds ?? []) for (const x of h.tpot) x.observe(labels, gap);
        for (const x of h.e2e) x.observe(labels, o.e2eSeconds);
        for (const x of h.promptTokens) x.observe(labels, o.promptTokens);
        for (const x of h.generationTokens) x.observe(labels, o.generationTokens);
      },
      unregister: () => {
        this.sources.delete(source);
        for (const list of Object.values(this.histograms)) for (const x of list) x.remove(labels);
      },
    };
  }

  private refresh(): void {
    const all = [...Object.values(this.gauges), ...Object.values(this.counters)].flat();
    for (const metric of all) metric.reset();
    const set = (list: Pair<Gauge<string>>, labels: Record<string, string>, v: number): void => list.forEach((g) => g.set(labels, v));
    const inc = (list: Pair<Counter<string>>, labels: Record<string, string>, v: number): void => list.forEach((c) => c.inc(labels, v));
    for (const source of this.sources) {
      const s = source.snapshot();
      const labels = { model_name: source.modelName };
      set(this.gauges.running, labels, s.running);
      set(this.gauges.waiting, labels, s.waiting);
      set(this.gauges.maxRequests, labels, s.maxRequests);
      set(this.gauges.gpuCacheUsage, labels, s.kvCacheUsage);
      set(this.gauges.kvCacheUsage, labels, s.kvCacheUsage);
      inc(this.counters.promptTokens, labels, s.promptTokens);
      inc(this.counters.generationTokens, labels, s.generationTokens);
      for (const [reason, n] of Object.entries(s.successByReason)) inc(this.counters.requestSuccess, { ...labels, finished_reason: reason }, n);
      inc(this.counters.requestFailure, labels, s.failures);
      inc(this.counters.prefixCacheQueries, labels, s.prefixCacheQueries);
      inc(this.counters.prefixCacheHits, labels, s.prefixCacheHits);
    }
  }
}
