/**
 * The benchmark model: a ~134M-parameter Llama-architecture model with Q8_0 weights (vocabulary
 * 32,000, width 768, 12 layers, 12 heads, feed-forward 2,048), generated once into a cache
 * directory outside git (`.cache/` is ignored) and reused by later runs.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { tinyLlamaGguf, tinyLlamaParameterCount, writeGgufFile, type TinyLlamaOptions } from '../../src/formats/gguf/index.js';

/** Shape of the benchmark model. */
export const BENCH_MODEL: TinyLlamaOptions = {
  name: 'bench-134m',
  seed: 2024,
  vocabSize: 32000,
  embeddingLength: 768,
  blockCount: 12,
  headCount: 12,
  headCountKv: 12,
  feedForwardLength: 2048,
  contextLength: 2048,
  tensorType: 'Q8_0',
};

/** Default cache directory (ignored by git). */
export const DEFAULT_CACHE_DIR = '.cache/llm-bench';

/** Path of the benchmark model, generating it first when absent. */
export async function benchModel(cacheDir: string, log: (line: string) => void): Promise<string> {
  const file = join(cacheDir, 'bench-134m-q8_0.gguf');
  if (existsSync(file)) return file;
  await mkdir(cacheDir, { recursive: true });
  const params = tinyLlamaParameterCount(BENCH_MODEL);
  log(`generating ${(params / 1e6).toFixed(1)}M-parameter Q8_0 model into ${file} ...`);
  const started = performance.now();
  const partial = `${file}.partial`;
  const bytes = await writeGgufFile(partial, tinyLlamaGguf(BENCH_MODEL));
  await rename(partial, file);
  log(`wrote ${(bytes / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return file;
}
