/**
 * Runs the chart's `helm test` Pod script, exactly as rendered, against a stand-in inferd on
 * 127.0.0.1, so a broken script (or a check that can never fail) is caught without a cluster.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderChart } from '../../deploy/tools/helm/chart-renderer.js';
import { get, getArray, type Obj } from '../../deploy/tools/k8s/manifest.js';

interface Behaviour {
  readyStatus: number;
  models: string[];
  requireKey?: string;
}

const behaviour: Behaviour = { readyStatus: 200, models: ['smollm2-135m-instruct'] };
const seen: string[] = [];

function respond(req: IncomingMessage, res: ServerResponse): void {
  seen.push(`${req.method} ${req.url}`);
  const json = (status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const authorized = behaviour.requireKey === undefined || req.headers.authorization === `Bearer ${behaviour.requireKey}`;
  switch (req.url) {
    case '/v2/health/live':
      return json(200, {});
    case '/v2/health/ready':
    case '/v1/health/ready':
      return json(behaviour.readyStatus, {});
    case '/v2':
      return authorized ? json(200, { name: 'inferd', version: '0.1.0', extensions: [] }) : json(401, {});
    case '/metrics':
      res.writeHead(200, { 'content-type': 'text/plain' }).end('# HELP num_requests_running x\n# TYPE num_requests_running gauge\nnum_requests_running 0\n');
      return undefined;
    case '/v1/models':
      return authorized ? json(200, { object: 'list', data: behaviour.models.map((id) => ({ id, object: 'model' })) }) : json(401, {});
    case '/v1/chat/completions':
      return authorized ? json(200, { choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' } }] }) : json(401, {});
    default:
      return json(404, {});
  }
}

let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer(respond);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** The test container's command and env, with the Service URLs pointed at the stand-in. */
function testPod(overrides: Obj = {}): { command: string[]; env: Record<string, string> } {
  const render = renderChart('deploy/helm/inferd', { releaseName: 'demo', overrides: [overrides] });
  const pod = render.manifests.find((m) => m.doc['kind'] === 'Pod')!.doc;
  expect((get(pod, 'metadata.annotations') as Obj)['helm.sh/hook']).toBe('test');
  const container = getArray(pod, 'spec.containers')[0] as Obj;
  const env: Record<string, string> = {};
  for (const e of getArray(container, 'env') as Obj[]) if (typeof e['value'] === 'string') env[String(e['name'])] = e['value'];
  expect(env['INFERD_URL']).toBe('http://demo-inferd:8000');
  env['INFERD_URL'] = `http://127.0.0.1:${port}`;
  env['INFERD_METRICS_URL'] = `http://127.0.0.1:${port}`;
  return { command: container['command'] as string[], env };
}

function runHook(command: string[], env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  const [exe, ...args] = command;
  expect(exe).toBe('node');
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 15_000 }, (err, stdout) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

describe('helm test hook', () => {
  it('passes against a healthy server and calls every API it promises', async () => {
    seen.length = 0;
    behaviour.readyStatus = 200;
    const { command, env } = testPod();
    const result = await runHook(command, env);
    expect(result.stdout).toContain('all checks passed');
    expect(result.code).toBe(0);
    expect(seen).toEqual(['GET /v2/health/live', 'GET /v2/health/ready', 'GET /v1/health/ready', 'GET /v2', 'GET /metrics', 'GET /v1/models', 'POST /v1/chat/completions']);
  });

  it('fails when the server is not ready', async () => {
    behaviour.readyStatus = 503;
    const { command, env } = testPod();
    const result = await runHook(command, env);
    behaviour.readyStatus = 200;
    expect(result.stdout).toContain('not ok - readiness /v2/health/ready: HTTP 503');
    expect(result.code).toBe(1);
  });

  it('fails when the configured model is not served', async () => {
    behaviour.models = ['another-model'];
    const { command, env } = testPod();
    const result = await runHook(command, env);
    behaviour.models = ['smollm2-135m-instruct'];
    expect(result.stdout).toMatch(/not ok - model listed by \/v1\/models: smollm2-135m-instruct not in \[another-model\]/);
    expect(result.code).toBe(1);
  });

  it('sends the test API key when auth is on', async () => {
    behaviour.requireKey = 'key-a';
    const { command, env } = testPod({ auth: { enabled: true }, secrets: { apiKeys: JSON.stringify([{ key: 'key-a', name: 'helm-test', scopes: ['inference'] }]), testApiKey: 'key-a' } });
    const withoutKey = await runHook(command, env);
    const withKey = await runHook(command, { ...env, INFERD_TEST_API_KEY: 'key-a' });
    behaviour.requireKey = undefined;
    expect(withoutKey.code).toBe(1);
    expect(withKey.stdout).toContain('all checks passed');
  });
});
