/**
 * A cross-process lock file, so two inferd processes never download the same blob at once: the
 * second waits and then finds the blob complete. The holder refreshes the file's mtime while it
 * works; a lock whose holder died (same host, pid gone) or that has not been refreshed for
 * `staleMs` is broken.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm, stat, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CatalogError } from '../catalog-errors.js';

/** A held lock. */
export interface FileLock {
  /** Stops the heartbeat and removes the lock file (only if it is still ours). */
  release(): Promise<void>;
}

/** How to wait and when a lock counts as abandoned. */
export interface FileLockOptions {
  /** A lock not refreshed for this long is broken (default 30 s). */
  readonly staleMs?: number;
  /** Delay between attempts while another process holds the lock (default 200 ms). */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** Called once when the lock is found held by someone else. */
  readonly onWait?: (holder: string) => void;
}

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<{ raw: string; content?: LockContent; mtimeMs: number } | undefined> {
  try {
    const [raw, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    let content: LockContent | undefined;
    try {
      content = JSON.parse(raw) as LockContent;
    } catch {
      content = undefined;
    }
    return { raw, content, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

async function tryCreate(file: string, content: LockContent): Promise<boolean> {
  try {
    const handle = await open(file, 'wx');
    await handle.writeFile(JSON.stringify(content));
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Takes the lock at `file`, waiting while a live holder has it. */
export async function acquireFileLock(file: string, options: FileLockOptions = {}): Promise<FileLock> {
  const staleMs = options.staleMs ?? 30_000;
  const pollMs = options.pollMs ?? 200;
  const mine: LockContent = { pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex') };
  await mkdir(path.dirname(file), { recursive: true });
  let told = false;
  while (!(await tryCreate(file, mine))) {
    if (options.signal?.aborted) throw new CatalogError('ABORTED', 'aborted while waiting for another download of the same file');
    const held = await readLock(file);
    if (held) {
      const dead = held.content?.host === mine.host && typeof held.content.pid === 'number' && !isAlive(held.content.pid);
      if (dead || Date.now() - held.mtimeMs > staleMs) {
        // NOTE: re-read just before removing so a lock that was replaced meanwhile survives.
        const again = await readLock(file);
        if (again?.raw === held.raw) await rm(file, { force: true });
        continue;
      }
      if (!told) {
        told = true;
        options.onWait?.(held.content ? `pid ${held.content.pid} on ${held.content.host}` : 'another process');
      }
    }
    await sleep(pollMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
  const beat = setInterval(() => {
    const now = new Date();
    utimes(file, now, now).catch(() => undefined);
  }, Math.max(50, Math.floor(staleMs / 3)));
  beat.unref();
  return {
    async release() {
      clearInterval(beat);
      const held = await readLock(file);
      if (held?.content?.token === mine.token) await rm(file, { force: true });
    },
  };
}
