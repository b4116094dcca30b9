/**
 * Helpers for the safe-model-loading tests: a repository plus an "outside" folder next to it,
 * an explicit-mode server, and load/index calls through the public HTTP API.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunningServer } from '../../../src/app.js';
import { postJson, startTestServer, tempDir } from '../../support/server.js';

/** A temporary workspace: `<base>/repo` (the model repository) and `<base>/outside`. */
export interface Workspace {
  readonly base: string;
  readonly repo: string;
  readonly outside: string;
  readonly server: RunningServer;
  close(): Promise<void>;
}

/** Creates the folders and starts inferd in explicit mode (nothing loaded). */
export async function startWorkspace(): Promise<Workspace> {
  const t = await tempDir('inferd-safe-load-');
  const repo = path.join(t.dir, 'repo');
  const outside = path.join(t.dir, 'outside');
  await mkdir(repo, { recursive: true });
  await mkdir(outside, { recursive: true });
  const server = await startTestServer({ modelRepository: repo, modelControlMode: 'explicit', strictReadiness: false });
  return {
    base: t.dir,
    repo,
    outside,
    server,
    close: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}

/** Writes `files` (relative path → content) under `dir`, creating folders. */
export async function writeTree(dir: string, files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const target = path.join(dir, ...rel.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/** Loads `name` through `POST /v2/repository/models/{name}/load`; `name` goes into the URL as given. */
export function load(server: RunningServer, name: string, parameters?: Record<string, string>): Promise<{ status: number; body: any }> {
  return postJson(server, `/v2/repository/models/${name}/load`, parameters ? { parameters } : {});
}

/** The repository index rows of `name`. */
export async function indexRows(server: RunningServer, name: string): Promise<any[]> {
  const res = await postJson(server, '/v2/repository/index', {});
  return (res.body as any[]).filter((r) => r.name === name);
}

/** The UNAVAILABLE reason the index shows for `name` (version row or model row). */
export async function unavailableReason(server: RunningServer, name: string): Promise<string> {
  const rows = await indexRows(server, name);
  const row = rows.find((r) => r.state === 'UNAVAILABLE');
  if (!row) throw new Error(`'${name}' is not UNAVAILABLE in the index: ${JSON.stringify(rows)}`);
  return String(row.reason);
}

/** An ONNX model config for `name` (auto-completed from the file). */
export function onnxConfig(name: string, extra = ''): string {
  return `name: "${name}"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 4\n${extra}\n`;
}

/** A llamacpp model config for `name`. */
export function ggufConfig(name: string): string {
  return `name: "${name}"\nbackend: "llamacpp"\nparameters { key: "context_size" value { string_value: "128" } }\n`;
}
