import { describe, expect, it } from 'vitest';
import { inspectHardware } from '../../src/catalog/index.js';
import { parseCpuInfo, parseMemInfo } from '../../src/catalog/hardware/cpu-memory.js';
import { inspectNvidiaGpus, parseCudaVersion, parseGpuQuery, type CommandRunner } from '../../src/catalog/hardware/nvidia-smi.js';
import { DRIVER_FAILURE, OLD_DRIVER_ERROR, PLAIN_BANNER, QUERY_TWO_GPUS } from './nvidia-smi-fixtures.js';

const MiB = 1024 * 1024;

/** A runner answering like nvidia-smi on a machine with `query` output, recording calls. */
function fakeSmi(answer: (args: readonly string[]) => { code: number; stdout: string }): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run: CommandRunner = async (cmd, args) => {
    calls.push([cmd, ...args]);
    return { ...answer(args), stderr: '' };
  };
  return Object.assign(run, { calls });
}

const X86_CPUINFO = `processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512bw avx512_vnni avx512_bf16

processor\t: 1
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512bw avx512_vnni avx512_bf16

processor\t: 2
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
physical id\t: 0
core id\t\t: 1
flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512bw avx512_vnni avx512_bf16
`;

const ARM_CPUINFO = `processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp sve i8mm bf16
CPU implementer\t: 0x41
`;

describe('nvidia-smi', () => {
  it('parses the csv query with MiB converted to bytes and [N/A] as absent', () => {
    const gpus = parseGpuQuery(QUERY_TWO_GPUS);
    expect(gpus).toHaveLength(2);
    expect(gpus[0]).toEqual({
      index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-5e2ad3b6-8f1c-4b3a-9d0e-2c1f7a8b9c0d',
      memoryTotalBytes: 81559 * MiB, memoryFreeBytes: 81004 * MiB, computeCapability: '9.0', driverVersion: '550.54.15',
    });
    expect(gpus[1]).toMatchObject({ index: 1, name: 'NVIDIA L4', memoryFreeBytes: 0, computeCapability: '8.9' });
    expect(parseCudaVersion(PLAIN_BANNER)).toBe('12.4');
    expect(parseCudaVersion('CUDA Version        : 12.2\n')).toBe('12.2');
  });

  it('queries GPUs, then the CUDA version from the banner', async () => {
    const run = fakeSmi((args) => ({ code: 0, stdout: args.length ? QUERY_TWO_GPUS : PLAIN_BANNER }));
    const r = await inspectNvidiaGpus(run);
    expect(r.status).toEqual({ available: true });
    expect(r.gpus.map((g) => g.cudaVersion)).toEqual(['12.4', '12.4']);
    expect(run.calls[0]).toEqual(['nvidia-smi', '--query-gpu=index,name,uuid,memory.total,memory.free,compute_cap,driver_version', '--format=csv,noheader,nounits']);
  });

  it('retries without compute_cap on old drivers', async () => {
    const run = fakeSmi((args) => {
      if (args[0]?.includes('compute_cap')) return { code: 2, stdout: OLD_DRIVER_ERROR };
      return { code: 0, stdout: args.length ? '0, Tesla T4, GPU-1, 15360, 15100, 470.82.01\n' : PLAIN_BANNER };
    });
    const r = await inspectNvidiaGpus(run);
    expect(r.gpus).toEqual([expect.objectContaining({ name: 'Tesla T4', memoryTotalBytes: 15360 * MiB, driverVersion: '470.82.01', computeCapability: undefined })]);
  });

  it('reports a missing tool or driver as no GPUs, with the reason', async () => {
    const missing: CommandRunner = async () => {
      throw Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
    };
    expect(await inspectNvidiaGpus(missing)).toEqual({ gpus: [], status: { available: false, reason: 'nvidia-smi not found' } });
    const broken = await inspectNvidiaGpus(fakeSmi(() => ({ code: 9, stdout: DRIVER_FAILURE })));
    expect(broken.gpus).toEqual([]);
    expect(broken.status.reason).toMatch(/couldn't communicate with the NVIDIA driver/);
  });
});

describe('cpu and memory', () => {
  it('parses x86 and ARM /proc/cpuinfo', () => {
    expect(parseCpuInfo(X86_CPUINFO)).toEqual({
      model: 'AMD EPYC 7B13', vendor: 'AuthenticAMD', physicalCores: 2,
      simd: ['ssse3', 'sse4_1', 'sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx512_bf16'],
    });
    expect(parseCpuInfo(ARM_CPUINFO)).toMatchObject({ vendor: '0x41', simd: ['asimd', 'asimddp', 'asimdhp', 'sve', 'i8mm', 'bf16'] });
  });

  it('parses /proc/meminfo in kB', () => {
    expect(parseMemInfo('MemTotal:       24684084 kB\nMemFree:        23241904 kB\nMemAvailable:   24006116 kB\n')).toEqual({
      totalBytes: 24684084 * 1024, availableBytes: 24006116 * 1024,
    });
  });
});

describe('inspectHardware', () => {
  it('combines injected probes', async () => {
    const hw = await inspectHardware({
      runCommand: fakeSmi((args) => ({ code: 0, stdout: args.length ? QUERY_TWO_GPUS : PLAIN_BANNER })),
      readTextFile: async (f) => (f === '/proc/cpuinfo' ? X86_CPUINFO : f === '/proc/meminfo' ? 'MemTotal: 1024 kB\nMemAvailable: 512 kB\n' : undefined),
      probeLlamaCpp: async () => ({ available: true, version: '3.21.1', gpuTypes: ['cuda'] }),
      probeOnnxRuntime: () => ({ available: true, cuda: false }),
    });
    expect(hw.gpus).toHaveLength(2);
    expect(hw.llamacpp.gpuTypes).toEqual(['cuda']);
    if (process.platform === 'linux') {
      expect(hw.cpu.model).toBe('AMD EPYC 7B13');
      expect(hw.memory).toEqual({ totalBytes: 1024 * 1024, availableBytes: 512 * 1024 });
    }
  });

  it('inspects this machine without failing', async () => {
    const hw = await inspectHardware();
    expect(hw.cpu.logicalCores).toBeGreaterThan(0);
    expect(hw.memory.totalBytes).toBeGreaterThan(hw.memory.availableBytes * 0.99 - 1);
    expect(hw.nvidiaSmi.available || hw.gpus.length === 0).toBe(true);
    expect(hw.llamacpp.available).toBe(true);
    expect(hw.onnxruntime.available).toBe(true);
  });
});
