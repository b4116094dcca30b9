/**
 * Writes the example model repository (Triton layout) that `npm run examples` and the tests use.
 * Idempotent: files whose bytes are already on disk are left alone, so mtimes (which a polling
 * repository watches) only change when content does.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExampleModel } from './models/example-model.js';
import { simpleEnsembleExample } from './models/ensemble.js';
import { identityFp32Example } from './models/identity.js';
import { mlpExample } from './models/mlp.js';
import { simpleExample, simpleStringExample } from './models/simple.js';
import { simpleDynaSequenceExample, simpleSequenceExample } from './models/sequence.js';
import { tinyLlmExample } from './models/tiny-llm.js';

/** Every example model, freshly built. */
export function exampleModels(): ExampleModel[] {
  return [simpleExample(), simpleStringExample(), identityFp32Example(), mlpExample(), simpleEnsembleExample(), simpleSequenceExample(), simpleDynaSequenceExample(), tinyLlmExample()];
}

async function writeIfChanged(path: string, content: Uint8Array | string): Promise<boolean> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const existing = await readFile(path).catch(() => undefined);
  if (existing && Buffer.compare(existing, bytes) === 0) return false;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return true;
}

/** Writes all examples under `dir`; resolves with the paths it actually (re)wrote. */
export async function generateExampleRepository(dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const model of exampleModels()) {
    const files: [string, Uint8Array | string][] = [['config.pbtxt', model.configText], ...Object.entries(model.files)];
    for (const [rel, content] of files) {
      const path = join(dir, model.name, rel);
      if (await writeIfChanged(path, content)) written.push(path);
    }
  }
  return written;
}
