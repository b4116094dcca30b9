/**
 * Hardware descriptions for selection tests: a CPU-only box and a box with NVIDIA GPUs.
 */
import type { HardwareInfo, NvidiaGpu } from '../../src/catalog/index.js';

const GiB = 1024 ** 3;

/** A machine with `ramGiB` of available RAM and optional NVIDIA GPUs (CUDA build present when GPUs are). */
export function fakeHardware(options: { ramGiB?: number; gpus?: readonly Partial<NvidiaGpu>[]; vulkan?: boolean; onnxCuda?: boolean } = {}): HardwareInfo {
  const gpus = (options.gpus ?? []).map((g, i): NvidiaGpu => ({
    index: i, name: 'NVIDIA H100 80GB HBM3', memoryTotalBytes: 80 * GiB, memoryFreeBytes: 79 * GiB, computeCapability: '9.0', driverVersion: '550.54.15', cudaVersion: '12.4', ...g,
  }));
  const gpuTypes: ('cuda' | 'vulkan' | 'metal')[] = [];
  if (gpus.length > 0) gpuTypes.push('cuda');
  if (options.vulkan) gpuTypes.push('vulkan');
  return {
    os: { platform: 'linux', arch: 'x64', release: '6.1.0' },
    cpu: { model: 'AMD EPYC', logicalCores: 2, simd: ['avx2', 'fma'] },
    memory: { totalBytes: 2 * (options.ramGiB ?? 16) * GiB, availableBytes: (options.ramGiB ?? 16) * GiB },
    gpus,
    nvidiaSmi: gpus.length > 0 ? { available: true } : { available: false, reason: 'nvidia-smi not found' },
    llamacpp: { available: true, version: '3.21.1', gpuTypes },
    onnxruntime: { available: true, cuda: options.onnxCuda ?? false },
  };
}

/** Bytes in a GiB. */
export const GIB = GiB;
