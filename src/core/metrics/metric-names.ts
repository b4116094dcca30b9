/**
 * Every metric inferd exposes, with its name, help text, type and label names, in one place.
 * Triton's and NIM's names are kept verbatim (dashboards and autoscaler rules match on them), so
 * some break Prometheus naming conventions (e.g. counters without `_total`); promtool reports
 * those as lint only.
 */

/** Prometheus metric type of a definition. */
export type MetricKind = 'counter' | 'gauge' | 'histogram' | 'summary';

/** One metric: its exposition name, help, type and label names. */
export interface MetricDef {
  readonly name: string;
  readonly help: string;
  readonly kind: MetricKind;
  readonly labels: readonly string[];
}

const MODEL = ['model', 'version'] as const;
const GPU = ['gpu_uuid'] as const;
const LLM = ['model_name'] as const;

function def(kind: MetricKind, name: string, help: string, labels: readonly string[] = []): MetricDef {
  return { name, help, kind, labels };
}

/** Triton's per-model request metrics (labels `model`, `version`), derived from statistics at scrape time. */
export const TRITON_MODEL_METRICS = {
  requestSuccess: def('counter', 'nv_inference_request_success', 'Number of successful inference requests, all batch sizes', MODEL),
  requestFailure: def('counter', 'nv_inference_request_failure', 'Number of failed inference requests, all batch sizes', [...MODEL, 'reason']),
  inferenceCount: def('counter', 'nv_inference_count', 'Number of inferences performed (does not include cached requests)', MODEL),
  execCount: def('counter', 'nv_inference_exec_count', 'Number of model executions performed (does not include cached requests)', MODEL),
  requestDuration: def('counter', 'nv_inference_request_duration_us', 'Cumulative inference request duration in microseconds (includes cached requests)', MODEL),
  queueDuration: def('counter', 'nv_inference_queue_duration_us', 'Cumulative inference queuing duration in microseconds (includes cached requests)', MODEL),
  computeInputDuration: def('counter', 'nv_inference_compute_input_duration_us', 'Cumulative compute input duration in microseconds (does not include cached requests)', MODEL),
  computeInferDuration: def('counter', 'nv_inference_compute_infer_duration_us', 'Cumulative compute inference duration in microseconds (does not include cached requests)', MODEL),
  computeOutputDuration: def('counter', 'nv_inference_compute_output_duration_us', 'Cumulative inference compute output duration in microseconds (does not include cached requests)', MODEL),
  pendingRequests: def('gauge', 'nv_inference_pending_request_count', 'Instantaneous number of pending requests awaiting execution per-model.', MODEL),
  cacheHits: def('counter', 'nv_cache_num_hits_per_model', 'Number of cache hits per model', MODEL),
  cacheMisses: def('counter', 'nv_cache_num_misses_per_model', 'Number of cache misses per model', MODEL),
  cacheHitDuration: def('counter', 'nv_cache_hit_duration_per_model', 'Total cache hit duration per model, in microseconds', MODEL),
  cacheMissDuration: def('counter', 'nv_cache_miss_duration_per_model', 'Total cache miss (insertion) duration per model, in microseconds', MODEL),
} as const;

/** Triton's optional latency summaries (`--metrics-config summary_latencies=true`), observed per request. */
export const TRITON_SUMMARY_METRICS = {
  request: def('summary', 'nv_inference_request_summary_us', 'Summary of inference request duration in microseconds (includes cached requests)', MODEL),
  queue: def('summary', 'nv_inference_queue_summary_us', 'Summary of inference queuing duration in microseconds (includes cached requests)', MODEL),
  computeInput: def('summary', 'nv_inference_compute_input_summary_us', 'Summary of compute input duration in microseconds (does not include cached requests)', MODEL),
  computeInfer: def('summary', 'nv_inference_compute_infer_summary_us', 'Summary of compute inference duration in microseconds (does not include cached requests)', MODEL),
  computeOutput: def('summary', 'nv_inference_compute_output_summary_us', 'Summary of compute output duration in microseconds (does not include cached requests)', MODEL),
} as const;

/** Triton's CPU metrics (whole host), sampled at scrape time. */
export const TRITON_CPU_METRICS = {
  utilization: def('gauge', 'nv_cpu_utilization', 'CPU utilization rate [0.0 - 1.0]'),
  memoryTotal: def('gauge', 'nv_cpu_memory_total_bytes', 'CPU total memory (RAM), in bytes'),
  memoryUsed: def('gauge', 'nv_cpu_memory_used_bytes', 'CPU used memory (RAM), in bytes'),
} as const;

/** Triton's GPU metrics (label `gpu_uuid`), only when nvidia-smi reports GPUs. */
export const TRITON_GPU_METRICS = {
  utilization: def('gauge', 'nv_gpu_utilization', 'GPU utilization rate [0.0 - 1.0)', GPU),
  memoryTotal: def('gauge', 'nv_gpu_memory_total_bytes', 'GPU total memory, in bytes', GPU),
  memoryUsed: def('gauge', 'nv_gpu_memory_used_bytes', 'GPU used memory, in bytes', GPU),
  powerUsage: def('gauge', 'nv_gpu_power_usage', 'GPU power usage in watts', GPU),
  powerLimit: def('gauge', 'nv_gpu_power_limit', 'GPU power management limit in watts', GPU),
} as const;

/** inferd's own metrics. */
export const INFERD_METRICS = {
  modelLoadDuration: def('gauge', 'inferd_model_load_duration_seconds', 'Time the last load of a model version took, in seconds', MODEL),
  queueDepth: def('gauge', 'inferd_queue_depth', 'Requests queued or executing per model version', MODEL),
  rejected: def('counter', 'inferd_requests_rejected_total', 'Requests answered 429 or 503 (overload, rate limit, unavailable)', ['protocol', 'code']),
} as const;

/**
 * NIM's LLM metric names (label `model_name`); with `--metrics-vllm-aliases` each is also exposed
 * under `vllm:<name>`. `num_request_max` is NIM's own and has no vLLM twin.
 */
export const LLM_METRICS = {
  running: def('gauge', 'num_requests_running', 'Number of requests currently running on GPU.', LLM),
  waiting: def('gauge', 'num_requests_waiting', 'Number of requests waiting to be processed.', LLM),
  maxRequests: def('gauge', 'num_request_max', 'Max number of concurrently running requests.', LLM),
  gpuCacheUsage: def('gauge', 'gpu_cache_usage_perc', 'GPU KV-cache usage. 1 means 100 percent usage.', LLM),
  kvCacheUsage: def('gauge', 'kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', LLM),
  promptTokens: def('counter', 'prompt_tokens_total', 'Number of prefill tokens processed.', LLM),
  generationTokens: def('counter', 'generation_tokens_total', 'Number of generation tokens processed.', LLM),
  requestSuccess: def('counter', 'request_success_total', 'Count of successfully processed requests.', [...LLM, 'finished_reason']),
  requestFailure: def('counter', 'request_failure_total', 'Count of failed requests.', LLM),
  prefixCacheQueries: def('counter', 'prefix_cache_queries_total', 'Prefix cache queries, in terms of number of queried tokens.', LLM),
  prefixCacheHits: def('counter', 'prefix_cache_hits_total', 'Prefix cache hits, in terms of number of cached tokens.', LLM),
  timeToFirstToken: def('histogram', 'time_to_first_token_seconds', 'Histogram of time to first token in seconds.', LLM),
  timePerOutputToken: def('histogram', 'time_per_output_token_seconds', 'Histogram of time per output token in seconds.', LLM),
  e2eLatency: def('histogram', 'e2e_request_latency_seconds', 'Histogram of end to end request latency in seconds.', LLM),
  requestPromptTokens: def('histogram', 'request_prompt_tokens', 'Number of prefill tokens processed.', LLM),
  requestGenerationTokens: def('histogram', 'request_generation_tokens', 'Number of generation tokens processed.', LLM),
} as const;

/** LLM metrics without a vLLM twin. */
export const LLM_METRICS_WITHOUT_VLLM_ALIAS: ReadonlySet<string> = new Set([LLM_METRICS.maxRequests.name]);

/** Prefix of the vLLM aliases. */
export const VLLM_PREFIX = 'vllm:';

/** Bucket bounds of the LLM histograms, as vLLM uses them. */
export const LLM_BUCKETS = {
  timeToFirstToken: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560],
  timePerOutputToken: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80],
  e2eLatency: [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680],
  tokens: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000],
} as const;

/** Every definition, for documentation and uniqueness checks. */
export const ALL_METRICS: readonly MetricDef[] = [
  ...Object.values(TRITON_MODEL_METRICS),
  ...Object.values(TRITON_SUMMARY_METRICS),
  ...Object.values(TRITON_CPU_METRICS),
  ...Object.values(TRITON_GPU_METRICS),
  ...Object.values(INFERD_METRICS),
  ...Object.values(LLM_METRICS),
];
