/**
 * Triton's host metrics: CPU utilization and RAM, sampled when Prometheus scrapes, and GPU gauges
 * read from `nvidia-smi` when it exists (checked once; absent on CPU-only hosts, where no GPU
 * series appear at all).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Gauge, type Registry } from 'prom-client';
import { type MetricDef, TRITON_CPU_METRICS, TRITON_GPU_METRICS } from './metric-names.js';

interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

/** Used RAM the way `free` counts it: total minus MemAvailable (falls back to os.freemem). */
function usedMemoryBytes(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return os.totalmem() - Number(m[1]) * 1024;
  } catch {
    // Not Linux: os.freemem is the best available figure.
  }
  return os.totalmem() - os.freemem();
}

function gauge(def: MetricDef, registry: Registry, collect?: (g: Gauge<string>) => void | Promise<void>): Gauge<string> {
  return new Gauge({
    name: def.name,
    help: def.help,
    labelNames: [...def.labels],
    registers: [registry],
    ...(collect ? { collect(this: Gauge<string>) { return collect(this); } } : {}),
  });
}

/** Registers nv_cpu_* gauges; utilization is the busy share of CPU time since the previous scrape. */
export function registerCpuMetrics(registry: Registry): void {
  let last = cpuTimes();
  gauge(TRITON_CPU_METRICS.utilization, registry, (g) => {
    const now = cpuTimes();
    const total = now.total - last.total;
    g.set(total > 0 ? (now.busy - last.busy) / total : 0);
    last = now;
  });
  gauge(TRITON_CPU_METRICS.memoryTotal, registry, (g) => g.set(os.totalmem()));
  gauge(TRITON_CPU_METRICS.memoryUsed, registry, (g) => g.set(usedMemoryBytes()));
}

/** One GPU as nvidia-smi reports it. */
export interface GpuSample {
  readonly uuid: string;
  /** 0..1 */
  readonly utilization: number;
  readonly memoryTotalBytes: number;
  readonly memoryUsedBytes: number;
  readonly powerWatts: number;
  readonly powerLimitWatts: number;
}

const QUERY = 'uuid,utilization.gpu,memory.total,memory.used,power.draw,power.limit';
const MIB = 1024 * 1024;

/** Parses `nvidia-smi --query-gpu=<QUERY> --format=csv,noheader,nounits` output; unknown fields ([N/A]) read as 0. */
export function parseNvidiaSmi(text: string): GpuSample[] {
  const num = (v: string | undefined): number => {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  };
  return text
    .split('\n')
    .map((line) => line.split(',').map((f) => f.trim()))
    .filter((f) => f.length >= 6 && f[0])
    .map((f) => ({
      uuid: f[0] as string,
      utilization: num(f[1]) / 100,
      memoryTotalBytes: num(f[2]) * MIB,
      memoryUsedBytes: num(f[3]) * MIB,
      powerWatts: num(f[4]),
      powerLimitWatts: num(f[5]),
    }));
}

function runNvidiaSmi(): Promise<GpuSample[]> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', [`--query-gpu=${QUERY}`, '--format=csv,noheader,nounits'], { timeout: 2000 }, (err, stdout) => {
      resolve(err ? [] : parseNvidiaSmi(stdout));
    });
  });
}

/**
 * Registers nv_gpu_* gauges when nvidia-smi answers; resolves to the number of GPUs found.
 * Samples are cached for a second so one scrape runs nvidia-smi once, not once per gauge.
 */
export async function registerGpuMetrics(registry: Registry, sample: () => Promise<GpuSample[]> = runNvidiaSmi): Promise<number> {
  const first = await sample();
  if (first.length === 0) return 0;
  let cached = { at: Date.now(), gpus: first };
  const current = async (): Promise<GpuSample[]> => {
    if (Date.now() - cached.at > 1000) cached = { at: Date.now(), gpus: await sample() };
    return cached.gpus;
  };
  const each = (def: MetricDef, value: (g: GpuSample) => number): void => {
    gauge(def, registry, async (g) => {
      g.reset();
      for (const gpu of await current()) g.set({ gpu_uuid: gpu.uuid }, value(gpu));
    });
  };
  const m = TRITON_GPU_METRICS;
  each(m.utilization, (g) => g.utilization);
  each(m.memoryTotal, (g) => g.memoryTotalBytes);
  each(m.memoryUsed, (g) => g.memoryUsedBytes);
  each(m.powerUsage, (g) => g.powerWatts);
  each(m.powerLimit, (g) => g.powerLimitWatts);
  return first.length;
}
