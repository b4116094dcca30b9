/**
 * The download cache, laid out like huggingface_hub's so either tool can read the other's:
 *
 *   <root>/models--<owner>--<name>/blobs/<etag>                 file content (etag = sha256 for LFS files)
 *   <root>/models--<owner>--<name>/blobs/<etag>.incomplete      a transfer in progress (resumable)
 *   <root>/models--<owner>--<name>/snapshots/<commit>/<path>    relative symlink → ../../blobs/<etag>
 *   <root>/models--<owner>--<name>/refs/<revision>              the commit a branch or tag pointed at
 *   <root>/.locks/models--<owner>--<name>/<etag>.lock           held while one process downloads the blob
 *
 * Writes are atomic (temporary name, then rename), so readers never see half a file or link.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A 40-hex git commit id. */
export const COMMIT_PATTERN = /^[0-9a-f]{40}$/;

/** INFERD_CACHE_DIR, else `~/.cache/inferd`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.INFERD_CACHE_DIR || path.join(os.homedir(), '.cache', 'inferd');
}

function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

/** Paths and atomic updates of one cache folder. */
export class HubCache {
  constructor(readonly root: string) {}

  /** `models--owner--name`, the repository's folder name. */
  static folderName(repo: string): string {
    return `models--${repo.replace(/\//g, '--')}`;
  }

  /** The repository's folder. */
  repoDir(repo: string): string {
    return path.join(this.root, HubCache.folderName(repo));
  }

  /** Where the blob `etag` lives. */
  blobPath(repo: string, etag: string): string {
    return path.join(this.repoDir(repo), 'blobs', etag);
  }

  /** Where a transfer of blob `etag` accumulates. */
  incompletePath(repo: string, etag: string): string {
    return `${this.blobPath(repo, etag)}.incomplete`;
  }

  /** The lock file of blob `etag`. */
  lockPath(repo: string, etag: string): string {
    return path.join(this.root, '.locks', HubCache.folderName(repo), `${etag}.lock`);
  }

  /** Where `file` of `commit` appears. */
  snapshotPath(repo: string, commit: string, file: string): string {
    return path.join(this.repoDir(repo), 'snapshots', commit, ...file.split('/'));
  }

  /** The commit `revision` resolved to last time (a commit id resolves to itself), or undefined. */
  async readRef(repo: string, revision: string): Promise<string | undefined> {
    if (COMMIT_PATTERN.test(revision)) return revision;
    const text = await readFile(path.join(this.repoDir(repo), 'refs', ...revision.split('/')), 'utf8').catch(() => undefined);
    const commit = text?.trim();
    return commit && COMMIT_PATTERN.test(commit) ? commit : undefined;
  }

  /** Records that `revision` points at `commit`. */
  async writeRef(repo: string, revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    const file = path.join(this.repoDir(repo), 'refs', ...revision.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = tempName(file);
    await writeFile(tmp, commit);
    await rename(tmp, file);
  }

  /** The cached copy of `file` at `revision`, or undefined when it is not (fully) in the cache. */
  async cachedFile(repo: string, revision: string, file: string): Promise<string | undefined> {
    const commit = await this.readRef(repo, revision);
    if (!commit) return undefined;
    const snap = this.snapshotPath(repo, commit, file);
    // NOTE: stat follows the link, so a snapshot whose blob was deleted counts as missing.
    return (await exists(snap)) ? snap : undefined;
  }

  /** Whether blob `etag` is complete in the cache. */
  hasBlob(repo: string, etag: string): Promise<boolean> {
    return exists(this.blobPath(repo, etag));
  }

  /** Points `snapshots/<commit>/<file>` at blob `etag` (relative symlink; a copy where links are refused). */
  async linkSnapshot(repo: string, commit: string, file: string, etag: string): Promise<string> {
    const snap = this.snapshotPath(repo, commit, file);
    const blob = this.blobPath(repo, etag);
    await mkdir(path.dirname(snap), { recursive: true });
    const target = path.relative(path.dirname(snap), blob);
    if ((await readlink(snap).catch(() => undefined)) === target) return snap;
    const tmp = tempName(snap);
    try {
      await symlink(target, tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      await copyFile(blob, tmp);
    }
    try {
      await rename(tmp, snap);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return snap;
  }

  /** Files (repository paths) of the cached snapshot `revision` resolves to, or undefined when it is not cached. */
  async listSnapshot(repo: string, revision: string): Promise<string[] | undefined> {
    const commit = await this.readRef(repo, revision);
    if (!commit) return undefined;
    const dir = path.join(this.repoDir(repo), 'snapshots', commit);
    const entries = await readdir(dir, { recursive: true }).catch(() => undefined);
    if (!entries) return undefined;
    const files: string[] = [];
    for (const rel of entries) {
      const st = await stat(path.join(dir, rel)).catch(() => undefined);
      if (st?.isFile()) files.push(rel.split(path.sep).join('/'));
    }
    return files;
  }
}
