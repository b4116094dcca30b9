/**
 * `create-model-store`'s work: copy one profile's files out of the cache (downloading what is
 * missing) into a plain folder that can be carried to an air-gapped machine and served with
 * `inferd serve --model DIR/<file>.gguf`. Files keep their repository paths, so split GGUF parts
 * stay side by side; each copy is hashed while it is written and checked against the catalog's
 * or the Hub's sha256 before it takes its name, and `model-store.json` records what is there.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readlink, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SERVER_VERSION } from '../version.js';
import { CatalogError } from './catalog-errors.js';
import type { CatalogModel, ModelProfile } from './catalog-types.js';
import { downloadProfile, type HubContext } from './profile-files.js';

/** The manifest's file name inside a model store. */
export const MODEL_STORE_MANIFEST = 'model-store.json';

/** One file of a model store. */
export interface ModelStoreFile {
  /** Path inside the store (the repository path). */
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

/** `model-store.json`. */
export interface ModelStoreManifest {
  readonly version: 1;
  readonly model: string;
  readonly task: CatalogModel['task'];
  readonly profile: { readonly id: string; readonly name: string; readonly engine: string; readonly device: string; readonly precision: string; readonly contextLength?: number };
  readonly source: { readonly repo: string; readonly revision: string; readonly commit?: string };
  /** The file to pass to `inferd serve --model` (relative to the store). */
  readonly modelFile: string;
  readonly files: readonly ModelStoreFile[];
  readonly createdAt: string;
  readonly createdBy: string;
}

/** A written model store. */
export interface ModelStore {
  readonly dir: string;
  readonly manifestFile: string;
  /** Absolute path of the model file. */
  readonly modelFile: string;
  readonly manifest: ModelStoreManifest;
}

/** Copies `from` to a temporary name beside `to`, returning it with the sha256 of the bytes written. */
async function copyHashed(from: string, to: string): Promise<{ sha256: string; bytes: number; tmp: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const tmp = `${to}.partial-${process.pid}`;
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await pipeline(createReadStream(from, { highWaterMark: 1 << 20 }), tap, createWriteStream(tmp));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { sha256: hash.digest('hex'), bytes, tmp };
}

/** The sha256 a cached file must have: the catalog's, else its blob name when that is a sha256. */
async function expectedSha256(cachedFile: string, catalogSha?: string): Promise<string | undefined> {
  if (catalogSha) return catalogSha.toLowerCase();
  const target = await readlink(cachedFile).catch(() => undefined);
  const name = target && path.basename(target);
  return name && /^[0-9a-f]{64}$/.test(name) ? name : undefined;
}

/** The commit of a snapshot path `<repo>/snapshots/<commit>/<path>`. */
function snapshotCommit(file: string, repoPath: string): string | undefined {
  const depth = repoPath.split('/').length;
  let dir = file;
  for (let i = 0; i < depth; i++) dir = path.dirname(dir);
  const commit = path.basename(dir);
  return path.basename(path.dirname(dir)) === 'snapshots' && /^[0-9a-f]{40}$/.test(commit) ? commit : undefined;
}

/** Fills `dir` with `profile`'s files (downloaded into the cache first when missing) and writes the manifest. */
export async function createModelStore(model: CatalogModel, profile: ModelProfile, dir: string, ctx: HubContext): Promise<ModelStore> {
  const root = path.resolve(dir);
  const cached = await downloadProfile(profile, ctx);
  const files: ModelStoreFile[] = [];
  for (const [i, source] of profile.source.files.entries()) {
    const from = cached[i]!.file;
    const to = path.join(root, ...source.path.split('/'));
    if (!to.startsWith(root + path.sep)) throw new CatalogError('INVALID_CATALOG', `${source.path} is not a path inside the model store`);
    const expected = await expectedSha256(from, source.sha256);
    const copy = await copyHashed(from, to);
    if (expected && copy.sha256 !== expected) {
      await rm(copy.tmp, { force: true });
      throw new CatalogError('CHECKSUM_MISMATCH', `${profile.source.repo}/${source.path} in the cache hashes to ${copy.sha256}, expected ${expected}; run 'inferd cache verify --repair' and try again`);
    }
    await rename(copy.tmp, to);
    files.push({ path: source.path, sizeBytes: copy.bytes, sha256: copy.sha256 });
  }
  const manifest: ModelStoreManifest = {
    version: 1,
    model: model.name,
    task: model.task,
    profile: { id: profile.id, name: profile.name, engine: profile.engine, device: profile.device, precision: profile.precision, contextLength: profile.contextLength },
    source: { repo: profile.source.repo, revision: profile.source.revision, commit: cached[0]!.commit ?? snapshotCommit(cached[0]!.file, profile.source.files[0]!.path) },
    modelFile: profile.source.files[0]!.path,
    files,
    createdAt: new Date().toISOString(),
    createdBy: `inferd ${SERVER_VERSION}`,
  };
  const manifestFile = path.join(root, MODEL_STORE_MANIFEST);
  await writeFile(`${manifestFile}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${manifestFile}.partial`, manifestFile);
  return { dir: root, manifestFile, modelFile: path.join(root, ...manifest.modelFile.split('/')), manifest };
}
