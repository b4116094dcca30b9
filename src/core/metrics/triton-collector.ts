/**
 * Triton's per-model metrics, derived from each version's statistics when Prometheus scrapes, so
 * the request path pays nothing for them. Also inferd's per-version gauges (queue depth, load
 * time) and Triton's optional latency summaries, which do need one observation per request.
 */
import { Counter, Gauge, type Registry, Summary } from 'prom-client';
import { FAILURE_REASONS, type RequestTiming, type StatisticsObserver, type VersionStatistics } from '../statistics.js';
import { INFERD_METRICS, type MetricDef, TRITON_MODEL_METRICS, TRITON_SUMMARY_METRICS } from './metric-names.js';

/** What the collector reads from one served model version (ModelVersion fits structurally). */
export interface MetricsModelVersion {
  readonly name: string;
  readonly version: number;
  readonly stats: VersionStatistics;
  readonly scheduler?: { readonly inflight: number; readonly queued?: number } | undefined;
}

/** Options of the Triton collector. */
export interface TritonCollectorOptions {
  readonly registry: Registry;
  /** The versions to report: those currently loaded. Called once per scrape. */
  readonly versions: () => Iterable<MetricsModelVersion>;
  /** Triton's counter_latencies (default true): the cumulative `*_duration_us` counters. */
  readonly counterLatencies: boolean;
  /** Triton's summary_latencies: per-request `*_summary_us` summaries. */
  readonly summaryLatencies: boolean;
}

type Labels = { model: string; version: string };

const US_PER_NS = 1 / 1000;

/** Whole microseconds of a nanosecond total, as Triton reports them. */
function us(ns: number): number {
  return Math.round(ns * US_PER_NS);
}

function counter(def: MetricDef, registry: Registry, collect?: () => void): Counter<string> {
  return new Counter({ name: def.name, help: def.help, labelNames: [...def.labels], registers: [registry], ...(collect ? { collect } : {}) });
}

function gauge(def: MetricDef, registry: Registry): Gauge<string> {
  return new Gauge({ name: def.name, help: def.help, labelNames: [...def.labels], registers: [registry] });
}

/** Registers Triton's model metrics on a registry and feeds them from statistics at scrape time. */
export class TritonCollector {
  private readonly loadSeconds = new WeakMap<VersionStatistics, number>();
  private readonly summaries: Record<keyof typeof TRITON_SUMMARY_METRICS, Summary<string>> | undefined;
  private readonly counters: Record<'success' | 'failure' | 'inferences' | 'executions' | 'cacheHits' | 'cacheMisses' | 'cacheHitUs' | 'cacheMissUs', Counter<string>>;
  private readonly durations: Record<'request' | 'queue' | 'computeInput' | 'computeInfer' | 'computeOutput', Counter<string>> | undefined;
  private readonly gauges: Record<'pending' | 'queueDepth' | 'loadSeconds', Gauge<string>>;

  constructor(private readonly opts: TritonCollectorOptions) {
    const r = opts.registry;
    const m = TRITON_MODEL_METRICS;
    // NOTE: the first metric's collect callback refreshes every per-model series; prom-client
    // reads the metrics in registration order and this callback is synchronous.
    this.counters = {
      success: counter(m.requestSuccess, r, () => this.refresh()),
      failure: counter(m.requestFailure, r),
      inferences: counter(m.inferenceCount, r),
      executions: counter(m.execCount, r),
      cacheHits: counter(m.cacheHits, r),
      cacheMisses: counter(m.cacheMisses, r),
      cacheHitUs: counter(m.cacheHitDuration, r),
      cacheMissUs: counter(m.cacheMissDuration, r),
    };
    this.durations = opts.counterLatencies
      ? {
          request: counter(m.requestDuration, r),
          queue: counter(m.queueDuration, r),
          computeInput: counter(m.computeInputDuration, r),
          computeInfer: counter(m.computeInferDuration, r),
          computeOutput: counter(m.computeOutputDuration, r),
        }
      : undefined;
    this.gauges = {
      pending: gauge(m.pendingRequests, r),
      queueDepth: gauge(INFERD_METRICS.queueDepth, r),
      loadSeconds: gauge(INFERD_METRICS.modelLoadDuration, r),
    };
    this.summaries = opts.summaryLatencies ? makeSummaries(r) : undefined;
  }

  private refresh(): void {
    const { counters, durations, gauges } = this;
    for (const metric of [...Object.values(counters), ...Object.values(durations ?? {}), ...Object.values(gauges)]) metric.reset();
    for (const v of this.opts.versions()) {
      const labels: Labels = { model: v.name, version: String(v.version) };
      const s = v.stats.snapshot();
      const st = s.inference_stats;
      counters.success.inc(labels, st.success.count);
      const reasons = v.stats.failuresByReason();
      for (const reason of FAILURE_REASONS) counters.failure.inc({ ...labels, reason }, reasons[reason]);
      counters.inferences.inc(labels, s.inference_count);
      counters.executions.inc(labels, s.execution_count);
      counters.cacheHits.inc(labels, st.cache_hit.count);
      counters.cacheMisses.inc(labels, st.cache_miss.count);
      counters.cacheHitUs.inc(labels, us(st.cache_hit.ns));
      counters.cacheMissUs.inc(labels, us(st.cache_miss.ns));
      if (durations) {
        durations.request.inc(labels, us(st.success.ns));
        durations.queue.inc(labels, us(st.queue.ns));
        durations.computeInput.inc(labels, us(st.compute_input.ns));
        durations.computeInfer.inc(labels, us(st.compute_infer.ns));
        durations.computeOutput.inc(labels, us(st.compute_output.ns));
      }
      const inflight = v.scheduler?.inflight ?? 0;
      gauges.pending.set(labels, v.scheduler?.queued ?? inflight);
      gauges.queueDepth.set(labels, inflight);
      const load = this.loadSeconds.get(v.stats);
      if (load !== undefined) gauges.loadSeconds.set(labels, load);
    }
  }

  /** Records that a version finished loading now (its statistics were created when loading began). */
  versionLoaded(stats: VersionStatistics, nowNs: number): void {
    this.loadSeconds.set(stats, Math.max(0, nowNs - stats.createdNs) / 1e9);
  }

  /** The per-request observer feeding the latency summaries of one version, when they are on. */
  summaryObserver(name: string, version: number): StatisticsObserver | undefined {
    const summaries = this.summaries;
    if (!summaries) return undefined;
    const labels: Labels = { model: name, version: String(version) };
    const children = {
      request: summaries.request.labels(labels),
      queue: summaries.queue.labels(labels),
      computeInput: summaries.computeInput.labels(labels),
      computeInfer: summaries.computeInfer.labels(labels),
      computeOutput: summaries.computeOutput.labels(labels),
    };
    return {
      onExecution: () => undefined,
      onSuccess: (t: RequestTiming) => {
        children.request.observe(t.totalNs * US_PER_NS);
        children.queue.observe(t.queueNs * US_PER_NS);
        children.computeInput.observe(t.computeInputNs * US_PER_NS);
        children.computeInfer.observe(t.computeInferNs * US_PER_NS);
        children.computeOutput.observe(t.computeOutputNs * US_PER_NS);
      },
      onFailure: () => undefined,
    };
  }
}

function makeSummaries(registry: Registry): Record<keyof typeof TRITON_SUMMARY_METRICS, Summary<string>> {
  const make = (def: MetricDef): Summary<string> =>
    new Summary({
      name: def.name,
      help: def.help,
      labelNames: [...def.labels],
      registers: [registry],
      // Triton's default summary_quantiles, over a sliding window like its prometheus-cpp summaries.
      percentiles: [0.5, 0.9, 0.95, 0.99],
      maxAgeSeconds: 60,
      ageBuckets: 5,
    });
  const s = TRITON_SUMMARY_METRICS;
  return {
    request: make(s.request),
    queue: make(s.queue),
    computeInput: make(s.computeInput),
    computeInfer: make(s.computeInfer),
    computeOutput: make(s.computeOutput),
  };
}
