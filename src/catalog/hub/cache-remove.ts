/**
 * Removal from the cache in two steps, so the command can show what would go before anything
 * goes: `planRemoval` picks the snapshot entries a selector names and the blobs that no other
 * snapshot entry still links to; `applyRemoval` deletes them, prunes empty snapshot folders and
 * the refs that pointed at them, and drops a repository folder once nothing is left in it.
 */
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CacheListing, CachedRepo } from './cache-scan.js';
import { COMMIT_PATTERN, HubCache } from './hub-cache.js';

/** What to remove from one repository: everything, one revision, or some paths (in every or one revision). */
export interface CacheSelector {
  readonly repo: string;
  /** Branch, tag or commit; undefined = every cached snapshot. */
  readonly revision?: string;
  /** Repository paths; undefined = every file. */
  readonly paths?: readonly string[];
}

/** A snapshot entry to delete. */
export interface PlannedEntry {
  readonly repo: string;
  readonly commit: string;
  readonly path: string;
  readonly file: string;
  /** Bytes freed by the entry itself: set for plain copies (no blob behind them). */
  readonly copyBytes?: number;
}

/** A blob to delete. */
export interface PlannedBlob {
  readonly repo: string;
  readonly etag: string;
  readonly file: string;
  readonly sizeBytes: number;
}

/** Everything a removal would delete, and what it keeps because other snapshots use it. */
export interface RemovalPlan {
  readonly root: string;
  /** Repositories removed whole (folder, refs, incomplete transfers, locks). */
  readonly repos: readonly { readonly repo: string; readonly dir: string; readonly sizeBytes: number }[];
  readonly entries: readonly PlannedEntry[];
  readonly blobs: readonly PlannedBlob[];
  /** Blobs the removed entries used that stay, with the `commit/path` entries still using them. */
  readonly kept: readonly { readonly repo: string; readonly etag: string; readonly usedBy: readonly string[] }[];
  /** Repositories with a download in progress (a fresh lock file); nothing of theirs is planned. */
  readonly busy: readonly string[];
  readonly freedBytes: number;
}

/** A lock refreshed within this window belongs to a live download (file-lock.ts refreshes far more often). */
const LIVE_LOCK_MS = 30_000;

async function downloadInProgress(root: string, repo: string): Promise<boolean> {
  const dir = path.join(root, '.locks', HubCache.folderName(repo));
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    const st = await stat(path.join(dir, n)).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs < LIVE_LOCK_MS) return true;
  }
  return false;
}

function commitOf(repo: CachedRepo, revision: string): string | undefined {
  return COMMIT_PATTERN.test(revision) ? revision : repo.refs[revision];
}

/** Whether `selectors` name the snapshot entry `commit/file` of `repo` (selectors of other repositories are ignored). */
export function selectsEntry(repo: CachedRepo, selectors: readonly CacheSelector[], commit: string, file: string): boolean {
  const mine = selectors.filter((s) => s.repo.toLowerCase() === repo.repo.toLowerCase());
  return mine.some((s) => (s.revision === undefined || commitOf(repo, s.revision) === commit) && (s.paths === undefined || s.paths.includes(file)));
}

/** Works out what removing `selectors` from `listing` deletes; touches nothing. */
export async function planRemoval(listing: CacheListing, selectors: readonly CacheSelector[]): Promise<RemovalPlan> {
  const repos: RemovalPlan['repos'][number][] = [];
  const entries: PlannedEntry[] = [];
  const blobs: PlannedBlob[] = [];
  const kept: RemovalPlan['kept'][number][] = [];
  const busy: string[] = [];
  for (const repo of listing.repos) {
    const mine = selectors.filter((s) => s.repo.toLowerCase() === repo.repo.toLowerCase());
    if (mine.length === 0) continue;
    if (await downloadInProgress(listing.root, repo.repo)) {
      busy.push(repo.repo);
      continue;
    }
    if (mine.some((s) => s.revision === undefined && s.paths === undefined)) {
      repos.push({ repo: repo.repo, dir: repo.dir, sizeBytes: repo.sizeBytes });
      continue;
    }
    const removedUse = new Set<string>();
    const stillUsed = new Map<string, string[]>();
    for (const r of repo.revisions) {
      for (const f of r.files) {
        if (selectsEntry(repo, mine, r.commit, f.path)) {
          entries.push({ repo: repo.repo, commit: r.commit, path: f.path, file: f.file, copyBytes: f.blob ? undefined : f.sizeBytes });
          if (f.blob) removedUse.add(f.blob);
        } else if (f.blob) {
          stillUsed.set(f.blob, [...(stillUsed.get(f.blob) ?? []), `${r.commit}/${f.path}`]);
        }
      }
    }
    for (const etag of removedUse) {
      const users = stillUsed.get(etag);
      if (users) {
        kept.push({ repo: repo.repo, etag, usedBy: users });
        continue;
      }
      const blob = repo.blobs.find((b) => b.etag === etag);
      if (blob) blobs.push({ repo: repo.repo, etag, file: blob.file, sizeBytes: blob.sizeBytes });
    }
  }
  const sum = (xs: readonly { readonly sizeBytes?: number; readonly copyBytes?: number }[]): number => xs.reduce((s, x) => s + (x.sizeBytes ?? x.copyBytes ?? 0), 0);
  const freedBytes = sum(repos) + sum(blobs) + sum(entries);
  return { root: listing.root, repos, entries, blobs, kept, busy, freedBytes };
}

/** Removes empty folders under `dir` (and `dir` itself when it ends up empty); true when `dir` is gone. */
async function pruneEmpty(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => undefined);
  if (!names) return true;
  let left = names.length;
  for (const n of names) {
    const child = path.join(dir, n);
    const st = await stat(child).catch(() => undefined);
    // NOTE: stat follows links, so a dangling link reads as absent but still occupies the folder.
    if (st?.isDirectory() && (await pruneEmpty(child))) left--;
  }
  if (left > 0) return false;
  return rmdir(dir).then(() => true, () => false);
}

async function tidyRepo(repo: CachedRepo, root: string): Promise<void> {
  const snapshots = path.join(repo.dir, 'snapshots');
  for (const r of repo.revisions) {
    if (!(await pruneEmpty(path.join(snapshots, r.commit)))) continue;
    for (const ref of r.refs) await rm(path.join(repo.dir, 'refs', ...ref.split('/')), { force: true });
  }
  await pruneEmpty(path.join(repo.dir, 'refs'));
  const left = (await readdir(snapshots).catch(() => [])).length + (await readdir(path.join(repo.dir, 'blobs')).catch(() => [])).length;
  if (left === 0) {
    await rm(repo.dir, { recursive: true, force: true });
    await rm(path.join(root, '.locks', HubCache.folderName(repo.repo)), { recursive: true, force: true });
  }
}

/** Deletes what `plan` lists (made by `planRemoval` from `listing`). */
export async function applyRemoval(plan: RemovalPlan, listing: CacheListing): Promise<void> {
  for (const r of plan.repos) {
    await rm(r.dir, { recursive: true, force: true });
    await rm(path.join(plan.root, '.locks', HubCache.folderName(r.repo)), { recursive: true, force: true });
  }
  for (const e of plan.entries) await rm(e.file, { force: true });
  for (const b of plan.blobs) await rm(b.file, { force: true });
  const touched = new Set(plan.entries.map((e) => e.repo));
  for (const repo of listing.repos) if (touched.has(repo.repo)) await tidyRepo(repo, plan.root);
}
