import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../../../test/ops/support.js';
import { LlmMetricsCollector, type LlmStatsSnapshot } from './llm-metrics.js';

/** A fake LLM engine whose numbers the test controls. */
function fakeSource(modelName: string): { modelName: string; stats: LlmStatsSnapshot; snapshot(): LlmStatsSnapshot } {
  return {
    modelName,
    stats: {
      running: 3,
      waiting: 2,
      maxRequests: 8,
      kvCacheUsage: 0.25,
      promptTokens: 120,
      generationTokens: 45,
      successByReason: { stop: 4, length: 1 },
      failures: 2,
      prefixCacheQueries: 100,
      prefixCacheHits: 60,
    },
    snapshot() {
      return this.stats;
    },
  };
}

async function scrape(registry: Registry): Promise<ReturnType<typeof parseExposition>> {
  return parseExposition(await registry.metrics());
}

describe('LlmMetricsCollector', () => {
  it('exposes NIM names read from the source at scrape time, and histograms from observations', async () => {
    const registry = new Registry();
    const hub = new LlmMetricsCollector(registry, false);
    const source = fakeSource('tiny');
    const recorder = hub.register(source);
    recorder.observe({ timeToFirstTokenSeconds: 0.03, interTokenSeconds: [0.01, 0.02, 0.2], e2eSeconds: 0.4, promptTokens: 12, generationTokens: 4 });
    recorder.observe({ e2eSeconds: 1.2, promptTokens: 7, generationTokens: 0 });
    let s = await scrape(registry);
    const l = { model_name: 'tiny' };
    expect(sampleValue(s, 'num_requests_running', l)).toBe(3);
    expect(sampleValue(s, 'num_requests_waiting', l)).toBe(2);
    expect(sampleValue(s, 'num_request_max', l)).toBe(8);
    expect(sampleValue(s, 'gpu_cache_usage_perc', l)).toBe(0.25);
    expect(sampleValue(s, 'kv_cache_usage_perc', l)).toBe(0.25);
    expect(sampleValue(s, 'prompt_tokens_total', l)).toBe(120);
    expect(sampleValue(s, 'generation_tokens_total', l)).toBe(45);
    expect(sampleValue(s, 'request_success_total', { ...l, finished_reason: 'stop' })).toBe(4);
    expect(sampleValue(s, 'request_success_total', { ...l, finished_reason: 'length' })).toBe(1);
    expect(sampleValue(s, 'request_failure_total', l)).toBe(2);
    expect(sampleValue(s, 'prefix_cache_queries_total', l)).toBe(100);
    expect(sampleValue(s, 'prefix_cache_hits_total', l)).toBe(60);
    expect(sampleValue(s, 'time_to_first_token_seconds_count', l)).toBe(1);
    expect(sampleValue(s, 'time_to_first_token_seconds_bucket', { ...l, le: '0.04' })).toBe(1);
    expect(sampleValue(s, 'time_to_first_token_seconds_bucket', { ...l, le: '0.02' })).toBe(0);
    expect(sampleValue(s, 'time_per_output_token_seconds_count', l)).toBe(3);
    expect(sampleValue(s, 'time_per_output_token_seconds_bucket', { ...l, le: '0.025' })).toBe(2);
    expect(sampleValue(s, 'e2e_request_latency_seconds_count', l)).toBe(2);
    expect(sampleValue(s, 'e2e_request_latency_seconds_sum', l)).toBeCloseTo(1.6);
    expect(sampleValue(s, 'request_prompt_tokens_sum', l)).toBe(19);
    expect(sampleValue(s, 'request_generation_tokens_sum', l)).toBe(4);
    expect(s.some((x) => x.name.startsWith('vllm:'))).toBe(false);

    // Live values follow the source on the next scrape.
    source.stats = { ...source.stats, running: 0, generationTokens: 50 };
    s = await scrape(registry);
    expect(sampleValue(s, 'num_requests_running', l)).toBe(0);
    expect(sampleValue(s, 'generation_tokens_total', l)).toBe(50);

    recorder.unregister();
    s = await scrape(registry);
    expect(s.some((x) => x.labels.model_name === 'tiny')).toBe(false);
  });

  it('adds vllm: aliases with --metrics-vllm-aliases (none for NIM-only num_request_max)', async () => {
    const registry = new Registry();
    const hub = new LlmMetricsCollector(registry, true);
    hub.register(fakeSource('a')).observe({ timeToFirstTokenSeconds: 0.5, e2eSeconds: 1, promptTokens: 1, generationTokens: 1 });
    hub.register(fakeSource('b'));
    const s = await scrape(registry);
    expect(sampleValue(s, 'vllm:num_requests_running', { model_name: 'b' })).toBe(3);
    expect(sampleValue(s, 'vllm:kv_cache_usage_perc', { model_name: 'a' })).toBe(0.25);
    expect(sampleValue(s, 'vllm:request_success_total', { model_name: 'a', finished_reason: 'stop' })).toBe(4);
    expect(sampleValue(s, 'vllm:time_to_first_token_seconds_count', { model_name: 'a' })).toBe(1);
    expect(sampleValue(s, 'num_requests_running', { model_name: 'a' })).toBe(3);
    expect(s.some((x) => x.name === 'vllm:num_request_max')).toBe(false);
  });
});
