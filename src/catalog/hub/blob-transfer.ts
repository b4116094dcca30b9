/**
 * One transfer of a file's bytes into `<blob>.incomplete`, resuming from what is already there
 * with an HTTP Range request and hashing everything (old and new bytes) on the way, so the
 * caller can verify the whole file without reading it again.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CatalogError } from '../catalog-errors.js';
import { describeFetchError, type HubClient } from './hub-client.js';

/** What to transfer and where. */
export interface TransferRequest {
  readonly client: HubClient;
  readonly repo: string;
  readonly revision: string;
  readonly path: string;
  /** Expected size in bytes, from the file metadata. */
  readonly size: number;
  readonly incompletePath: string;
  /** Also compute the git blob sha1 (the etag of small non-LFS files). */
  readonly gitBlobSha1: boolean;
  readonly signal?: AbortSignal;
  /** Abort a transfer that delivers no byte for this long (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Called when the transfer starts, with the offset it resumes from. */
  readonly onStart?: (resumeFrom: number) => void;
  /** Called with the bytes now in the file after each chunk. */
  readonly onBytes?: (bytesDone: number) => void;
}

/** The hashes of the complete file and how much of it came over the network. */
export interface TransferResult {
  readonly sha256: string;
  readonly gitSha1?: string;
  readonly bytes: number;
  readonly transferred: number;
  readonly resumedFrom: number;
}

interface Hashers {
  sha256: Hash;
  git?: Hash;
}

function newHashers(size: number, git: boolean): Hashers {
  const h: Hashers = { sha256: createHash('sha256') };
  if (git) h.git = createHash('sha1').update(`blob ${size}\0`);
  return h;
}

async function hashExisting(file: string, length: number, h: Hashers): Promise<void> {
  if (length === 0) return;
  for await (const chunk of createReadStream(file, { start: 0, end: length - 1 })) {
    h.sha256.update(chunk as Buffer);
    h.git?.update(chunk as Buffer);
  }
}

function writeError(err: unknown, file: string): CatalogError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new CatalogError('DISK_FULL', `disk full writing ${file}; free space in ${path.dirname(file)} and run again (the download resumes)`, { cause: err });
  }
  return new CatalogError('NETWORK', `writing ${file} failed: ${(err as Error).message}`, { cause: err });
}

/** Offset a 206 answer starts at, from Content-Range. */
function rangeStart(res: Response): number | undefined {
  const m = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Transfers the rest of the file into `incompletePath`; throws CatalogError('NETWORK') on a cut connection (retryable, resumable). */
export async function transferBlob(req: TransferRequest): Promise<TransferResult> {
  await mkdir(path.dirname(req.incompletePath), { recursive: true });
  let have = await stat(req.incompletePath).then((s) => s.size, () => 0);
  const handle: FileHandle = await open(req.incompletePath, have > req.size ? 'w+' : 'a+');
  if (have > req.size) have = 0;
  let hashers = newHashers(req.size, req.gitBlobSha1);
  const idle = new AbortController();
  const signal = req.signal ? AbortSignal.any([req.signal, idle.signal]) : idle.signal;
  let timer: NodeJS.Timeout | undefined;
  const kick = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), req.idleTimeoutMs ?? 60_000);
  };
  let transferred = 0;
  const resumedFrom = have;
  try {
    await hashExisting(req.incompletePath, have, hashers);
    req.onStart?.(have);
    if (have < req.size) {
      kick();
      const res = await req.client.openFile(req.repo, req.revision, req.path, have, signal);
      if (res.status === 416) {
        await res.body?.cancel().catch(() => undefined);
        throw new CatalogError('NETWORK', `server refused to resume ${req.path} at byte ${have}`);
      }
      if (res.status === 200 && have > 0) {
        // NOTE: the server ignored Range and sends the whole file: start over.
        await handle.truncate(0);
        have = 0;
        hashers = newHashers(req.size, req.gitBlobSha1);
      } else if (res.status === 206 && rangeStart(res) !== have) {
        await res.body?.cancel().catch(() => undefined);
        throw new CatalogError('PROTOCOL', `server answered Range bytes=${have}- with Content-Range '${res.headers.get('content-range')}'`);
      } else if (res.status !== 200 && res.status !== 206) {
        await res.body?.cancel().catch(() => undefined);
        throw new CatalogError('PROTOCOL', `unexpected HTTP ${res.status} downloading ${req.path}`);
      }
      if (!res.body) throw new CatalogError('PROTOCOL', `empty body downloading ${req.path}`);
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          kick();
          try {
            await handle.write(chunk, 0, chunk.length, have);
          } catch (err) {
            throw writeError(err, req.incompletePath);
          }
          hashers.sha256.update(chunk);
          hashers.git?.update(chunk);
          have += chunk.length;
          transferred += chunk.length;
          if (have > req.size) throw new CatalogError('CHECKSUM_MISMATCH', `${req.path}: server sent more than the ${req.size} bytes announced`);
          req.onBytes?.(have);
        }
      } catch (err) {
        if (err instanceof CatalogError) throw err;
        if (req.signal?.aborted) throw new CatalogError('ABORTED', `download of ${req.path} aborted`, { cause: err });
        const why = idle.signal.aborted ? `no data for ${req.idleTimeoutMs ?? 60_000} ms` : describeFetchError(err);
        throw new CatalogError('NETWORK', `connection lost downloading ${req.path} at byte ${have} of ${req.size}: ${why}`, { cause: err });
      }
      if (have < req.size) throw new CatalogError('NETWORK', `connection closed downloading ${req.path} at byte ${have} of ${req.size}`);
    }
    await handle.sync();
    return { sha256: hashers.sha256.digest('hex'), gitSha1: hashers.git?.digest('hex'), bytes: have, transferred, resumedFrom };
  } finally {
    clearTimeout(timer);
    await handle.close();
  }
}
