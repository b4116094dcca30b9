/**
 * Reads a cache folder (huggingface_hub's layout, see hub-cache.ts) back into a listing:
 * repositories, their snapshots with the refs pointing at them, the files of each snapshot with
 * the blob each links to, and the blobs with every snapshot path that uses them. `cache ls`,
 * `cache verify` and `cache rm` all work from this one picture of the disk.
 */
import { lstat, readFile, readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { COMMIT_PATTERN } from './hub-cache.js';

/** One file of a cached snapshot. */
export interface CachedSnapshotFile {
  /** Path inside the repository. */
  readonly path: string;
  /** Absolute path of the snapshot entry. */
  readonly file: string;
  /** Blob the entry links to; undefined for a plain copy (where links were refused). */
  readonly blob?: string;
  /** Undefined when the linked blob is missing. */
  readonly sizeBytes?: number;
}

/** One snapshot (commit) of a repository. */
export interface CachedRevision {
  readonly commit: string;
  /** Branches and tags that point at this commit. */
  readonly refs: readonly string[];
  readonly files: readonly CachedSnapshotFile[];
  /** Sum of the files' sizes (a blob shared by two paths counts twice, as huggingface_hub does). */
  readonly sizeBytes: number;
}

/** One complete blob. */
export interface CachedBlob {
  /** The file name: sha256 for LFS files, git blob sha1 otherwise. */
  readonly etag: string;
  readonly file: string;
  readonly sizeBytes: number;
  /** `commit/path` of every snapshot entry linking here. */
  readonly referencedBy: readonly string[];
}

/** A transfer in progress or abandoned (`<etag>.incomplete`). */
export interface IncompleteBlob {
  readonly etag: string;
  readonly file: string;
  readonly sizeBytes: number;
}

/** One cached repository. */
export interface CachedRepo {
  /** `owner/name`. */
  readonly repo: string;
  readonly dir: string;
  /** Ref name → commit. */
  readonly refs: Readonly<Record<string, string>>;
  readonly revisions: readonly CachedRevision[];
  readonly blobs: readonly CachedBlob[];
  readonly incomplete: readonly IncompleteBlob[];
  /** Bytes on disk: blobs, incomplete transfers and snapshot copies. */
  readonly sizeBytes: number;
}

/** The whole cache. */
export interface CacheListing {
  readonly root: string;
  readonly repos: readonly CachedRepo[];
  readonly sizeBytes: number;
}

const PREFIX = 'models--';

/** `models--owner--name` → `owner/name` (Hub names never hold `--`), or undefined for other folders. */
export function repoFromFolder(folder: string): string | undefined {
  if (!folder.startsWith(PREFIX)) return undefined;
  const rest = folder.slice(PREFIX.length);
  const cut = rest.indexOf('--');
  return cut > 0 && cut < rest.length - 2 ? `${rest.slice(0, cut)}/${rest.slice(cut + 2)}` : undefined;
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  });
}

async function readRefs(refsDir: string): Promise<Record<string, string>> {
  const entries = await readdir(refsDir, { recursive: true }).catch(() => [] as string[]);
  const refs: Record<string, string> = {};
  for (const rel of entries.sort()) {
    const text = await readFile(path.join(refsDir, rel), 'utf8').catch(() => undefined);
    const commit = text?.trim();
    if (commit && COMMIT_PATTERN.test(commit)) refs[rel.split(path.sep).join('/')] = commit;
  }
  return refs;
}

async function readSnapshot(repoDir: string, commit: string): Promise<CachedSnapshotFile[]> {
  const dir = path.join(repoDir, 'snapshots', commit);
  const blobsDir = path.join(repoDir, 'blobs');
  const entries = (await readdir(dir, { recursive: true }).catch(() => [] as string[])).sort();
  const files: CachedSnapshotFile[] = [];
  for (const rel of entries) {
    const file = path.join(dir, rel);
    const st = await lstat(file).catch(() => undefined);
    if (!st || st.isDirectory()) continue;
    const repoPath = rel.split(path.sep).join('/');
    if (st.isSymbolicLink()) {
      const target = path.resolve(path.dirname(file), await readlink(file));
      const blob = path.dirname(target) === blobsDir ? path.basename(target) : undefined;
      const size = await stat(file).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
      files.push({ path: repoPath, file, blob, sizeBytes: size });
    } else if (st.isFile()) {
      files.push({ path: repoPath, file, sizeBytes: st.size });
    }
  }
  return files;
}

/** Reads one repository folder. */
export async function scanRepo(root: string, folder: string): Promise<CachedRepo | undefined> {
  const repo = repoFromFolder(folder);
  if (!repo) return undefined;
  const dir = path.join(root, folder);
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) return undefined;
  const refs = await readRefs(path.join(dir, 'refs'));
  const revisions: CachedRevision[] = [];
  for (const commit of (await listDir(path.join(dir, 'snapshots'))).sort()) {
    const files = await readSnapshot(dir, commit);
    revisions.push({
      commit,
      refs: Object.entries(refs).filter(([, c]) => c === commit).map(([r]) => r),
      files,
      sizeBytes: files.reduce((sum, f) => sum + (f.sizeBytes ?? 0), 0),
    });
  }
  const users = new Map<string, string[]>();
  for (const r of revisions) {
    for (const f of r.files) if (f.blob) users.set(f.blob, [...(users.get(f.blob) ?? []), `${r.commit}/${f.path}`]);
  }
  const blobs: CachedBlob[] = [];
  const incomplete: IncompleteBlob[] = [];
  for (const name of (await listDir(path.join(dir, 'blobs'))).sort()) {
    const file = path.join(dir, 'blobs', name);
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) continue;
    if (name.endsWith('.incomplete')) incomplete.push({ etag: name.slice(0, -'.incomplete'.length), file, sizeBytes: st.size });
    else if (!name.includes('.tmp-')) blobs.push({ etag: name, file, sizeBytes: st.size, referencedBy: users.get(name) ?? [] });
  }
  const copies = revisions.flatMap((r) => r.files).filter((f) => !f.blob && f.sizeBytes !== undefined);
  const sizeBytes = [...blobs, ...incomplete, ...copies].reduce((sum, b) => sum + (b.sizeBytes ?? 0), 0);
  return { repo, dir, refs, revisions, blobs, incomplete, sizeBytes };
}

/** Reads every model repository under `root` (an absent folder is an empty cache). */
export async function scanCache(root: string): Promise<CacheListing> {
  const repos: CachedRepo[] = [];
  for (const folder of (await listDir(root)).sort()) {
    const r = await scanRepo(root, folder);
    if (r) repos.push(r);
  }
  return { root, repos, sizeBytes: repos.reduce((sum, r) => sum + r.sizeBytes, 0) };
}
