import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { InferError } from '../../core/errors.js';
import type { InferenceServer } from '../../core/inference-server.js';
import type { InferenceRequest, InferenceResult } from '../../core/types.js';
import { buildHttpServer } from '../http/server.js';

/** Echoes inputs back; records each request's model and whether Fastify's hooks saw it. */
class EchoServer implements InferenceServer {
  llmModel(name: string): never {
    throw new InferError('NOT_FOUND', `no LLM '${name}'`);
  }
  async listLlmModels(): Promise<[]> {
    return [];
  }
  readonly seen: { name: string; version?: number }[] = [];

  isLive = () => true;
  isReady = () => true;
  serverMetadata = () => ({ name: 'inferd', version: '0', extensions: [] });
  modelMetadata = (): never => {
    throw new InferError('NOT_FOUND', 'unknown');
  };
  isModelReady = () => true;
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

  async infer(request: InferenceRequest): Promise<InferenceResult> {
    this.seen.push(request.model);
    if (request.model.name === 'explode') throw new Error('internal detail that must not leak');
    return { id: request.id, model: { name: request.model.name, version: 1 }, outputs: request.inputs, final: true };
  }
}

const BODY = JSON.stringify({
  id: 'q',
  inputs: [{ name: 'X', datatype: 'FP32', shape: [2], data: [0.5, -2] }],
  outputs: [{ name: 'X', parameters: { binary_data: true } }],
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function post(port: number, path: string, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('infer fast path', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(fastInferPath: boolean): Promise<{ port: number; core: EchoServer; hooked: string[] }> {
    const core = new EchoServer();
    const hooked: string[] = [];
    app = buildHttpServer({ inference: core, maxInputSize: 1 << 16, fastInferPath });
    app.addHook('onRequest', async (request) => {
      hooked.push(request.url);
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { port: (app.server.address() as AddressInfo).port, core, hooked };
  }

  const relevant = (r: Reply) => ({
    status: r.status,
    type: r.headers['content-type'],
    headerLength: r.headers['inference-header-content-length'],
    body: r.body.toString('base64'),
  });

  it('answers exactly like the Fastify route, without running Fastify hooks', async () => {
    const fast = await start(true);
    const viaFast = await post(fast.port, '/v2/models/echo/versions/2/infer', BODY);
    const viaFastError = await post(fast.port, '/v2/models/echo/infer', '{"inputs":[');
    const viaFastCrash = await post(fast.port, '/v2/models/explode/infer', BODY);
    const viaFastVersion = await post(fast.port, '/v2/models/echo/versions/0/infer', BODY);
    expect(fast.hooked).toEqual([]);
    expect(fast.core.seen).toEqual([{ name: 'echo', version: 2 }, { name: 'explode', version: undefined }]);
    await app?.close();

    const slow = await start(false);
    const viaFastify = await post(slow.port, '/v2/models/echo/versions/2/infer', BODY);
    const viaFastifyError = await post(slow.port, '/v2/models/echo/infer', '{"inputs":[');
    const viaFastifyCrash = await post(slow.port, '/v2/models/explode/infer', BODY);
    const viaFastifyVersion = await post(slow.port, '/v2/models/echo/versions/0/infer', BODY);
    expect(slow.hooked).toHaveLength(4);

    expect(viaFast.status).toBe(200);
    expect(viaFast.headers['content-type']).toBe('application/octet-stream');
    expect(relevant(viaFast)).toEqual(relevant(viaFastify));
    expect(relevant(viaFastError)).toEqual(relevant(viaFastifyError));
    expect(viaFastError.status).toBe(400);
    expect(relevant(viaFastCrash)).toEqual(relevant(viaFastifyCrash));
    expect(JSON.parse(viaFastCrash.body.toString())).toEqual({ error: 'internal server error' });
    expect(relevant(viaFastVersion)).toEqual(relevant(viaFastifyVersion));
    expect(viaFastVersion.status).toBe(400);
  });

  it('leaves percent-encoded names, other paths and methods to Fastify', async () => {
    const { port, core, hooked } = await start(true);
    const encoded = await post(port, '/v2/models/my%20model/infer', BODY);
    expect(encoded.status).toBe(200);
    expect(core.seen.at(-1)).toEqual({ name: 'my model', version: undefined });
    expect(hooked).toEqual(['/v2/models/my%20model/infer']);
    expect((await post(port, '/v2/models/echo/infer/', BODY)).status).toBe(404);
    const get = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/v2/models/echo/infer' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(get).toBe(404);
  });
});
