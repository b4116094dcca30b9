import http from 'node:http';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { annotateRequest, createRequestLog } from '../../src/protocols/http/request-log.js';
import { client, postJson, tempDir, writeModel } from '../support/server.js';
import { startOpsServer } from './support.js';

/** A pino logger whose JSON lines land in `lines`. */
function memoryLogger(level = 'info'): { logger: pino.Logger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

const SECRET = 'the-secret-prompt-text';

let server: RunningServer | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await server?.close();
  await cleanup?.();
  server = undefined;
  cleanup = undefined;
});

async function start(level = 'info'): Promise<{ server: RunningServer; lines: Record<string, any>[] }> {
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeModel(
    t.dir,
    'text',
    `name: "text"
backend: "identity"
max_batch_size: 0
input [ { name: "INPUT0" data_type: TYPE_STRING dims: [ 1 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_STRING dims: [ 1 ] } ]
`,
  );
  const { logger, lines } = memoryLogger(level);
  server = await startOpsServer({ modelRepository: t.dir, logger });
  return { server, lines };
}

const accessLines = (lines: Record<string, any>[]): Record<string, any>[] => lines.filter((l) => l.msg === 'request completed');

describe('request ids and access lines', () => {
  it('writes one access line per request with a request id, model, status and latency, and never the prompt', async () => {
    const { server, lines } = await start();
    const body = { inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1], data: [SECRET] }] };
    const res = await client(server)('/v2/models/text/infer', { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(SECRET);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await client(server)('/v2/models/nope/infer', { method: 'POST', body: JSON.stringify(body) });
    await new Promise((r) => setTimeout(r, 20));
    const access = accessLines(lines);
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({ reqId: id, method: 'POST', path: '/v2/models/text/infer', model: 'text', status: 200 });
    expect(access[0]?.latencyMs).toBeGreaterThan(0);
    expect(access[1]).toMatchObject({ model: 'nope', status: 404 });
    expect(access[1]?.reqId).not.toBe(id);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it('honours a sane X-Request-Id, replaces an unsafe one, and tags Fastify request logs with the same id', async () => {
    const { server, lines } = await start('debug');
    const given = await client(server)('/v2/models/text', { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
    const unsafe = await client(server)('/v2/health/live', { headers: { 'x-request-id': 'has space' } });
    expect(unsafe.headers.get('x-request-id')).not.toBe('has space');
    await new Promise((r) => setTimeout(r, 20));
    const tagged = lines.filter((l) => l.reqId === 'trace-abc-123');
    // Fastify's incoming/completed lines (debug) and the access line all carry the id.
    expect(tagged.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    expect(accessLines(lines).find((l) => l.reqId === 'trace-abc-123')).toMatchObject({ model: 'text', status: 200 });
  });
});

describe('annotateRequest and --log-requests', () => {
  async function serve(logRequests: boolean): Promise<Record<string, any>[]> {
    const { logger, lines } = memoryLogger();
    const hook = createRequestLog({ logger, logRequests });
    const srv = http.createServer((req, res) => {
      hook(req, res);
      annotateRequest(res, { model: 'llm', promptTokens: 3, completionTokens: 5, prompt: SECRET, output: 'generated words' });
      res.end('ok');
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    await fetch(`http://127.0.0.1:${(srv.address() as { port: number }).port}/v1/chat/completions`, { method: 'POST', body: '{}' });
    await new Promise<void>((r) => srv.close(() => r()));
    return accessLines(lines);
  }

  it('logs token counts but not prompt or output by default', async () => {
    const [line] = await serve(false);
    expect(line).toMatchObject({ model: 'llm', promptTokens: 3, completionTokens: 5, status: 200 });
    expect(JSON.stringify(line)).not.toContain(SECRET);
    expect(line).not.toHaveProperty('output');
  });

  it('logs prompt and output with --log-requests', async () => {
    const [line] = await serve(true);
    expect(line).toMatchObject({ prompt: SECRET, output: 'generated words' });
  });
});

describe('Triton logging extension', () => {
  it('reports settings, changes the level at run time, and refuses log_file paths', async () => {
    const { server, lines } = await start();
    const get = await client(server)('/v2/logging');
    expect(await get.json()).toEqual({ log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 0, log_format: 'default' });
    const quiet = await postJson(server, '/v2/logging', { log_info: false });
    expect(quiet.status).toBe(200);
    expect(quiet.body).toMatchObject({ log_info: false, log_warning: true, log_verbose_level: 0 });
    const before = accessLines(lines).length;
    await client(server)('/v2/health/live');
    await new Promise((r) => setTimeout(r, 20));
    // Access lines are info: gone once the level is warn.
    expect(accessLines(lines).length).toBe(before);
    const verbose = await postJson(server, '/v2/logging', { log_verbose_level: 1 });
    expect(verbose.body).toMatchObject({ log_info: true, log_verbose_level: 1 });
    for (const body of [{ log_file: '/tmp/x.log' }, { log_file: 'relative.log' }, { log_info: 'yes' }, { log_verbose_level: -1 }, { log_path: '/etc' }]) {
      const res = await postJson(server, '/v2/logging', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(typeof res.body.error).toBe('string');
    }
    expect((await postJson(server, '/v2/logging', { log_file: '' })).status).toBe(200);
    expect(((await (await client(server)('/v2/logging')).json()) as { log_verbose_level: number }).log_verbose_level).toBe(1);
  });
});
