import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../../../test/ops/support.js';
import { failureReasonOf } from '../statistics.js';
import { ALL_METRICS } from './metric-names.js';
import { parseMetricsConfig } from './server-metrics.js';
import { parseNvidiaSmi, registerGpuMetrics } from './system-collector.js';

describe('metric names', () => {
  it('are unique and valid Prometheus names', () => {
    const names = ALL_METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
  });
});

describe('parseMetricsConfig', () => {
  it("reads Triton's keys and refuses others", () => {
    expect(parseMetricsConfig(['summary_latencies=true', 'counter_latencies=false'])).toEqual({ counterLatencies: false, summaryLatencies: true });
    expect(() => parseMetricsConfig(['summary_latencies=yes'])).toThrow(/true\|false/);
    expect(() => parseMetricsConfig(['gpu=true'])).toThrow(/unknown/);
  });
});

describe('failureReasonOf', () => {
  it("maps error codes to Triton's failure reasons", () => {
    expect(failureReasonOf('QUEUE_FULL')).toBe('REJECTED');
    expect(failureReasonOf('TIMEOUT')).toBe('REJECTED');
    expect(failureReasonOf('CANCELLED')).toBe('CANCELED');
    expect(failureReasonOf('INTERNAL')).toBe('BACKEND');
    expect(failureReasonOf(undefined)).toBe('OTHER');
  });
});

describe('GPU metrics', () => {
  const SMI = 'GPU-1111, 37, 81559, 1024, 71.50, 700.00\nGPU-2222, [N/A], 81559, 0, [N/A], 700.00\n';

  it('parses nvidia-smi CSV, reading [N/A] as 0', () => {
    expect(parseNvidiaSmi(SMI)).toEqual([
      { uuid: 'GPU-1111', utilization: 0.37, memoryTotalBytes: 81559 * 1048576, memoryUsedBytes: 1024 * 1048576, powerWatts: 71.5, powerLimitWatts: 700 },
      { uuid: 'GPU-2222', utilization: 0, memoryTotalBytes: 81559 * 1048576, memoryUsedBytes: 0, powerWatts: 0, powerLimitWatts: 700 },
    ]);
  });

  it('registers per-GPU gauges only when GPUs are found', async () => {
    const none = new Registry();
    expect(await registerGpuMetrics(none, async () => [])).toBe(0);
    expect((await none.metrics()).trim()).toBe('');
    const some = new Registry();
    expect(await registerGpuMetrics(some, async () => parseNvidiaSmi(SMI))).toBe(2);
    const s = parseExposition(await some.metrics());
    expect(sampleValue(s, 'nv_gpu_utilization', { gpu_uuid: 'GPU-1111' })).toBe(0.37);
    expect(sampleValue(s, 'nv_gpu_memory_used_bytes', { gpu_uuid: 'GPU-1111' })).toBe(1024 * 1048576);
    expect(sampleValue(s, 'nv_gpu_power_limit', { gpu_uuid: 'GPU-2222' })).toBe(700);
  });
});
