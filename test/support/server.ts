/**
 * Test helpers: temporary model repositories and a started inferd on 127.0.0.1 port 0.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startServer, type RunningServer } from '../../src/app.js';
import type { ServerOptions } from '../../src/config/server-options.js';

/** A folder under the OS temp dir, removed by `cleanup`. */
export async function tempDir(prefix = 'inferd-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `<repo>/<name>/config.pbtxt` and empty version folders. */
export async function writeModel(repo: string, name: string, configText: string, versions: readonly number[] = [1]): Promise<void> {
  await mkdir(path.join(repo, name), { recursive: true });
  await writeFile(path.join(repo, name, 'config.pbtxt'), configText);
  for (const v of versions) await mkdir(path.join(repo, name, String(v)), { recursive: true });
}

/** An identity-backend FP32 model config with optional extra pbtxt lines. */
export function identityConfig(name: string, extra = '', maxBatch = 8): string {
  return `name: "${name}"
backend: "identity"
max_batch_size: ${maxBatch}
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]
${extra}
`;
}

/** Starts inferd quietly on a free port. */
export function startTestServer(options: Partial<ServerOptions>): Promise<RunningServer> {
  return startServer({ host: '127.0.0.1', httpPort: 0, grpcPort: 0, logger: pino({ level: 'silent' }), ...options });
}

/** A fetch helper bound to a running server. */
export function client(server: RunningServer): (p: string, init?: RequestInit) => Promise<Response> {
  return (p, init) => fetch(`http://127.0.0.1:${server.httpPort}${p}`, init);
}

/** POSTs JSON and returns status and parsed body. */
export async function postJson(server: RunningServer, p: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await client(server)(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A KServe JSON infer body for the identity models: one FP32 input. */
export function fp32Infer(values: readonly number[], batch = 1): unknown {
  return { inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [batch, values.length / batch], data: values }] };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

/** Awaits a response and parses its JSON body without type checks (tests assert on it). */
export async function json(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}
