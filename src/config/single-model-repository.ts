/**
 * The `--model file.gguf` shortcut: a one-model repository written to a temporary folder, so the
 * single-model case runs through exactly the same repository, lifecycle and scheduling code as
 * a Triton repository. The weights are linked, never copied (GGUF files are gigabytes).
 */
import { mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatModelConfig } from './format-model-config.js';
import type { ModelConfig } from './model-config.js';

/** A generated repository and how to remove it. */
export interface SingleModelRepository {
  readonly dir: string;
  /** The name the model is served under. */
  readonly name: string;
  /** The resolved weights file the repository links to. */
  readonly file: string;
  cleanup(): Promise<void>;
}

/** Turns a file name into a model name: letters, digits, `_`, `.`, `-`; at most 64 characters. */
export function modelNameFromFile(file: string): string {
  const base = path.basename(file).replace(/\.gguf$/i, '');
  const name = base.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 64);
  return name || 'model';
}

/** Writes `<tmp>/<name>/config.pbtxt` (backend llamacpp, `parameters`) and `<name>/1/model.gguf` → `file`. */
export async function createSingleModelRepository(options: {
  readonly file: string;
  readonly servedModelName?: string;
  readonly parameters: Readonly<Record<string, string>>;
}): Promise<SingleModelRepository> {
  const file = await realpath(path.resolve(options.file)).catch(() => {
    throw new Error(`--model: ${options.file} does not exist`);
  });
  if (!(await stat(file)).isFile()) throw new Error(`--model: ${options.file} is not a file`);
  const name = options.servedModelName ?? modelNameFromFile(file);
  if (!/^[A-Za-z0-9_.-]{1,255}$/.test(name) || name === '.' || name === '..') {
    throw new Error(`--served-model-name '${name}' may only hold letters, digits, '_', '.', '-'`);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'inferd-model-'));
  const config: ModelConfig = {
    name,
    backend: 'llamacpp',
    parameters: Object.fromEntries(Object.entries(options.parameters).map(([k, v]) => [k, { string_value: v }])),
  };
  await mkdir(path.join(dir, name, '1'), { recursive: true });
  await writeFile(path.join(dir, name, 'config.pbtxt'), formatModelConfig(config));
  await symlink(file, path.join(dir, name, '1', 'model.gguf'));
  return { dir, name, file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
