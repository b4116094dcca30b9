/**
 * gRPC access control through a real inferd: API keys in metadata, scopes per RPC, per-key model
 * allow-lists, --grpc-restricted-api, and ModelStreamInfer. All traffic is 127.0.0.1.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { identityConfig, startTestServer, tempDir, writeModel } from '../support/server.js';
import { connect, rawFp32, readRaw, type InferenceClient } from './support/grpc-client.js';

const INFER_KEY = 'grpc-infer-key-0001';
const LIMITED_KEY = 'grpc-limited-key-0002';
const METRICS_KEY = 'grpc-metrics-key-0003';
const ADMIN_KEY = 'grpc-admin-key-0004';
const ADMIN_A_KEY = 'grpc-admin-a-key-0005';
const REPO_TOKEN = { 'x-admin-token': 'letmein-123' };

let server: RunningServer;
let client: InferenceClient;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeModel(t.dir, 'a', identityConfig('a'));
  await writeModel(t.dir, 'b', identityConfig('b'));
  const file = path.join(t.dir, 'keys.json');
  await writeFile(
    file,
    JSON.stringify([
      { key: ADMIN_KEY, name: 'ops', scopes: ['inference', 'admin', 'metrics'] },
      { key: ADMIN_A_KEY, name: 'ops-a', scopes: ['inference', 'admin', 'metrics'], models: ['a'] },
    ]),
  );
  server = await startTestServer({
    modelRepository: t.dir,
    modelControlMode: 'explicit',
    loadModels: ['*'],
    apiKeysFile: file,
    apiKeys: `${INFER_KEY}:inference;${LIMITED_KEY}:inference@a;${METRICS_KEY}:metrics`,
    grpcRestrictedApi: ['model-repository:x-admin-token=letmein-123'],
  });
  client = connect(server.grpcPort as number);
});
afterAll(async () => {
  client?.close();
  await server?.close();
  await cleanup?.();
});

function metadataOf(entries: Record<string, string>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
}

function bearer(key: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${key}`, ...extra };
}

/** A unary call with metadata; resolves with the response or `{ code, details }` of the failure. */
function rpc(name: string, request: object, meta: Record<string, string> = {}): Promise<{ ok: true; res: any } | { ok: false; code: number; details: string }> {
  return new Promise((resolve) => {
    client[name]!(request, metadataOf(meta), { deadline: new Date(Date.now() + 10_000) }, (err: ServiceError | null, res: unknown) =>
      resolve(err ? { ok: false, code: err.code, details: err.details } : { ok: true, res }),
    );
  });
}

async function expectCode(name: string, request: object, meta: Record<string, string>, code: number): Promise<string> {
  const out = await rpc(name, request, meta);
  expect(out.ok, `${name} should fail with ${status[code]}`).toBe(false);
  if (out.ok) return '';
  expect(status[out.code]).toBe(status[code]);
  return out.details;
}

function inferRequest(model: string, values = [1, 2]) {
  const x = rawFp32('INPUT0', values, [1, values.length]);
  return { model_name: model, inputs: [x.input], raw_input_contents: [x.raw] };
}

describe('gRPC API keys', () => {
  it('keeps ServerLive, ServerReady and ModelReady open without a key', async () => {
    expect(await rpc('ServerLive', {})).toEqual({ ok: true, res: { live: true } });
    expect(await rpc('ServerReady', {})).toEqual({ ok: true, res: { ready: true } });
    expect(await rpc('ModelReady', { name: 'b' })).toEqual({ ok: true, res: { ready: true } });
  });

  it('answers UNAUTHENTICATED without a key or with a wrong one, never echoing it', async () => {
    await expectCode('ServerMetadata', {}, {}, status.UNAUTHENTICATED);
    await expectCode('ModelInfer', inferRequest('a'), {}, status.UNAUTHENTICATED);
    const details = await expectCode('ModelMetadata', { name: 'a' }, bearer('wrong-key-value-999'), status.UNAUTHENTICATED);
    expect(details).not.toContain('wrong-key-value-999');
    await expectCode('ModelInfer', inferRequest('a'), { 'api-key': 'wrong-key-value-999' }, status.UNAUTHENTICATED);
  });

  it('accepts authorization: Bearer and api-key metadata', async () => {
    const viaBearer = await rpc('ModelInfer', inferRequest('a', [3, 4]), bearer(INFER_KEY));
    expect(viaBearer.ok && readRaw(viaBearer.res.raw_output_contents[0], Float32Array)).toEqual([3, 4]);
    expect((await rpc('ModelInfer', inferRequest('b'), { 'api-key': INFER_KEY })).ok).toBe(true);
  });

  it('enforces scopes per RPC: metrics for statistics, admin for the repository, inference for infer', async () => {
    await expectCode('ModelStatistics', { name: 'a' }, bearer(INFER_KEY), status.PERMISSION_DENIED);
    await expectCode('RepositoryIndex', {}, bearer(INFER_KEY, REPO_TOKEN), status.PERMISSION_DENIED);
    await expectCode('ModelInfer', inferRequest('a'), bearer(METRICS_KEY), status.PERMISSION_DENIED);
    expect((await rpc('ModelStatistics', { name: 'a' }, bearer(METRICS_KEY))).ok).toBe(true);
    expect((await rpc('RepositoryIndex', {}, bearer(ADMIN_KEY, REPO_TOKEN))).ok).toBe(true);
  });

  it('answers NOT_FOUND for models outside the key allow-list, as if they did not exist', async () => {
    expect((await rpc('ModelInfer', inferRequest('a'), bearer(LIMITED_KEY))).ok).toBe(true);
    const unknown = await expectCode('ModelInfer', inferRequest('b'), bearer(LIMITED_KEY), status.NOT_FOUND);
    expect(unknown).toContain("unknown model: 'b'");
    await expectCode('ModelMetadata', { name: 'b' }, bearer(LIMITED_KEY), status.NOT_FOUND);
    await expectCode('ModelConfig', { name: 'b' }, bearer(LIMITED_KEY), status.NOT_FOUND);
    await expectCode('ModelStatistics', { name: 'b' }, bearer(ADMIN_A_KEY), status.NOT_FOUND);
    await expectCode('RepositoryModelUnload', { model_name: 'b' }, bearer(ADMIN_A_KEY, REPO_TOKEN), status.NOT_FOUND);
    expect(server.inference.isModelReady('b')).toBe(true);
  });

  it('narrows "all models" answers to the allow-list', async () => {
    const stats = await rpc('ModelStatistics', { name: '' }, bearer(ADMIN_A_KEY));
    expect(stats.ok && stats.res.model_stats.map((s: { name: string }) => s.name)).toEqual(['a']);
    const all = await rpc('ModelStatistics', { name: '' }, bearer(ADMIN_KEY));
    expect(all.ok && all.res.model_stats.map((s: { name: string }) => s.name).sort()).toEqual(['a', 'b']);
    const index = await rpc('RepositoryIndex', {}, bearer(ADMIN_A_KEY, REPO_TOKEN));
    expect(index.ok && index.res.models.map((m: { name: string }) => m.name)).toEqual(['a']);
  });
});

describe('--grpc-restricted-api', () => {
  it('requires the metadata value on restricted groups even with an admin key, and only there', async () => {
    await expectCode('RepositoryIndex', {}, bearer(ADMIN_KEY), status.PERMISSION_DENIED);
    await expectCode('RepositoryIndex', {}, bearer(ADMIN_KEY, { 'x-admin-token': 'guess' }), status.PERMISSION_DENIED);
    expect((await rpc('RepositoryIndex', {}, bearer(ADMIN_KEY, REPO_TOKEN))).ok).toBe(true);
    expect((await rpc('ServerMetadata', {}, bearer(ADMIN_KEY))).ok).toBe(true);
  });
});

describe('ModelStreamInfer with API keys', () => {
  function open(meta: Record<string, string>) {
    const stream = client['ModelStreamInfer']!(metadataOf(meta), { deadline: new Date(Date.now() + 10_000) }) as NodeJS.EventEmitter & {
      write(m: object): void;
      end(): void;
    };
    const responses: any[] = [];
    stream.on('data', (m: unknown) => responses.push(m));
    stream.on('error', () => undefined);
    const done = new Promise<{ code: number; details: string }>((resolve) => stream.on('status', (s: { code: number; details: string }) => resolve(s)));
    return { stream, responses, done };
  }

  it('ends the stream with UNAUTHENTICATED when no key is sent', async () => {
    const { stream, responses, done } = open({});
    stream.write(inferRequest('a'));
    stream.end();
    const s = await done;
    expect(status[s.code]).toBe('UNAUTHENTICATED');
    expect(responses).toEqual([]);
  });

  it('serves allowed models and answers others in-stream with not found', async () => {
    const { stream, responses, done } = open(bearer(LIMITED_KEY));
    stream.write({ ...inferRequest('a', [5]), id: 'ok' });
    stream.write({ ...inferRequest('b', [6]), id: 'hidden' });
    stream.end();
    expect(status[(await done).code]).toBe('OK');
    const byId = new Map(responses.map((r) => [r.infer_response.id, r]));
    expect(byId.get('ok')?.error_message).toBe('');
    expect(readRaw(byId.get('ok')?.infer_response.raw_output_contents[0], Float32Array)).toEqual([5]);
    expect(byId.get('hidden')?.error_message).toContain("unknown model: 'b'");
  });
});
