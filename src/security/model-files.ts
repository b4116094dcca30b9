/**
 * The pre-load inspection of one model version's files, run before any backend opens them:
 * the model directory stays inside the repository, no symlink leads out of it, names are sane,
 * no pickle-based format is present, the optional `sha256sums` manifest matches, and the model
 * file's container format (ONNX or GGUF) is valid. Any failure is an Error whose message becomes
 * the version's UNAVAILABLE reason.
 *
 * What counts as the version's files: everything directly in the model directory and in its
 * non-numeric subfolders (labels, `initial_state/`), plus the whole `<version>/` folder. Other
 * numeric version folders belong to other versions and are skipped.
 */
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_MODEL_FILE_LIMITS, validateGgufFile, validateOnnxFile, type ModelFileLimits } from './model-headers.js';
import { entryNameProblem, isWithin, PathEscapeError, realpathInside, relativePathProblem } from './model-paths.js';
import { pickleProblem } from './pickle-detect.js';
import { MANIFEST_FILE, MAX_MANIFEST_BYTES, ManifestError, parseSha256Manifest, verifySha256Manifest, type CoveredFile } from './sha256-manifest.js';

/** Bounds on a model directory walk, so a hostile tree cannot stall a load. */
export interface ScanLimits {
  readonly maxEntries: number;
  readonly maxDepth: number;
}

/** Defaults: far more than any real model needs. */
export const DEFAULT_SCAN_LIMITS: ScanLimits = { maxEntries: 10_000, maxDepth: 8 };

/** What to inspect and under which rules. */
export interface ModelFileInspection {
  /** Folder the model directory must resolve inside (the repository, or a load's override folder). */
  readonly root: string;
  /** `<root>/<model>`. */
  readonly modelDir: string;
  readonly version: number;
  /** Model file relative to the version folder (the config's `default_model_filename` or the backend default). */
  readonly modelFile: string | undefined;
  /** Container format the backend expects for the model file. */
  readonly format: 'onnx' | 'gguf' | undefined;
  /** Real paths outside the model directory that symlinks may point to (files the operator named on the command line). */
  readonly trustedFiles?: readonly string[];
  readonly scanLimits?: ScanLimits;
  readonly fileLimits?: ModelFileLimits;
}

/** A refused model version; the message is the reason shown in the repository index. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
}

interface ScanContext {
  readonly realModelDir: string;
  readonly trusted: ReadonlySet<string>;
  readonly limits: ScanLimits;
  readonly files: CoveredFile[];
  /** Real paths of folders already walked, so linked folders cannot loop. */
  readonly visited: Set<string>;
  entries: number;
}

async function walk(ctx: ScanContext, dir: string, rel: string, depth: number, skip: (name: string) => boolean): Promise<void> {
  if (depth > ctx.limits.maxDepth) throw new ModelFileError(`'${rel}' is nested deeper than ${ctx.limits.maxDepth} folders`);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    if (skip(e.name)) continue;
    const shown = rel ? `${rel}/${e.name}` : e.name;
    if (++ctx.entries > ctx.limits.maxEntries) throw new ModelFileError(`the model directory holds more than ${ctx.limits.maxEntries} entries`);
    const nameProblem = entryNameProblem(e.name);
    if (nameProblem) throw new ModelFileError(`a file name in '${rel || '.'}' ${nameProblem}`);
    const full = path.join(dir, e.name);
    if (e.isSymbolicLink()) {
      const real = await realpathInside(ctx.realModelDir, full, shown, ctx.trusted);
      const info = await stat(real);
      if (info.isFile()) ctx.files.push({ rel: shown, real });
      else if (!info.isDirectory()) throw new ModelFileError(`'${shown}' links to something that is neither a file nor a folder`);
      // NOTE: a linked folder (even one of another version) is walked too: the version can read through it.
      else if (!ctx.visited.has(real)) {
        ctx.visited.add(real);
        await walk(ctx, real, shown, depth + 1, () => false);
      }
    } else if (e.isDirectory()) {
      await walk(ctx, full, shown, depth + 1, () => false);
    } else if (e.isFile()) {
      ctx.files.push({ rel: shown, real: full });
    } else {
      throw new ModelFileError(`'${shown}' is not a regular file or folder (device, socket or FIFO)`);
    }
  }
}

/** Real model directory, which must lie inside the real `root`. */
async function realModelDirOf(root: string, modelDir: string): Promise<string> {
  const realRoot = await realpath(root);
  const real = await realpath(modelDir).catch(() => {
    throw new ModelFileError('the model directory cannot be resolved');
  });
  if (!isWithin(realRoot, real)) throw new ModelFileError('the model directory resolves outside the model repository');
  return real;
}

/** Walks the version's files under the real model folder (see the module comment); every symlink is resolved and checked. */
export async function scanVersionFiles(
  realModelDir: string,
  version: number,
  trusted: ReadonlySet<string> = new Set(),
  limits: ScanLimits = DEFAULT_SCAN_LIMITS,
): Promise<CoveredFile[]> {
  const ctx: ScanContext = { realModelDir, trusted, limits, files: [], visited: new Set([realModelDir]), entries: 0 };
  const own = String(version);
  // NOTE: walking from real folders makes every path below real, so one file has one identity.
  await walk(ctx, realModelDir, '', 0, (name) => /^[0-9]+$/.test(name) && name !== own);
  return ctx.files;
}

async function checkManifest(files: readonly CoveredFile[], version: number): Promise<void> {
  const manifestFile = files.find((f) => f.rel === MANIFEST_FILE);
  if (!manifestFile) return;
  const info = await stat(manifestFile.real);
  if (info.size > MAX_MANIFEST_BYTES) throw new ManifestError(`${MANIFEST_FILE} is larger than ${MAX_MANIFEST_BYTES} bytes`);
  const manifest = parseSha256Manifest(await readFile(manifestFile.real, 'utf8'));
  const own = `${version}/`;
  const isCovered = (rel: string): boolean => {
    const top = rel.split('/')[0]!;
    return rel.startsWith(own) || !/^[0-9]+$/.test(top);
  };
  await verifySha256Manifest(manifest, files.filter((f) => f.rel !== MANIFEST_FILE), isCovered);
}

async function checkModelFile(spec: ModelFileInspection, realModelDir: string, trusted: ReadonlySet<string>): Promise<void> {
  if (!spec.modelFile) return;
  const problem = relativePathProblem(spec.modelFile);
  if (problem) throw new ModelFileError(`default_model_filename '${spec.modelFile.slice(0, 200)}' ${problem}`);
  const shown = `${spec.version}/${spec.modelFile}`;
  const target = path.join(spec.modelDir, String(spec.version), spec.modelFile);
  const exists = await lstat(target).then(() => true, () => false);
  // NOTE: a missing file is the backend's error to report; there is nothing to validate yet.
  if (!exists || !spec.format) return;
  const real = await realpathInside(realModelDir, target, shown, trusted);
  if (!(await stat(real)).isFile()) throw new ModelFileError(`'${shown}' is not a file`);
  if (spec.format === 'gguf') await validateGgufFile(real, shown);
  else await validateOnnxFile(real, shown, realModelDir, spec.fileLimits ?? DEFAULT_MODEL_FILE_LIMITS);
}

/**
 * Runs every pre-load check for one version; resolves when the backend may open the files,
 * rejects with a ModelFileError whose message says why not.
 */
export async function inspectModelVersion(spec: ModelFileInspection): Promise<void> {
  try {
    const realModelDir = await realModelDirOf(spec.root, spec.modelDir);
    const trusted = new Set(spec.trustedFiles ?? []);
    const files = await scanVersionFiles(realModelDir, spec.version, trusted, spec.scanLimits);
    for (const f of files) {
      const refused = await pickleProblem(f.real, f.rel);
      if (refused) throw new ModelFileError(refused);
    }
    await checkManifest(files, spec.version);
    await checkModelFile(spec, realModelDir, trusted);
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const known = err instanceof PathEscapeError || err instanceof ManifestError;
    throw new ModelFileError(known ? message : `model files failed inspection: ${message}`, { cause: err });
  }
}
