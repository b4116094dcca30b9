/**
 * The `--model` shortcut: a repository written to a temporary folder with one model per
 * `--model` value, so the shortcut runs through exactly the same repository, lifecycle and
 * scheduling code as a Triton repository. The folder exists from the start (the repository
 * manager points at it) and is filled after the HTTP port listens, because resolving a model
 * reference may mean a download, during which `/v1/health/live` must already answer. Weights are
 * linked, never copied (GGUF files are gigabytes).
 */
import { mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatModelConfig } from './format-model-config.js';
import type { ModelConfig } from './model-config.js';

/** What a `--model` value resolves to: a local GGUF file, a default name and llamacpp parameters. */
export interface ResolvedModel {
  readonly file: string;
  readonly name?: string;
  readonly parameters?: Readonly<Record<string, string>>;
}

/** Turns a `--model` value into a local file (a catalog name or Hub reference may download). */
export type ModelResolver = (reference: string) => Promise<ResolvedModel>;

/** One model the generated repository holds. */
export interface WrittenModel {
  readonly name: string;
  readonly file: string;
}

/** The generated repository. */
export interface SingleModelRepository {
  readonly dir: string;
  /** Resolves every `--model` value and writes its folder; resolves with the models in order. */
  populate(resolve: ModelResolver): Promise<WrittenModel[]>;
  /** Adds one more model (a pull while serving); `name` overrides the resolved name. */
  add(resolved: ResolvedModel, name?: string): Promise<WrittenModel>;
  cleanup(): Promise<void>;
}

/** Turns a file name into a model name: letters, digits, `_`, `.`, `-`; at most 64 characters. */
export function modelNameFromFile(file: string): string {
  const base = path.basename(file).replace(/\.gguf$/i, '');
  const name = base.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, 64);
  return name || 'model';
}

async function writeModel(dir: string, name: string, file: string, parameters: Readonly<Record<string, string>>, instances: number): Promise<void> {
  const config: ModelConfig = {
    name,
    backend: 'llamacpp',
    instance_group: [{ count: instances, kind: 'KIND_CPU' }],
    parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, { string_value: v }])),
  };
  await mkdir(path.join(dir, name, '1'), { recursive: true });
  await writeFile(path.join(dir, name, 'config.pbtxt'), formatModelConfig(config));
  await symlink(file, path.join(dir, name, '1', 'model.gguf'));
}

/**
 * Creates the (empty) repository for `references`; `servedModelNames[i]` names model i, and
 * `parameters` (from `--llm-parameter`) override what the resolver suggests.
 */
export async function createSingleModelRepository(options: {
  readonly references: readonly string[];
  readonly servedModelNames?: readonly string[];
  readonly parameters: Readonly<Record<string, string>>;
  /** instance_group count (llama.cpp contexts) of every model; 1 when absent. */
  readonly instances?: number;
}): Promise<SingleModelRepository> {
  for (const name of options.servedModelNames ?? []) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/.test(name)) throw new Error(`--served-model-name '${name}' may only hold letters, digits, '_', '.', '-'`);
  }
  if ((options.servedModelNames?.length ?? 0) > options.references.length) throw new Error('more --served-model-name values than --model values');
  const dir = await mkdtemp(path.join(tmpdir(), 'inferd-model-'));
  const written: WrittenModel[] = [];
  const add = async (resolved: ResolvedModel, name?: string): Promise<WrittenModel> => {
    const file = path.resolve(resolved.file);
    const real = await realpath(file).catch(() => {
      throw new Error(`--model: ${resolved.file} does not exist`);
    });
    if (!(await stat(real)).isFile()) throw new Error(`--model: ${resolved.file} is not a file`);
    const served = name ?? resolved.name ?? modelNameFromFile(file);
    if (written.some((w) => w.name === served)) throw new Error(`two models are both named '${served}'; use --served-model-name`);
    await writeModel(dir, served, real, { ...resolved.parameters, ...options.parameters }, options.instances ?? 1);
    const model = { name: served, file: real };
    written.push(model);
    return model;
  };
  return {
    dir,
    async populate(resolve) {
      const models: WrittenModel[] = [];
      for (const [i, reference] of options.references.entries()) models.push(await add(await resolve(reference), options.servedModelNames?.[i]));
      return models;
    },
    add,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
