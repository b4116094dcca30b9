import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { fp32Infer, identityConfig, startTestServer, tempDir, writeModel } from '../support/server.js';

const INFER_KEY = 'infer-key-0001';
const ADMIN_KEY = 'admin-key-0002';
const LIMITED_KEY = 'limited-key-0003';
const METRICS_KEY = 'metrics-key-0004';

let server: RunningServer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeModel(t.dir, 'a', identityConfig('a'));
  await writeModel(t.dir, 'b', identityConfig('b'));
  const file = path.join(t.dir, 'keys.json');
  await writeFile(file, JSON.stringify([{ key: ADMIN_KEY, name: 'ops', scopes: ['inference', 'admin', 'metrics'] }]));
  server = await startTestServer({
    modelRepository: t.dir,
    modelControlMode: 'explicit',
    loadModels: ['*'],
    apiKeysFile: file,
    apiKeys: `${INFER_KEY}:inference;${LIMITED_KEY}:inference@a;${METRICS_KEY}:metrics`,
  });
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

async function call(url: string, opts: { key?: string; header?: 'bearer' | 'api-key'; method?: 'GET' | 'POST'; body?: unknown; remoteAddress?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.key) {
    if (opts.header === 'api-key') headers['api-key'] = opts.key;
    else headers.authorization = `Bearer ${opts.key}`;
  }
  const res = await server.http.inject({
    method: opts.method ?? (opts.body ? 'POST' : 'GET'),
    url,
    headers,
    payload: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    remoteAddress: opts.remoteAddress ?? '127.0.0.1',
  });
  return { status: res.statusCode, body: res.body, headers: res.headers };
}

describe('API keys', () => {
  it('keeps health endpoints open', async () => {
    expect((await call('/v2/health/live')).status).toBe(200);
    expect((await call('/v2/health/ready')).status).toBe(200);
  });

  it('refuses inference without a key or with a wrong one (401), and never echoes the key', async () => {
    const none = await call('/v2/models/a/infer', { body: fp32Infer([1]) });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const wrong = await call('/v2/models/a/infer', { key: 'not-a-real-key-123', body: fp32Infer([1]) });
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain('not-a-real-key-123');
  });

  it('also guards infer over a real socket (the fast path is off with keys)', async () => {
    const url = `http://127.0.0.1:${server.httpPort}/v2/models/a/infer`;
    const body = JSON.stringify(fp32Infer([2]));
    expect((await fetch(url, { method: 'POST', body })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', body, headers: { authorization: `Bearer ${INFER_KEY}` } })).status).toBe(200);
  });

  it('accepts Authorization: Bearer and api-key headers', async () => {
    expect((await call('/v2/models/a/infer', { key: INFER_KEY, body: fp32Infer([1]) })).status).toBe(200);
    expect((await call('/v2/models/a/infer', { key: INFER_KEY, header: 'api-key', body: fp32Infer([1]) })).status).toBe(200);
  });

  it('enforces scopes: admin for the repository API, metrics for statistics', async () => {
    const denied = await call('/v2/repository/index', { key: INFER_KEY, method: 'POST', body: {} });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatch(/admin/);
    expect((await call('/v2/repository/index', { key: ADMIN_KEY, method: 'POST', body: {} })).status).toBe(200);
    expect((await call('/v2/models/stats', { key: INFER_KEY })).status).toBe(403);
    expect((await call('/v2/models/stats', { key: METRICS_KEY })).status).toBe(200);
    expect((await call('/v2/models/a/infer', { key: METRICS_KEY, body: fp32Infer([1]) })).status).toBe(403);
  });

  it('hides models outside a key allow-list as unknown (404)', async () => {
    expect((await call('/v2/models/a/infer', { key: LIMITED_KEY, body: fp32Infer([1]) })).status).toBe(200);
    const hidden = await call('/v2/models/b/infer', { key: LIMITED_KEY, body: fp32Infer([1]) });
    expect(hidden.status).toBe(404);
    expect((await call('/v2/models/b', { key: LIMITED_KEY })).status).toBe(404);
    expect((await call('/v2/models/b', { key: INFER_KEY })).status).toBe(200);
  });
});

describe('restricted API groups and remote admin', () => {
  let open: RunningServer;
  let done: () => Promise<void>;
  beforeAll(async () => {
    const t = await tempDir();
    done = t.cleanup;
    await writeModel(t.dir, 'a', identityConfig('a'));
    open = await startTestServer({ modelRepository: t.dir, modelControlMode: 'explicit', loadModels: ['a'], httpRestrictedApi: ['model-repository,statistics:x-admin-token=s3cret'] });
  });
  afterAll(async () => {
    await open.close();
    await done();
  });
  const inject = (url: string, headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
    open.http.inject({ method: url.includes('repository') ? 'POST' : 'GET', url, headers, remoteAddress, payload: url.includes('repository') ? '{}' : undefined });

  it('requires the configured header for restricted groups only', async () => {
    expect((await inject('/v2/repository/index', {})).statusCode).toBe(403);
    expect((await inject('/v2/repository/index', { 'x-admin-token': 'wrong' })).statusCode).toBe(403);
    expect((await inject('/v2/repository/index', { 'x-admin-token': 's3cret' })).statusCode).toBe(200);
    expect((await inject('/v2/models/stats', {})).statusCode).toBe(403);
    expect((await inject('/v2/models/a', {})).statusCode).toBe(200);
  });

  it('serves admin APIs only to loopback clients when no key is configured', async () => {
    const remote = await inject('/v2/repository/index', { 'x-admin-token': 's3cret' }, '10.1.2.3');
    expect(remote.statusCode).toBe(403);
    expect(remote.body).toMatch(/loopback/);
    expect((await inject('/v2/models/a', {}, '10.1.2.3')).statusCode).toBe(200);
  });

  it('rejects malformed restriction specs at start-up', async () => {
    await expect(startTestServer({ modelRepository: '/nonexistent', httpRestrictedApi: ['bogus-group:x=y'] })).rejects.toThrow(/unknown group/);
  });
});
