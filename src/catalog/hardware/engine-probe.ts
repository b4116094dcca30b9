/**
 * Which engines are installed and which GPU builds they can use, without loading a model,
 * compiling or downloading anything: node-llama-cpp is imported lazily and only asked for
 * `getLlamaGpuTypes('supported')`; onnxruntime-node is only located on disk.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LlamaCppInfo, OnnxRuntimeInfo } from './hardware-types.js';

/** Where `specifier` would load from, or undefined when it is not installed. */
function resolvePackage(specifier: string): string | undefined {
  try {
    return fileURLToPath(import.meta.resolve(specifier));
  } catch {
    return undefined;
  }
}

/** node-llama-cpp's version and the GPU builds it reports as usable here. */
export async function probeLlamaCpp(): Promise<LlamaCppInfo> {
  if (!resolvePackage('node-llama-cpp')) return { available: false, reason: 'node-llama-cpp is not installed', gpuTypes: [] };
  try {
    const llama = await import('node-llama-cpp');
    const types = await llama.getLlamaGpuTypes('supported');
    const version = await llama.getModuleVersion().catch(() => undefined);
    return { available: true, version, gpuTypes: types.filter((t): t is 'cuda' | 'vulkan' | 'metal' => t !== false) };
  } catch (err) {
    return { available: false, reason: `node-llama-cpp failed to load: ${(err as Error).message}`, gpuTypes: [] };
  }
}

/** Whether onnxruntime-node is installed, and whether its CUDA execution provider library is. */
export function probeOnnxRuntime(): OnnxRuntimeInfo {
  const entry = resolvePackage('onnxruntime-node');
  if (!entry) return { available: false, reason: 'onnxruntime-node is not installed', cuda: false };
  let dir = path.dirname(entry);
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  const cuda = existsSync(path.join(dir, 'bin', 'napi-v6', process.platform, process.arch, lib));
  return { available: true, cuda };
}
