/**
 * The optional `sha256sums` manifest of a model directory, in the format `sha256sum` prints
 * (`<64 hex>  <path>`, or `<64 hex> *<path>` in binary mode), paths relative to the model
 * directory. When present, every file a version load can read must be listed and match.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { relativePathProblem } from './model-paths.js';

/** File name of the manifest inside a model directory. */
export const MANIFEST_FILE = 'sha256sums';

/** Largest manifest accepted, in bytes; a bigger one is refused rather than parsed. */
export const MAX_MANIFEST_BYTES = 1 << 20;

const LINE = /^(\\?)([0-9a-fA-F]{64}) [ *](.+)$/;

/** A malformed manifest or a mismatch; the message names the file and is safe to show. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

/** Parses manifest text into normalized relative path → lowercase hex digest. */
export function parseSha256Manifest(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const m = LINE.exec(line);
    if (!m) throw new ManifestError(`${MANIFEST_FILE} line ${i + 1} is not '<sha256>  <path>'`);
    // NOTE: sha256sum prefixes a line with '\' when it escaped '\\' or '\n' in the name.
    const name = m[1] ? m[3]!.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : m[3]!;
    const problem = relativePathProblem(name);
    if (problem) throw new ManifestError(`${MANIFEST_FILE} line ${i + 1}: path ${problem}`);
    const rel = path.posix.normalize(name);
    if (rel.startsWith('../') || rel === '..' || rel === '.') throw new ManifestError(`${MANIFEST_FILE} line ${i + 1}: path leaves the model directory`);
    if (entries.has(rel)) throw new ManifestError(`${MANIFEST_FILE} lists '${rel}' twice`);
    entries.set(rel, m[2]!.toLowerCase());
  });
  return entries;
}

/** SHA-256 of a file, streamed. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** A file the load can read: its path relative to the model directory and its real path. */
export interface CoveredFile {
  readonly rel: string;
  readonly real: string;
}

/**
 * Checks `files` against the manifest: each file must be listed under at least one of the names it
 * is reachable by (a linked folder makes two), and every listed name must match. Entries outside
 * the `isCovered` areas (other versions) are ignored; an entry inside them whose file is missing
 * is an error. Throws ManifestError on the first problem.
 */
export async function verifySha256Manifest(
  manifest: ReadonlyMap<string, string>,
  files: readonly CoveredFile[],
  isCovered: (rel: string) => boolean,
): Promise<void> {
  const present = new Set(files.map((f) => f.rel));
  for (const rel of manifest.keys()) {
    if (isCovered(rel) && !present.has(rel)) throw new ManifestError(`'${rel}' is listed in ${MANIFEST_FILE} but missing`);
  }
  const names = new Map<string, string[]>();
  for (const f of files) names.set(f.real, [...(names.get(f.real) ?? []), f.rel]);
  for (const [real, rels] of names) {
    const listed = rels.filter((rel) => manifest.has(rel));
    if (listed.length === 0) throw new ManifestError(`'${rels[0]}' is not listed in ${MANIFEST_FILE}`);
    const actual = await sha256File(real);
    for (const rel of listed) {
      const expected = manifest.get(rel)!;
      if (actual !== expected) throw new ManifestError(`sha256 of '${rel}' does not match ${MANIFEST_FILE} (expected ${expected}, got ${actual})`);
    }
  }
}
