/**
 * The server's metrics registry: Triton's model and host metrics, NIM/vLLM LLM metrics, inferd's
 * own counters and Node process metrics, rendered in Prometheus text format. One instance per
 * running server (tests start several in one process, so nothing here is global).
 */
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { nowNs, type StatisticsObserver, type VersionStatistics } from '../statistics.js';
import { LlmMetricsCollector, type LlmMetricsHub } from './llm-metrics.js';
import { addStatisticsObserver, type VersionInstrument } from './instrument-versions.js';
import { INFERD_METRICS } from './metric-names.js';
import { registerCpuMetrics, registerGpuMetrics } from './system-collector.js';
import { type MetricsModelVersion, TritonCollector } from './triton-collector.js';

/** Triton's `--metrics-config` settings inferd honours. */
export interface MetricsConfig {
  /** Cumulative `*_duration_us` counters (Triton default true). */
  readonly counterLatencies: boolean;
  /** Per-request `*_summary_us` summaries (Triton default false). */
  readonly summaryLatencies: boolean;
}

/** Defaults of MetricsConfig, Triton's. */
export const DEFAULT_METRICS_CONFIG: MetricsConfig = { counterLatencies: true, summaryLatencies: false };

/** Options of ServerMetrics. */
export interface ServerMetricsOptions {
  /** The model versions to report (READY or draining), called once per scrape. */
  readonly versions: () => Iterable<MetricsModelVersion>;
  readonly config?: MetricsConfig;
  /** Also expose the LLM metrics as `vllm:<name>`. */
  readonly vllmAliases?: boolean;
  /** nv_cpu_* gauges (Triton's --allow-cpu-metrics, default true). */
  readonly cpuMetrics?: boolean;
  /** nv_gpu_* gauges when nvidia-smi is present (Triton's --allow-gpu-metrics, default true). */
  readonly gpuMetrics?: boolean;
  /** Node process metrics (process_*, nodejs_*), default true. */
  readonly processMetrics?: boolean;
}

/** Protocol label of the rejection counter. */
export type RejectionProtocol = 'http' | 'grpc';

/** All metrics of one server. */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Where LLM engines register their NIM/vLLM statistics sources. */
  readonly llm: LlmMetricsHub;
  private readonly triton: TritonCollector;
  private readonly rejected: Counter<string>;
  /** Resolves once the GPU probe finished (with the number of GPUs found). */
  readonly gpuProbe: Promise<number>;

  constructor(opts: ServerMetricsOptions) {
    const config = opts.config ?? DEFAULT_METRICS_CONFIG;
    this.triton = new TritonCollector({ registry: this.registry, versions: opts.versions, ...config });
    this.llm = new LlmMetricsCollector(this.registry, opts.vllmAliases ?? false);
    const r = INFERD_METRICS.rejected;
    this.rejected = new Counter({ name: r.name, help: r.help, labelNames: [...r.labels], registers: [this.registry] });
    if (opts.cpuMetrics ?? true) registerCpuMetrics(this.registry);
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.gpuProbe = opts.gpuMetrics ?? true ? registerGpuMetrics(this.registry).catch(() => 0) : Promise.resolve(0);
  }

  /** Counts a request answered 429 or 503; other statuses are ignored. */
  recordRejection(protocol: RejectionProtocol, status: number): void {
    if (status === 429 || status === 503) this.rejected.inc({ protocol, code: String(status) });
  }

  /** Records that a version finished loading (load time = now minus the creation of its statistics). */
  versionLoaded(stats: VersionStatistics): void {
    this.triton.versionLoaded(stats, nowNs());
  }

  /** The latency-summary observer of a version, when `summary_latencies` is on. */
  summaryObserver(name: string, version: number): StatisticsObserver | undefined {
    return this.triton.summaryObserver(name, version);
  }

  /** Instrument for the scheduler factory: records load time and attaches latency summaries. */
  readonly instrument: VersionInstrument = (version, scheduler) => {
    this.versionLoaded(version.stats);
    const observer = this.summaryObserver(version.name, version.version);
    if (observer) addStatisticsObserver(version.stats, observer);
    return scheduler;
  };

  /** Content-Type of `render()`'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition in Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Parses Triton's `--metrics-config key=value` entries onto `base`; throws on unknown keys. */
export function parseMetricsConfig(entries: readonly string[], base: MetricsConfig = DEFAULT_METRICS_CONFIG): MetricsConfig {
  let config = base;
  for (const entry of entries) {
    const [key, value] = entry.split('=').map((s) => s.trim());
    const bool = value === 'true' ? true : value === 'false' ? false : undefined;
    if (bool === undefined) throw new Error(`--metrics-config ${entry}: expected ${key ?? 'key'}=true|false`);
    if (key === 'counter_latencies') config = { ...config, counterLatencies: bool };
    else if (key === 'summary_latencies') config = { ...config, summaryLatencies: bool };
    else throw new Error(`unknown --metrics-config key '${key ?? ''}' (known: counter_latencies, summary_latencies)`);
  }
  return config;
}
