/**
 * Resource figures of a child process read from Linux /proc: resident memory and open file
 * descriptors (sockets, files, pipes), for leak checks in long-running benchmarks.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** One sample of a process's resources. */
export interface ProcSample {
  /** Resident set size in MiB. */
  readonly rssMiB: number;
  readonly openFds: number;
  /** Of which sockets. */
  readonly sockets: number;
}

/** Reads RSS and descriptor counts of `pid`; throws when the process is gone. */
export async function sampleProcess(pid: number): Promise<ProcSample> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  const fds = await readdir(`/proc/${pid}/fd`);
  let sockets = 0;
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (target.startsWith('socket:')) sockets++;
  }
  return { rssMiB: rssKb / 1024, openFds: fds.length, sockets };
}
