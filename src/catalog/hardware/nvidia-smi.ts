/**
 * NVIDIA GPUs through `nvidia-smi` queries. The command runner is injectable so tests feed real
 * nvidia-smi output; a missing binary or a driver failure yields "no GPUs" with a reason.
 */
import { execFile } from 'node:child_process';
import type { NvidiaGpu, ToolStatus } from './hardware-types.js';

/** Result of running a command to completion. */
export interface CommandResult {
  /** Exit code; null when killed (timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command args`; rejects only when the command cannot be started (e.g. ENOENT). */
export type CommandRunner = (command: string, args: readonly string[], timeoutMs: number) => Promise<CommandResult>;

/** The real runner: execFile with a timeout and a bounded output buffer. */
export const execCommand: CommandRunner = (command, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: timeoutMs, maxBuffer: 1 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number; killed?: boolean }) | null;
      if (e && typeof e.code === 'string') return reject(e);
      resolve({ code: e ? (e.killed ? null : typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
    });
  });

/** The per-GPU fields queried, in order. */
export const GPU_QUERY_FIELDS = ['index', 'name', 'uuid', 'memory.total', 'memory.free', 'compute_cap', 'driver_version'] as const;

const MIB = 1024 * 1024;

function value(raw: string | undefined): string | undefined {
  const v = raw?.trim();
  return !v || /^\[.*\]$/.test(v) || v === 'N/A' ? undefined : v;
}

/** Parses `--format=csv,noheader,nounits` output of a query over `fields` (memory in MiB). */
export function parseGpuQuery(text: string, fields: readonly string[] = GPU_QUERY_FIELDS): NvidiaGpu[] {
  const gpus: NvidiaGpu[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const cells = line.split(',');
    const get = (f: string): string | undefined => value(cells[fields.indexOf(f)]);
    const mib = (f: string): number => Math.round(Number(get(f) ?? 0) * MIB);
    gpus.push({
      index: Number(get('index') ?? gpus.length),
      name: get('name') ?? 'unknown',
      uuid: get('uuid'),
      memoryTotalBytes: mib('memory.total'),
      memoryFreeBytes: mib('memory.free'),
      computeCapability: fields.includes('compute_cap') ? get('compute_cap') : undefined,
      driverVersion: get('driver_version'),
    });
  }
  return gpus;
}

/** The CUDA version from plain `nvidia-smi` (or `--version`) output. */
export function parseCudaVersion(text: string): string | undefined {
  return /CUDA Version\s*:\s*([0-9][0-9.]*)/i.exec(text)?.[1];
}

async function query(run: CommandRunner, fields: readonly string[], timeoutMs: number): Promise<CommandResult> {
  return run('nvidia-smi', [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'], timeoutMs);
}

/** Lists NVIDIA GPUs; `status.available` is false (with a reason) when nvidia-smi is missing or fails. */
export async function inspectNvidiaGpus(run: CommandRunner = execCommand, timeoutMs = 5000): Promise<{ gpus: NvidiaGpu[]; status: ToolStatus }> {
  let fields: readonly string[] = GPU_QUERY_FIELDS;
  let result: CommandResult;
  try {
    result = await query(run, fields, timeoutMs);
    // NOTE: drivers older than ~510 lack compute_cap and refuse the whole query.
    if (result.code !== 0 && /not a valid field/i.test(result.stdout + result.stderr)) {
      fields = GPU_QUERY_FIELDS.filter((f) => f !== 'compute_cap');
      result = await query(run, fields, timeoutMs);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { gpus: [], status: { available: false, reason: code === 'ENOENT' ? 'nvidia-smi not found' : `nvidia-smi could not run: ${(err as Error).message}` } };
  }
  if (result.code !== 0) {
    const why = (result.stdout + result.stderr).trim().split(/\r?\n/)[0] || (result.code === null ? 'timed out' : `exit code ${result.code}`);
    return { gpus: [], status: { available: false, reason: `nvidia-smi failed: ${why}` } };
  }
  const gpus = parseGpuQuery(result.stdout, fields);
  let cudaVersion: string | undefined;
  try {
    const plain = await run('nvidia-smi', [], timeoutMs);
    cudaVersion = plain.code === 0 ? parseCudaVersion(plain.stdout) : undefined;
  } catch {
    cudaVersion = undefined;
  }
  return { gpus: gpus.map((g) => ({ ...g, cudaVersion })), status: { available: true } };
}
