/**
 * Fetches one Hub file into the cache, at most once across processes: metadata (HEAD), a
 * cache hit check, a per-blob lock, a resumable transfer with retries and backoff, sha256 (or
 * git blob sha1) verification before the file becomes visible, then an atomic rename and the
 * snapshot link. Offline mode, and a Hub that cannot be reached, serve from the cache only.
 */
import { rename, rm, stat, statfs } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CatalogError, isRetryable } from '../catalog-errors.js';
import { checkSafeFile } from '../safe-formats.js';
import { transferBlob, type TransferResult } from './blob-transfer.js';
import { acquireFileLock } from './file-lock.js';
import type { HubCache } from './hub-cache.js';
import type { HubClient, HubFileMetadata } from './hub-client.js';

/** A download progress event; `repo` and `path` name the file. */
export type DownloadEvent = { readonly repo: string; readonly path: string } & (
  | { readonly type: 'cached'; readonly file: string; readonly bytesTotal?: number }
  | { readonly type: 'waiting'; readonly holder: string }
  | { readonly type: 'start'; readonly bytesTotal: number; readonly resumeFrom: number }
  | { readonly type: 'progress'; readonly bytesDone: number; readonly bytesTotal: number }
  | { readonly type: 'retry'; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'done'; readonly file: string; readonly bytesTotal: number; readonly transferred: number }
);

/** How to download. */
export interface DownloadOptions {
  readonly client: HubClient;
  readonly cache: HubCache;
  /** Use only the cache (HF_HUB_OFFLINE / INFERD_OFFLINE). */
  readonly offline?: boolean;
  /** sha256 the catalog promises; checked against the Hub's and the bytes. */
  readonly expectedSha256?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: DownloadEvent) => void;
  /** Retries after a network failure (default 4), with exponential backoff from `retryBaseMs` (default 500). */
  readonly retries?: number;
  readonly retryBaseMs?: number;
  /** Minimum spacing of `progress` events (default 100 ms). */
  readonly progressIntervalMs?: number;
  /** Abort a transfer idle for this long (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Lock staleness (default 30 s). */
  readonly lockStaleMs?: number;
}

/** A file available in the cache. */
export interface DownloadResult {
  /** Snapshot path of the file (a link into blobs/). */
  readonly file: string;
  readonly commit?: string;
  readonly size?: number;
  /** How the content was checked: a hash, or only its size when the Hub gave neither. */
  readonly verified?: 'sha256' | 'git-sha1' | 'size';
  /** True when no byte was transferred by this call. */
  readonly fromCache: boolean;
}

/** Runs `fn` with retries on retryable errors. */
async function withRetries<T>(fn: () => Promise<T>, opts: DownloadOptions, emit: (reason: string, attempt: number, delayMs: number) => void): Promise<T> {
  const retries = opts.retries ?? 4;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err) || attempt >= retries || opts.signal?.aborted) throw err;
      const base = (opts.retryBaseMs ?? 500) * 2 ** attempt;
      const delayMs = Math.round(base / 2 + Math.random() * base);
      emit((err as Error).message, attempt + 1, delayMs);
      await sleep(delayMs, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }
}

async function ensureSpace(dir: string, needed: number): Promise<void> {
  const fs = await statfs(dir).catch(() => undefined);
  if (fs && fs.bavail * fs.bsize < needed) {
    throw new CatalogError('DISK_FULL', `not enough disk space in ${dir}: ${needed} bytes needed, ${fs.bavail * fs.bsize} free`);
  }
}

function verifyTransfer(meta: HubFileMetadata, expected: string | undefined, t: TransferResult, path: string): 'sha256' | 'git-sha1' | 'size' {
  if (t.bytes !== meta.size) throw new CatalogError('CHECKSUM_MISMATCH', `${path}: got ${t.bytes} bytes, expected ${meta.size}`);
  const sha = expected ?? meta.sha256;
  if (sha) {
    if (t.sha256 !== sha) throw new CatalogError('CHECKSUM_MISMATCH', `${path}: sha256 is ${t.sha256}, expected ${sha}; the download was deleted`);
    return 'sha256';
  }
  if (/^[0-9a-f]{40}$/.test(meta.etag) && t.gitSha1) {
    if (t.gitSha1 !== meta.etag) throw new CatalogError('CHECKSUM_MISMATCH', `${path}: git blob sha1 is ${t.gitSha1}, expected ${meta.etag}; the download was deleted`);
    return 'git-sha1';
  }
  return 'size';
}

/** Makes `path` of `repo@revision` available in the cache and returns its snapshot path. */
export async function downloadHubFile(repo: string, revision: string, path: string, opts: DownloadOptions): Promise<DownloadResult> {
  checkSafeFile(path);
  const { cache, client } = opts;
  const emit = opts.onProgress ?? (() => undefined);
  const fromCache = async (why: string, cause?: unknown): Promise<DownloadResult> => {
    const file = await cache.cachedFile(repo, revision, path);
    if (!file) throw new CatalogError(cause ? 'NETWORK' : 'OFFLINE', `${repo}/${path}@${revision} is not in the cache at ${cache.root} and ${why}`, { cause });
    emit({ type: 'cached', repo, path, file, bytesTotal: (await stat(file)).size });
    return { file, fromCache: true };
  };
  if (opts.offline) return fromCache('offline mode is on (HF_HUB_OFFLINE / INFERD_OFFLINE); download it while online first');
  let meta: HubFileMetadata;
  // NOTE: a cached file is worth one metadata attempt only, so an air-gapped start does not sit through retries.
  const cached = await cache.cachedFile(repo, revision, path);
  try {
    meta = await withRetries(() => client.fileMetadata(repo, revision, path, opts.signal), cached ? { ...opts, retries: 0 } : opts, (reason, attempt, delayMs) =>
      emit({ type: 'retry', repo, path, attempt, delayMs, reason }),
    );
  } catch (err) {
    if (err instanceof CatalogError && err.code === 'NETWORK') return fromCache(`the Hub cannot be reached (${err.message})`, err);
    throw err;
  }
  const expected = opts.expectedSha256?.toLowerCase();
  if (expected && meta.sha256 && expected !== meta.sha256) {
    throw new CatalogError('CHECKSUM_MISMATCH', `${repo}/${path}@${revision}: the catalog expects sha256 ${expected} but the Hub serves ${meta.sha256}`);
  }
  await cache.writeRef(repo, revision, meta.commit);
  const done = async (transferred: number | undefined, verified?: DownloadResult['verified']): Promise<DownloadResult> => {
    const file = await cache.linkSnapshot(repo, meta.commit, path, meta.etag);
    emit(transferred === undefined ? { type: 'cached', repo, path, file, bytesTotal: meta.size } : { type: 'done', repo, path, file, bytesTotal: meta.size, transferred });
    return { file, commit: meta.commit, size: meta.size, verified, fromCache: !transferred };
  };
  if (await cache.hasBlob(repo, meta.etag)) return done(undefined);
  const lock = await acquireFileLock(cache.lockPath(repo, meta.etag), {
    staleMs: opts.lockStaleMs, signal: opts.signal, onWait: (holder) => emit({ type: 'waiting', repo, path, holder }),
  });
  try {
    if (await cache.hasBlob(repo, meta.etag)) return await done(undefined);
    const incomplete = cache.incompletePath(repo, meta.etag);
    const partial = await stat(incomplete).then((s) => s.size, () => 0);
    await ensureSpace(cache.root, meta.size - Math.min(partial, meta.size));
    let last = 0;
    const transfer = (): Promise<TransferResult> =>
      withRetries(
        () => transferBlob({
          client, repo, revision: meta.commit, path, size: meta.size, incompletePath: incomplete, gitBlobSha1: !expected && !meta.sha256,
          signal: opts.signal, idleTimeoutMs: opts.idleTimeoutMs,
          onStart: (resumeFrom) => emit({ type: 'start', repo, path, bytesTotal: meta.size, resumeFrom }),
          onBytes: (bytesDone) => {
            const now = Date.now();
            if (now - last < (opts.progressIntervalMs ?? 100) && bytesDone < meta.size) return;
            last = now;
            emit({ type: 'progress', repo, path, bytesDone, bytesTotal: meta.size });
          },
        }),
        opts,
        (reason, attempt, delayMs) => emit({ type: 'retry', repo, path, attempt, delayMs, reason }),
      );
    let result = await transfer();
    let verified: DownloadResult['verified'];
    let transferred = result.transferred;
    try {
      verified = verifyTransfer(meta, expected, result, path);
    } catch (err) {
      // NOTE: bad bytes are never kept: delete them and fetch the whole file once more.
      await rm(incomplete, { force: true });
      emit({ type: 'retry', repo, path, attempt: 1, delayMs: 0, reason: (err as Error).message });
      result = await transfer();
      transferred += result.transferred;
      try {
        verified = verifyTransfer(meta, expected, result, path);
      } catch (again) {
        await rm(incomplete, { force: true });
        throw again;
      }
    }
    await rename(incomplete, cache.blobPath(repo, meta.etag));
    return await done(transferred, verified);
  } finally {
    await lock.release();
  }
}
