/**
 * Hardware inspection: CPU, memory, NVIDIA GPUs and engines in one report. Every probe is
 * injectable so selection tests run against fake machines and CLI tests against real-format
 * tool output.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { cpuInfo, memoryInfo } from './cpu-memory.js';
import { probeLlamaCpp, probeOnnxRuntime } from './engine-probe.js';
import type { HardwareInfo, LlamaCppInfo, OnnxRuntimeInfo } from './hardware-types.js';
import { execCommand, inspectNvidiaGpus, type CommandRunner } from './nvidia-smi.js';

/** Probes to use instead of the real ones. */
export interface InspectOptions {
  /** Runs nvidia-smi; default execFile. */
  readonly runCommand?: CommandRunner;
  /** Reads /proc files; default fs.readFile (missing files give undefined). */
  readonly readTextFile?: (file: string) => Promise<string | undefined>;
  readonly probeLlamaCpp?: () => Promise<LlamaCppInfo>;
  readonly probeOnnxRuntime?: () => OnnxRuntimeInfo;
}

async function readIfPresent(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined);
}

/** Inspects this machine; never throws for a missing tool. */
export async function inspectHardware(options: InspectOptions = {}): Promise<HardwareInfo> {
  const read = options.readTextFile ?? readIfPresent;
  const linux = process.platform === 'linux';
  const [cpuinfo, meminfo, nvidia, llamacpp] = await Promise.all([
    linux ? read('/proc/cpuinfo') : Promise.resolve(undefined),
    linux ? read('/proc/meminfo') : Promise.resolve(undefined),
    inspectNvidiaGpus(options.runCommand ?? execCommand),
    (options.probeLlamaCpp ?? probeLlamaCpp)(),
  ]);
  return {
    os: { platform: process.platform, arch: process.arch, release: os.release() },
    cpu: cpuInfo(cpuinfo),
    memory: memoryInfo(meminfo),
    gpus: nvidia.gpus,
    nvidiaSmi: nvidia.status,
    llamacpp,
    onnxruntime: (options.probeOnnxRuntime ?? probeOnnxRuntime)(),
  };
}
