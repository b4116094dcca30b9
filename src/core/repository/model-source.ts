/**
 * Turns a model folder (or a load request's config and file overrides) into what loading
 * needs: the config, the backend name, the available versions and the folder to load from.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BACKEND_MODEL_FILES, backendFromConfig } from '../../config/backend-names.js';
import type { ModelConfig, VersionPolicy } from '../../config/model-config.js';
import { modelConfigFromJsonText } from '../../config/model-config-json.js';
import { parseModelConfig } from '../../config/pbtxt/index.js';
import { InferError, invalidArgument } from '../errors.js';
import type { LoadOptions } from '../inference-server.js';
import type { ModelDirListing } from './local-storage.js';

/** Everything needed to load a model's versions. */
export interface ModelSource {
  readonly config: ModelConfig;
  readonly backend: string;
  readonly versions: readonly number[];
  readonly modelDir: string;
  /** Removes temporary files made for `file:` overrides. */
  cleanup(): Promise<void>;
}

const OVERRIDE_PATH = /^[0-9]{1,15}(\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}){1,8}$/;

/** Resolves config, backend and versions; throws INVALID_ARGUMENT / NOT_FOUND with Triton-like messages. */
export async function resolveModelSource(
  name: string,
  listing: ModelDirListing | undefined,
  options: LoadOptions,
  strict: boolean,
): Promise<ModelSource> {
  if (options.files && options.files.size > 0 && options.config === undefined) {
    throw invalidArgument(`failed to load '${name}': file overrides require a 'config' parameter`);
  }
  if (listing?.problem && options.config === undefined) throw invalidArgument(`failed to load '${name}': ${listing.problem}`);
  if (!listing && options.config === undefined) {
    throw new InferError('NOT_FOUND', `failed to load '${name}', failed to poll from model repository`);
  }
  const config = readConfig(name, listing, options, strict);
  if (!listing && !(options.files && options.files.size > 0)) {
    // NOTE: without a folder or file overrides there is nothing to load from; an empty modelDir would mean the CWD.
    throw new InferError('NOT_FOUND', `failed to load '${name}', failed to poll from model repository`);
  }
  let modelDir = listing?.dir ?? '';
  let versions = listing?.versions ?? [];
  let cleanup = async (): Promise<void> => undefined;
  if (options.files && options.files.size > 0) {
    modelDir = await writeOverrides(options.files);
    versions = await numericFolders(modelDir);
    const dir = modelDir;
    cleanup = () => rm(dir, { recursive: true, force: true });
  }
  const backend = backendFromConfig(config) ?? (await detectBackend(modelDir, versions));
  if (!backend) {
    await cleanup();
    throw invalidArgument(`failed to load '${name}': unable to determine the backend; set 'backend' or 'platform' in config.pbtxt`);
  }
  return { config, backend, versions, modelDir, cleanup };
}

function readConfig(name: string, listing: ModelDirListing | undefined, options: LoadOptions, strict: boolean): ModelConfig {
  let config: ModelConfig;
  if (options.config !== undefined) {
    config = modelConfigFromJsonText(options.config, `config override of '${name}'`);
  } else if (listing?.configText !== undefined) {
    config = parseModelConfig(listing.configText, `${name}/config.pbtxt`);
  } else if (strict) {
    throw invalidArgument(`failed to load '${name}': config.pbtxt is required with --strict-model-config`);
  } else {
    config = { name };
  }
  if (config.name && config.name !== name) {
    throw invalidArgument(`failed to load '${name}': config name '${config.name}' does not match the model folder '${name}'`);
  }
  return { ...config, name };
}

/** Picks the versions a policy asks for from those on disk (Triton default: the latest one). */
export function selectVersions(policy: VersionPolicy | undefined, available: readonly number[]): number[] {
  const sorted = [...available].sort((a, b) => a - b);
  if (policy?.all) return sorted;
  if (policy?.specific) return sorted.filter((v) => policy.specific?.versions.includes(v));
  const n = policy?.latest?.num_versions ?? 1;
  return sorted.slice(Math.max(0, sorted.length - n));
}

async function writeOverrides(files: ReadonlyMap<string, Uint8Array>): Promise<string> {
  for (const rel of files.keys()) {
    if (!OVERRIDE_PATH.test(rel) || rel.split('/').some((part) => part === '..' || part === '.')) {
      throw invalidArgument(`invalid file override path '${rel.slice(0, 300)}': expected 'file:<version>/<name>' inside the model folder`);
    }
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'inferd-override-'));
  for (const [rel, content] of files) {
    const target = path.join(dir, ...rel.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return dir;
}

async function numericFolders(dir: string): Promise<number[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && /^[0-9]+$/.test(e.name)).map((e) => Number(e.name)).filter((v) => v > 0);
}

async function detectBackend(modelDir: string, versions: readonly number[]): Promise<string | undefined> {
  for (const v of versions) {
    const files = await readdir(path.join(modelDir, String(v))).catch(() => [] as string[]);
    for (const [backend, file] of Object.entries(BACKEND_MODEL_FILES)) {
      if (files.includes(file)) return backend;
    }
  }
  return undefined;
}
