/**
 * CPU and memory facts: /proc/cpuinfo and /proc/meminfo on Linux, `node:os` elsewhere.
 */
import os from 'node:os';
import type { CpuInfo, MemoryInfo } from './hardware-types.js';

/** CPU flags worth reporting: the SIMD sets inference kernels dispatch on. */
const SIMD_FLAGS: readonly string[] = [
  'sse3', 'ssse3', 'sse4_1', 'sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx_vnni', 'avx512f', 'avx512bw', 'avx512vl',
  'avx512_vnni', 'avx512_bf16', 'avx512_fp16', 'avx512vbmi', 'amx_tile', 'amx_int8', 'amx_bf16',
  'neon', 'asimd', 'asimddp', 'asimdhp', 'sve', 'sve2', 'i8mm', 'bf16',
];

/** Parses /proc/cpuinfo text into model, vendor, physical cores and SIMD flags (x86 and ARM layouts). */
export function parseCpuInfo(text: string): { model?: string; vendor?: string; physicalCores?: number; simd: string[] } {
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
  const flags = new Set((field('flags') ?? field('Features') ?? '').split(/\s+/).filter(Boolean));
  const cores = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const phys = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (phys !== undefined && core !== undefined) cores.add(`${phys}:${core}`);
  }
  return {
    model: field('model name') ?? field('Model') ?? field('Hardware'),
    vendor: field('vendor_id') ?? field('CPU implementer'),
    physicalCores: cores.size > 0 ? cores.size : undefined,
    simd: SIMD_FLAGS.filter((f) => flags.has(f)),
  };
}

/** Parses /proc/meminfo text (kB values) into total and available bytes. */
export function parseMemInfo(text: string): Partial<MemoryInfo> {
  const kb = (name: string): number | undefined => {
    const v = new RegExp(`^${name}:\\s*(\\d+)\\s*kB`, 'm').exec(text)?.[1];
    return v === undefined ? undefined : Number(v) * 1024;
  };
  return { totalBytes: kb('MemTotal'), availableBytes: kb('MemAvailable') ?? kb('MemFree') };
}

/** CPU facts, from `cpuinfo` text when given (Linux) and `node:os` otherwise. */
export function cpuInfo(cpuinfoText: string | undefined): CpuInfo {
  const cpus = os.cpus();
  const parsed = cpuinfoText ? parseCpuInfo(cpuinfoText) : { simd: [] };
  return {
    model: parsed.model ?? cpus[0]?.model ?? 'unknown',
    vendor: parsed.vendor,
    logicalCores: os.availableParallelism?.() ?? cpus.length,
    physicalCores: parsed.physicalCores,
    simd: parsed.simd,
  };
}

/** Memory facts, from `meminfo` text when given (Linux) and `node:os` otherwise. */
export function memoryInfo(meminfoText: string | undefined): MemoryInfo {
  const parsed = meminfoText ? parseMemInfo(meminfoText) : {};
  return { totalBytes: parsed.totalBytes ?? os.totalmem(), availableBytes: parsed.availableBytes ?? os.freemem() };
}
