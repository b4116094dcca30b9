/**
 * Request limits through a real inferd on 127.0.0.1: slow clients (headers and bodies) cut off
 * by the socket time limits, JSON nesting depth, requested outputs, per-API-key rate and
 * concurrency limits on HTTP and gRPC (429 + Retry-After / RESOURCE_EXHAUSTED), and no key
 * ever written to the log or the metrics.
 */
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { startServer, type RunningServer } from '../../src/app.js';
import { addServeCommand } from '../../src/cli/serve-command.js';
import type { ServerOptions } from '../../src/config/server-options.js';
import { client, fp32Infer, identityConfig, postJson, startTestServer, tempDir, writeModel } from '../support/server.js';
import { connect, rawFp32, type InferenceClient } from '../grpc/support/grpc-client.js';

let repo: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const t = await tempDir('inferd-limits-');
  cleanup = t.cleanup;
  repo = t.dir;
  await writeModel(repo, 'echo', identityConfig('echo'));
  await writeModel(repo, 'slow', identityConfig('slow', 'parameters: { key: "execute_delay_ms" value: { string_value: "800" } }'));
});
afterAll(async () => {
  await cleanup?.();
});

/** Opens a raw socket, runs `drip` on it, and resolves with the ms until the server closed it. */
function timeUntilClosed(port: number, start: string, drip: string, everyMs: number, capMs: number): Promise<{ closedAfterMs: number; received: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const t0 = Date.now();
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const cap = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`the server kept a slow client for more than ${capMs} ms`));
    }, capMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (received += d));
    socket.on('connect', () => {
      socket.write(start);
      timer = setInterval(() => {
        if (!socket.destroyed) socket.write(drip);
      }, everyMs);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(cap);
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - t0, received });
    });
  });
}

describe('slow clients (slowloris)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startTestServer({ modelRepository: repo, httpHeaderTimeoutSecs: 1, httpRequestTimeoutSecs: 2 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('closes a connection whose headers never finish, within the header timeout', async () => {
    const { closedAfterMs } = await timeUntilClosed(server.httpPort, 'GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n', 150, 6_000);
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs).toBeLessThan(2_500);
  });

  it('closes an infer request whose body trickles in, within the request timeout (fast path included)', async () => {
    const head = 'POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n';
    const { closedAfterMs, received } = await timeUntilClosed(server.httpPort, head, ' ', 150, 8_000);
    expect(closedAfterMs).toBeGreaterThanOrEqual(1_900);
    expect(closedAfterMs).toBeLessThan(4_000);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('still serves ordinary requests', async () => {
    const res = await postJson(server, '/v2/models/echo/infer', fp32Infer([1, 2], 1));
    expect(res.status).toBe(200);
  });
});

function nested(depth: number, inner = '1'): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth);
}

describe('JSON bodies', () => {
  let server: RunningServer;
  const post = (p: string, body: string) => client(server)(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  beforeAll(async () => {
    server = await startTestServer({ modelRepository: repo, httpMaxJsonDepth: 32 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses OpenAI bodies nested deeper than --http-max-json-depth with a 400 in OpenAI shape', async () => {
    const res = await post('/v1/chat/completions', `{"model":"echo","messages":${nested(40)}}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/nests deeper than 32/);
  });

  it('refuses a 4 MiB bracket bomb quickly, before JSON.parse', async () => {
    const t0 = Date.now();
    const res = await post('/v1/completions', nested(2 * 1024 * 1024));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/nests deeper than 32/);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('refuses deep bodies on the KServe generate route with Triton\'s error shape', async () => {
    const res = await post('/v2/models/echo/generate', `{"text_input":${nested(40)}}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/nests deeper than 32/);
  });

  it('passes bodies within the limit on to the route, and ignores brackets inside strings', async () => {
    const within = await post('/v1/chat/completions', `{"model":"no-such-model","messages":[{"role":"user","content":"hi"}],"x":${nested(20)}}`);
    expect(within.status).toBe(404);
    const inString = await post('/v1/chat/completions', JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: nested(100) }] }));
    expect(inString.status).toBe(404);
  });

  it('keeps Fastify\'s prototype-poisoning protection', async () => {
    const res = await post('/v1/chat/completions', '{"model":"no-such-model","__proto__":{"polluted":true}}');
    expect(res.status).toBe(400);
  });

  it('bounds requested outputs by the model: duplicates and unknown names are refused', async () => {
    const input = fp32Infer([1], 1) as { inputs: unknown[] };
    const dup = await postJson(server, '/v2/models/echo/infer', { ...input, outputs: [{ name: 'OUTPUT0' }, { name: 'OUTPUT0' }] });
    expect(dup.status).toBe(400);
    const many = await postJson(server, '/v2/models/echo/infer', { ...input, outputs: Array.from({ length: 1000 }, (_, i) => ({ name: `OUT${i}` })) });
    expect(many.status).toBe(400);
  });
});

const RATE_KEY = 'limits-rate-key-0001';
const CONC_KEY = 'limits-conc-key-0002';
const OTHER_KEY = 'limits-other-key-0003';
const GRPC_KEY = 'limits-grpc-key-0004';
const METRICS_KEY = 'limits-metrics-key-0005';
const WRONG_KEY = 'limits-wrong-key-9999';
const ALL_KEYS = [RATE_KEY, CONC_KEY, OTHER_KEY, GRPC_KEY, METRICS_KEY, WRONG_KEY];

describe('per-API-key limits', () => {
  let server: RunningServer;
  let grpc: InferenceClient;
  const logLines: string[] = [];
  const keyed = (key: string, p: string, body: unknown) =>
    client(server)(p, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });

  beforeAll(async () => {
    const file = path.join(repo, 'keys.json');
    await writeFile(
      file,
      JSON.stringify([
        { key: RATE_KEY, name: 'rate', rateLimit: '0.1:2' },
        { key: CONC_KEY, name: 'conc', maxConcurrency: 1 },
        { key: OTHER_KEY, name: 'other' },
        { key: GRPC_KEY, name: 'grpc', rateLimit: '0.1:1' },
        { key: METRICS_KEY, name: 'scraper', scopes: ['metrics'] },
      ]),
    );
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    server = await startServer({
      host: '127.0.0.1',
      httpPort: 0,
      grpcPort: 0,
      modelRepository: repo,
      apiKeysFile: file,
      apiKeyMaxConcurrency: 4,
      logger: pino({ level: 'trace' }, sink),
    });
    grpc = connect(server.grpcPort as number);
  });
  afterAll(async () => {
    grpc?.close();
    await server?.close();
  });

  it('answers 429 with Retry-After once a key has spent its bucket; other keys are unaffected', async () => {
    expect((await keyed(RATE_KEY, '/v2/models/echo/infer', fp32Infer([1], 1))).status).toBe(200);
    expect((await keyed(RATE_KEY, '/v2/models/echo/infer', fp32Infer([1], 1))).status).toBe(200);
    const limited = await keyed(RATE_KEY, '/v2/models/echo/infer', fp32Infer([1], 1));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: string }).error).toMatch(/rate limit/);
    expect((await keyed(OTHER_KEY, '/v2/models/echo/infer', fp32Infer([1], 1))).status).toBe(200);
  });

  it('uses OpenAI\'s error shape for a limited /v1 request', async () => {
    const res = await keyed(RATE_KEY, '/v1/chat/completions', { model: 'echo', messages: [] });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).not.toBeNull();
    expect(((await res.json()) as { error: { type: string; code: string } }).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  });

  it('caps concurrent requests per key, and frees the slot when the request ends', async () => {
    const both = [keyed(CONC_KEY, '/v2/models/slow/infer', fp32Infer([1], 1)), keyed(CONC_KEY, '/v2/models/slow/infer', fp32Infer([2], 1))];
    expect((await keyed(OTHER_KEY, '/v2/models/echo/infer', fp32Infer([3], 1))).status).toBe(200);
    const answers = await Promise.all(both);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 429]);
    expect(answers.find((r) => r.status === 429)?.headers.get('retry-after')).toBe('1');
    expect((await keyed(CONC_KEY, '/v2/models/slow/infer', fp32Infer([4], 1))).status).toBe(200);
  });

  it('answers RESOURCE_EXHAUSTED with retry-after metadata on gRPC', async () => {
    const x = rawFp32('INPUT0', [1], [1, 1]);
    const request = { model_name: 'echo', inputs: [x.input], raw_input_contents: [x.raw] };
    const meta = new Metadata();
    meta.set('authorization', `Bearer ${GRPC_KEY}`);
    const once = () =>
      new Promise<ServiceError | null>((resolve) => {
        grpc['ModelInfer']!(request, meta, { deadline: new Date(Date.now() + 5_000) }, (err: ServiceError | null) => resolve(err));
      });
    expect(await once()).toBeNull();
    const err = await once();
    expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(Number(err?.metadata.get('retry-after')[0])).toBeGreaterThanOrEqual(1);
  });

  it('never writes a key to the log, an error body or the metrics', async () => {
    const wrong = await keyed(WRONG_KEY, '/v2/models/echo/infer', fp32Infer([1], 1));
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(WRONG_KEY);
    const metrics = await client(server)('/metrics', { headers: { authorization: `Bearer ${METRICS_KEY}` } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    const log = logLines.join('');
    expect(log.length).toBeGreaterThan(1000);
    expect(log).toContain('"url":"/v2/models/echo/infer"');
    for (const key of ALL_KEYS) {
      expect(log).not.toContain(key);
      expect(text).not.toContain(key);
    }
  });
});

describe('limit flags', () => {
  async function parse(args: string[], env: Record<string, string> = {}): Promise<ServerOptions> {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      let parsed: ServerOptions | undefined;
      const quiet = { writeErr: () => undefined, writeOut: () => undefined };
      const program = new Command().exitOverride().configureOutput(quiet);
      addServeCommand(program, async (o) => {
        parsed = o;
      })
        .exitOverride()
        .configureOutput(quiet);
      await program.parseAsync(['node', 'inferd', 'serve', ...args]);
      return parsed as ServerOptions;
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  it('parses the limit flags and their INFERD_* twins, with defaults', async () => {
    const defaults = await parse([]);
    expect(defaults).toMatchObject({ httpHeaderTimeoutSecs: 30, httpRequestTimeoutSecs: 300, httpKeepAliveTimeoutSecs: 72, httpMaxJsonDepth: 128, grpcRestrictedApi: [] });
    expect(defaults.apiKeyRateLimit).toBeUndefined();
    expect(defaults.apiKeyMaxConcurrency).toBeUndefined();
    const o = await parse(
      ['--http-header-timeout', '5', '--http-request-timeout', '60', '--http-max-json-depth', '16', '--api-key-rate-limit', '10:20', '--grpc-restricted-api', 'model-repository:k=v', '--grpc-restricted-api', 'logging:k=w'],
      { INFERD_API_KEY_MAX_CONCURRENCY: '3', INFERD_HTTP_KEEP_ALIVE_TIMEOUT: '9' },
    );
    expect(o).toMatchObject({
      httpHeaderTimeoutSecs: 5,
      httpRequestTimeoutSecs: 60,
      httpKeepAliveTimeoutSecs: 9,
      httpMaxJsonDepth: 16,
      apiKeyRateLimit: { perSecond: 10, burst: 20 },
      apiKeyMaxConcurrency: 3,
      grpcRestrictedApi: ['model-repository:k=v', 'logging:k=w'],
    });
  });

  it('refuses malformed limit values', async () => {
    await expect(parse(['--api-key-rate-limit', 'fast'])).rejects.toThrow(/RPS/);
    await expect(parse(['--api-key-max-concurrency', '0'])).rejects.toThrow(/>= 1/);
    await expect(parse(['--http-max-json-depth', '-2'])).rejects.toThrow();
  });

  it('refuses a header timeout longer than the request timeout at start-up', async () => {
    await expect(startTestServer({ modelRepository: repo, httpHeaderTimeoutSecs: 10, httpRequestTimeoutSecs: 5 })).rejects.toThrow(/cannot exceed/);
  });
});
