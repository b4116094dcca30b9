import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferError } from '../../core/errors.js';
import type { InferenceServer } from '../../core/inference-server.js';
import type { InferenceRequest, InferenceResult } from '../../core/types.js';
import { INTERNAL_ERROR_MESSAGE, toHttpError } from './errors.js';
import { buildHttpServer } from './server.js';

const LIMIT = 64 * 1024;

/** 'echo' returns its inputs; 'slow' waits until the client goes away and records that. */
class FakeServer implements InferenceServer {
  llmModel(name: string): never {
    throw new InferError('NOT_FOUND', `no LLM '${name}'`);
  }
  async listLlmModels(): Promise<[]> {
    return [];
  }
  abortedRequests = 0;
  private abortWaiters: (() => void)[] = [];

  isLive = () => true;
  isReady = () => true;
  serverMetadata = () => ({ name: 'inferd', version: '0', extensions: [] });
  modelMetadata = (): never => {
    throw new InferError('NOT_FOUND', 'unknown');
  };
  isModelReady = () => false;
  modelConfig = (): never => {
    throw new InferError('NOT_FOUND', 'unknown');
  };
  inferStream = (): never => {
    throw new InferError('UNIMPLEMENTED', 'unused');
  };
  repositoryIndex = async () => [];
  loadModel = async () => undefined;
  unloadModel = async () => undefined;
  modelStatistics = () => [];

  /** Resolves once a 'slow' request has seen its abort signal fire. */
  nextAbort(): Promise<void> {
    return new Promise((resolve) => this.abortWaiters.push(resolve));
  }

  async infer(request: InferenceRequest): Promise<InferenceResult> {
    if (request.model.name === 'slow') {
      await new Promise<void>((resolve) => request.signal.addEventListener('abort', () => resolve(), { once: true }));
      this.abortedRequests++;
      for (const w of this.abortWaiters.splice(0)) w();
      throw new InferError('CANCELLED', 'request cancelled');
    }
    return { id: request.id, model: { name: request.model.name, version: 1 }, outputs: request.inputs, final: true };
  }
}

const ECHO_BODY = JSON.stringify({
  id: 'e1',
  inputs: [{ name: 'X', datatype: 'INT32', shape: [1, 16], data: Array.from({ length: 16 }, (_, i) => i) }],
});
const ECHO_RESPONSE =
  '{"id":"e1","model_name":"echo","model_version":"1","outputs":[' +
  `{"name":"X","datatype":"INT32","shape":[1,16],"data":[${Array.from({ length: 16 }, (_, i) => i).join(',')}]}]}`;

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
  agent?: http.Agent,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('buildHttpServer over a real socket on 127.0.0.1', () => {
  const core = new FakeServer();
  let app: FastifyInstance;
  let port: number;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  beforeAll(async () => {
    app = buildHttpServer({ inference: core, maxInputSize: LIMIT });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    agent.destroy();
    await app.close();
  });

  it('serves health, metadata and infer on keep-alive connections', async () => {
    expect((await request(port, 'GET', '/v2/health/live', undefined, {}, agent)).status).toBe(200);
    expect(JSON.parse((await request(port, 'GET', '/v2', undefined, {}, agent)).body.toString())).toEqual(core.serverMetadata());
    const res = await request(port, 'POST', '/v2/models/echo/infer', ECHO_BODY, { 'content-type': 'application/json' }, agent);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.toString()).toBe(ECHO_RESPONSE);
  });

  it('answers binary requests byte for byte over the wire', async () => {
    const header = JSON.stringify({
      inputs: [{ name: 'B', datatype: 'UINT8', shape: [4], parameters: { binary_data_size: 4 } }],
      parameters: { binary_data_output: true },
    });
    const body = Buffer.concat([Buffer.from(header), Buffer.from([0, 1, 254, 255])]);
    const res = await request(port, 'POST', '/v2/models/echo/infer', body, {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    }, agent);
    const jsonPart =
      '{"model_name":"echo","model_version":"1","outputs":[' +
      '{"name":"B","datatype":"UINT8","shape":[4],"parameters":{"binary_data_size":4}}]}';
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['inference-header-content-length']).toBe(String(jsonPart.length));
    expect(res.body.equals(Buffer.concat([Buffer.from(jsonPart), Buffer.from([0, 1, 254, 255])]))).toBe(true);
  });

  it('refuses a body over the limit with 413 {"error"} and keeps serving', async () => {
    const big = Buffer.alloc(LIMIT + 1, 0x20);
    const res = await request(port, 'POST', '/v2/models/echo/infer', big, { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
    expect(Object.keys(JSON.parse(res.body.toString()) as object)).toEqual(['error']);
    const chunked = await new Promise<RawResponse>((resolve, reject) => {
      // No Content-Length: the limit must hold while streaming too.
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v2/models/echo/infer' }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(LIMIT / 2));
      req.write(Buffer.alloc(LIMIT / 2));
      req.end(Buffer.alloc(16));
    });
    expect(chunked.status).toBe(413);
    const ok = await request(port, 'POST', '/v2/models/echo/infer', ECHO_BODY, { 'content-type': 'application/json' }, agent);
    expect(ok.body.toString()).toBe(ECHO_RESPONSE);
  });

  it('refuses malformed input with 400 and answers the next request on the same connection', async () => {
    const bad = await request(port, 'POST', '/v2/models/echo/infer', '{"inputs":[', { 'content-type': 'application/json' }, agent);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString())).toEqual({ error: expect.stringMatching(/failed to parse/) as unknown });
    const ok = await request(port, 'POST', '/v2/models/echo/infer', ECHO_BODY, { 'content-type': 'application/json' }, agent);
    expect(ok.status).toBe(200);
  });

  it('aborts the core request when the client disconnects', async () => {
    const aborted = core.nextAbort();
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v2/models/slow/infer' });
    req.on('error', () => undefined);
    req.end(ECHO_BODY);
    await new Promise((resolve) => setTimeout(resolve, 100));
    req.destroy();
    await Promise.race([aborted, new Promise((_, reject) => setTimeout(() => reject(new Error('no abort seen')), 5000))]);
    expect(core.abortedRequests).toBe(1);
    expect((await request(port, 'GET', '/v2/health/ready')).status).toBe(200);
  });
});

describe('buildHttpServer composition and errors', () => {
  it('lets other front-ends register plugins with their own parsers, sharing the error shape', async () => {
    const app = buildHttpServer({ inference: new FakeServer(), maxInputSize: LIMIT });
    await app.register(async (openai) => {
      openai.post('/v1/echo', async (req) => ({ got: req.body }));
      openai.get('/v1/fail', async () => {
        throw new Error('db password leaked');
      });
      openai.get('/v1/infer-error', async () => {
        throw new InferError('RATE_LIMITED', 'slow down');
      });
    });
    try {
      const echo = await app.inject({ method: 'POST', url: '/v1/echo', payload: { a: 1 } });
      expect(echo.json()).toEqual({ got: { a: 1 } });
      const badJson = await app.inject({ method: 'POST', url: '/v1/echo', payload: '{', headers: { 'content-type': 'application/json' } });
      expect(badJson.statusCode).toBe(400);
      expect(typeof badJson.json().error).toBe('string');
      const fail = await app.inject({ method: 'GET', url: '/v1/fail' });
      expect(fail.statusCode).toBe(500);
      expect(fail.json()).toEqual({ error: INTERNAL_ERROR_MESSAGE });
      expect((await app.inject({ method: 'GET', url: '/v1/infer-error' })).statusCode).toBe(429);
      const missing = await app.inject({ method: 'GET', url: '/nowhere' });
      expect(missing.statusCode).toBe(404);
      expect(typeof missing.json().error).toBe('string');
      const tooBig = await app.inject({ method: 'POST', url: '/v2/models/echo/infer', payload: Buffer.alloc(LIMIT + 1) });
      expect(tooBig.statusCode).toBe(413);
      expect(Object.keys(tooBig.json() as object)).toEqual(['error']);
    } finally {
      await app.close();
    }
  });

  it('logs requests only when the logger is at debug level', async () => {
    async function linesAt(level: 'info' | 'debug'): Promise<string[]> {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(chunk.toString());
          cb();
        },
      });
      const app = buildHttpServer({ inference: new FakeServer(), maxInputSize: LIMIT, logger: pino({ level }, sink), requestIdHeader: 'x-request-id' });
      try {
        await app.inject({ method: 'GET', url: '/v2/health/live', headers: { 'x-request-id': 'abc-123' } });
      } finally {
        await app.close();
      }
      return lines;
    }
    expect((await linesAt('info')).join('')).not.toContain('incoming request');
    const debugLines = (await linesAt('debug')).join('');
    expect(debugLines).toContain('incoming request');
    expect(debugLines).toContain('abc-123');
  });

  it('maps errors: InferError by catalogue, Fastify 4xx kept, everything else 500', () => {
    expect(toHttpError(new InferError('QUEUE_FULL', 'full'))).toEqual({ statusCode: 503, message: 'full' });
    expect(toHttpError(new InferError('NOT_FOUND', 'nf'))).toEqual({ statusCode: 404, message: 'nf' });
    const fst = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(toHttpError(fst)).toEqual({ statusCode: 413, message: 'Request body is too large' });
    const foreign = Object.assign(new Error('secret'), { statusCode: 400 });
    expect(toHttpError(foreign)).toEqual({ statusCode: 500, message: INTERNAL_ERROR_MESSAGE });
    expect(toHttpError('a string')).toEqual({ statusCode: 500, message: INTERNAL_ERROR_MESSAGE });
    expect(toHttpError(null)).toEqual({ statusCode: 500, message: INTERNAL_ERROR_MESSAGE });
  });
});
