/**
 * What `inferd inspect` reports and profile selection reads: CPU, memory, NVIDIA GPUs and the
 * engines (with the GPU builds node-llama-cpp can use). Missing tools give empty parts, never errors.
 */

/** The CPU. */
export interface CpuInfo {
  readonly model: string;
  readonly vendor?: string;
  /** Logical processors the OS schedules on. */
  readonly logicalCores: number;
  /** Physical cores, when /proc/cpuinfo says. */
  readonly physicalCores?: number;
  /** SIMD extensions llama.cpp and onnxruntime use (`avx2`, `avx512f`, `fma`, `neon`, ...). */
  readonly simd: readonly string[];
}

/** System memory in bytes. */
export interface MemoryInfo {
  readonly totalBytes: number;
  /** Memory the kernel could hand out without swapping (MemAvailable), else free memory. */
  readonly availableBytes: number;
}

/** One NVIDIA GPU as `nvidia-smi` reports it. */
export interface NvidiaGpu {
  readonly index: number;
  readonly name: string;
  readonly uuid?: string;
  readonly memoryTotalBytes: number;
  readonly memoryFreeBytes: number;
  /** `major.minor`, e.g. `9.0`; absent on drivers without the compute_cap query field. */
  readonly computeCapability?: string;
  readonly driverVersion?: string;
  /** Highest CUDA version the driver supports. */
  readonly cudaVersion?: string;
}

/** Whether a tool could be run, and why not. */
export interface ToolStatus {
  readonly available: boolean;
  /** Why it is unavailable (not installed, failed, timed out). */
  readonly reason?: string;
}

/** GPU builds node-llama-cpp can load here, as it reports them. */
export interface LlamaCppInfo extends ToolStatus {
  readonly version?: string;
  /** `cuda`, `vulkan`, `metal` builds with their libraries present (getLlamaGpuTypes('supported')). */
  readonly gpuTypes: readonly ('cuda' | 'vulkan' | 'metal')[];
}

/** The onnxruntime-node install. */
export interface OnnxRuntimeInfo extends ToolStatus {
  /** True when the CUDA execution provider library ships with the install. */
  readonly cuda: boolean;
}

/** Everything inspection found. */
export interface HardwareInfo {
  readonly os: { readonly platform: string; readonly arch: string; readonly release: string };
  readonly cpu: CpuInfo;
  readonly memory: MemoryInfo;
  readonly gpus: readonly NvidiaGpu[];
  readonly nvidiaSmi: ToolStatus;
  readonly llamacpp: LlamaCppInfo;
  readonly onnxruntime: OnnxRuntimeInfo;
}
