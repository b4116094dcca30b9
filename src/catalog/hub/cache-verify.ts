/**
 * Re-hashes cached blobs against their names: a blob is stored under its etag, which is the
 * sha256 of the content for LFS files and the git blob sha1 for small files, so the name alone
 * says what the bytes must hash to. Disk faults, truncated copies and hand edits show up here
 * instead of as a model that loads garbage.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { CachedRepo } from './cache-scan.js';

/** How a blob's name can be checked. */
export type BlobAlgorithm = 'sha256' | 'git-sha1';

/** The outcome for one blob, or for a snapshot entry whose blob is gone. */
export interface BlobCheck {
  readonly repo: string;
  readonly etag: string;
  readonly file: string;
  readonly sizeBytes: number;
  /** ok; corrupt (hash differs); missing (a snapshot links to a blob that is not there); unverifiable (the name is no hash). */
  readonly status: 'ok' | 'corrupt' | 'missing' | 'unverifiable';
  readonly algorithm?: BlobAlgorithm;
  /** The hash the bytes have, for corrupt blobs. */
  readonly actual?: string;
  /** `commit/path` of the snapshot entries that use the blob. */
  readonly paths: readonly string[];
}

/** The algorithm an etag names, or undefined when it is neither a sha256 nor a git sha1. */
export function etagAlgorithm(etag: string): BlobAlgorithm | undefined {
  if (/^[0-9a-f]{64}$/.test(etag)) return 'sha256';
  if (/^[0-9a-f]{40}$/.test(etag)) return 'git-sha1';
  return undefined;
}

/** Hashes `file` the way `algorithm` names blobs (git sha1 prefixes `blob <size>\0`). */
export async function hashBlob(file: string, algorithm: BlobAlgorithm, sizeBytes: number, signal?: AbortSignal): Promise<string> {
  const h = createHash(algorithm === 'sha256' ? 'sha256' : 'sha1');
  if (algorithm === 'git-sha1') h.update(`blob ${sizeBytes}\0`);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Which blobs of a repository to check: all, or those used by the given `commit/path` entries. */
export type BlobFilter = (blob: { readonly etag: string; readonly referencedBy: readonly string[] }) => boolean;

/**
 * Checks the blobs of `repo` that `filter` keeps, one at a time (hashing is disk-bound;
 * parallel reads of one disk only slow each other), calling `onCheck` after each.
 */
export async function verifyRepo(repo: CachedRepo, options: { filter?: BlobFilter; signal?: AbortSignal; onCheck?: (c: BlobCheck) => void } = {}): Promise<BlobCheck[]> {
  const keep = options.filter ?? (() => true);
  const checks: BlobCheck[] = [];
  const report = (c: BlobCheck): void => {
    checks.push(c);
    options.onCheck?.(c);
  };
  for (const blob of repo.blobs) {
    if (!keep(blob)) continue;
    const algorithm = etagAlgorithm(blob.etag);
    const base = { repo: repo.repo, etag: blob.etag, file: blob.file, sizeBytes: blob.sizeBytes, paths: blob.referencedBy };
    if (!algorithm) {
      report({ ...base, status: 'unverifiable' });
      continue;
    }
    const actual = await hashBlob(blob.file, algorithm, blob.sizeBytes, options.signal);
    report(actual === blob.etag ? { ...base, status: 'ok', algorithm } : { ...base, status: 'corrupt', algorithm, actual });
  }
  const present = new Set(repo.blobs.map((b) => b.etag));
  for (const r of repo.revisions) {
    for (const f of r.files) {
      if (!f.blob || present.has(f.blob) || !keep({ etag: f.blob, referencedBy: [`${r.commit}/${f.path}`] })) continue;
      report({ repo: repo.repo, etag: f.blob, file: f.file, sizeBytes: 0, status: 'missing', paths: [`${r.commit}/${f.path}`] });
    }
  }
  return checks;
}

/**
 * Deletes what a failed check found: a corrupt blob and the snapshot entries linking to it, or a
 * dangling snapshot entry, so the next download fetches the file again instead of trusting it.
 */
export async function repairCheck(check: BlobCheck, repo: CachedRepo): Promise<void> {
  if (check.status !== 'corrupt' && check.status !== 'missing') return;
  const links = repo.revisions.flatMap((r) => r.files).filter((f) => f.blob === check.etag);
  for (const l of links) await rm(l.file, { force: true });
  if (check.status === 'corrupt') await rm(check.file, { force: true });
}
