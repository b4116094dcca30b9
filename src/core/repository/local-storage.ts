/**
 * Read-only access to a Triton-layout model repository on the local file system:
 * `<repo>/<model>/config.pbtxt` and numbered version folders.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isSafeModelName as safeModelName, isWithin } from '../../security/model-paths.js';

/** A model folder as found on disk. */
export interface ModelDirListing {
  readonly name: string;
  readonly dir: string;
  /** config.pbtxt text, when present. */
  readonly configText?: string;
  /** Numeric version folders, ascending. */
  readonly versions: readonly number[];
  /** Changes whenever any file under the model folder changes (size, mtime or name). */
  readonly signature: string;
  /** Why the folder cannot be loaded as it is (a config.pbtxt that links outside it), if so. */
  readonly problem?: string;
}

/** True for names that may name a model folder: `[A-Za-z0-9_.-]`, no leading `.`/`-`, no separators, NUL or `..`. */
export function isSafeModelName(name: string): boolean {
  return safeModelName(name);
}

/** Lists the model folder names in a repository (folders only, hidden ones skipped). */
export async function listModelNames(repo: string): Promise<string[]> {
  const entries = await readdir(repo, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && isSafeModelName(e.name))
    .map((e) => e.name)
    .sort();
}

/** Reads one model folder; returns undefined when it does not exist. */
export async function readModelDir(repo: string, name: string): Promise<ModelDirListing | undefined> {
  if (!isSafeModelName(name)) return undefined;
  const dir = path.join(repo, name);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) return undefined;
  const entries = await readdir(dir, { withFileTypes: true });
  const versions = entries
    .filter((e) => e.isDirectory() && /^[0-9]{1,15}$/.test(e.name))
    .map((e) => Number(e.name))
    .filter((v) => v > 0)
    .sort((a, b) => a - b);
  const signature = await treeSignature(dir);
  const configPath = await realpath(path.join(dir, 'config.pbtxt')).catch(() => undefined);
  // NOTE: a config.pbtxt linking elsewhere is never read: parse errors would echo the other file's text.
  if (configPath && !isWithin(await realpath(dir), configPath)) {
    return { name, dir, versions, signature, problem: `config.pbtxt of '${name}' resolves outside the model directory` };
  }
  const configText = configPath ? await readFile(configPath, 'utf8').catch(() => undefined) : undefined;
  return { name, dir, configText, versions, signature };
}

/** Hash of every path, size and mtime under `dir`, used by polling to detect changes. */
async function treeSignature(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (current: string, depth: number): Promise<void> => {
    if (depth > 8) return;
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const full = path.join(current, e.name);
      if (e.isDirectory()) {
        hash.update(`d:${path.relative(dir, full)}\n`);
        await walk(full, depth + 1);
      } else {
        const s = await stat(full).catch(() => undefined);
        hash.update(`f:${path.relative(dir, full)}:${s?.size ?? -1}:${s?.mtimeMs ?? -1}\n`);
      }
    }
  };
  await walk(dir, 0);
  return hash.digest('hex');
}
