/**
 * `inferd inspect`: the hardware inferd sees (CPU, memory, NVIDIA GPUs, engines and their GPU
 * builds), as text or JSON. Missing tools are reported, never fatal.
 */
import type { Command } from 'commander';
import { formatBytes, inspectHardware, type HardwareInfo } from '../catalog/index.js';

/** Renders an inspection report for people. */
export function formatHardware(hw: HardwareInfo): string {
  const cores = `${hw.cpu.logicalCores} logical cores${hw.cpu.physicalCores ? `, ${hw.cpu.physicalCores} physical` : ''}`;
  const lines = [
    `OS           ${hw.os.platform} ${hw.os.arch} ${hw.os.release}`,
    `CPU          ${hw.cpu.model} (${cores})`,
    `SIMD         ${hw.cpu.simd.join(' ') || 'unknown'}`,
    `Memory       ${formatBytes(hw.memory.totalBytes)} total, ${formatBytes(hw.memory.availableBytes)} available`,
  ];
  if (hw.gpus.length === 0) lines.push(`NVIDIA GPUs  none (${hw.nvidiaSmi.reason ?? 'nvidia-smi lists none'})`);
  for (const g of hw.gpus) {
    const extra = [g.computeCapability && `compute ${g.computeCapability}`, g.driverVersion && `driver ${g.driverVersion}`, g.cudaVersion && `CUDA ${g.cudaVersion}`].filter(Boolean);
    lines.push(`NVIDIA GPU   ${g.index}: ${g.name}, ${formatBytes(g.memoryTotalBytes)} total, ${formatBytes(g.memoryFreeBytes)} free${extra.length ? `, ${extra.join(', ')}` : ''}`);
  }
  const llama = hw.llamacpp.available
    ? `node-llama-cpp ${hw.llamacpp.version ?? ''}; GPU builds: ${hw.llamacpp.gpuTypes.join(', ') || 'none (CPU only)'}`.replace('  ', ' ')
    : `unavailable (${hw.llamacpp.reason})`;
  lines.push(`llama.cpp    ${llama}`);
  lines.push(`onnxruntime  ${hw.onnxruntime.available ? `installed; CUDA execution provider: ${hw.onnxruntime.cuda ? 'yes' : 'no'}` : `unavailable (${hw.onnxruntime.reason})`}`);
  return lines.join('\n');
}

/** Adds `inspect` to `program`. */
export function addInspectCommand(program: Command): Command {
  return program
    .command('inspect')
    .description('show the hardware inferd sees: CPU, SIMD, memory, NVIDIA GPUs, and the GPU builds node-llama-cpp can use')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const hw = await inspectHardware();
      process.stdout.write(opts.json ? `${JSON.stringify(hw, null, 2)}\n` : `${formatHardware(hw)}\n`);
    });
}
