/**
 * Shared pieces of the fuzz tests: a started inferd with a few identity and ONNX models on
 * 127.0.0.1, a bounded HTTP call that never hangs, and the checks every fuzzed answer must pass.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { RunningServer } from '../../../src/app.js';
import { identityOnnx } from '../../../src/examples/index.js';
import { fp32Infer, identityConfig, postJson, startTestServer, tempDir, writeModel } from '../../support/server.js';

/** Per-request ceiling: a fuzzed request that takes longer counts as a hang. */
export const REQUEST_TIMEOUT_MS = 5_000;

/** Property runs per fuzz test; bounded so each test stays well under 20 s on 2 cores. */
export const NUM_RUNS = 200;

/** Models the fuzzed requests aim at (plus unknown names). */
export const MODEL_NAMES = ['simple', 'strings', 'fixed', 'onnx_int64'] as const;

/** A server with identity FP32/BYTES/fixed-shape models and one ONNX model. */
export interface FuzzServer {
  readonly server: RunningServer;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts inferd with the fuzz models loaded. */
export async function startFuzzServer(): Promise<FuzzServer> {
  const t = await tempDir('inferd-fuzz-');
  await writeModel(t.dir, 'simple', identityConfig('simple'));
  await writeModel(
    t.dir,
    'strings',
    `name: "strings"\nbackend: "identity"\nmax_batch_size: 4\ninput [ { name: "INPUT0" data_type: TYPE_STRING dims: [ -1 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_STRING dims: [ -1 ] } ]\n`,
  );
  await writeModel(
    t.dir,
    'fixed',
    `name: "fixed"\nbackend: "identity"\nmax_batch_size: 0\ninput [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 2, 3 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 2, 3 ] } ]\n`,
  );
  await writeModel(t.dir, 'onnx_int64', `name: "onnx_int64"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 4\n`);
  await writeFile(path.join(t.dir, 'onnx_int64', '1', 'model.onnx'), identityOnnx('INT64'));
  const server = await startTestServer({ modelRepository: t.dir });
  return {
    server,
    url: `http://127.0.0.1:${server.httpPort}`,
    close: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}

/** One answered request. */
export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** Sends a request with a hard timeout; a timeout fails the property with the request shown. */
export async function send(url: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** A non-5xx answer; a 4xx must carry Triton's `{"error": "<message>"}` JSON body. */
export function expectClientErrorOrOk(answer: Answer, what: string): void {
  if (answer.status >= 500) throw new Error(`${what} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  if (answer.status >= 400) {
    expect(answer.contentType, what).toMatch(/application\/json/);
    const body = JSON.parse(answer.text) as { error?: unknown };
    expect(typeof body.error, `${what}: ${answer.text.slice(0, 200)}`).toBe('string');
  }
}

/** The server still answers health and a valid inference. */
export async function expectStillServing(fuzz: FuzzServer): Promise<void> {
  const live = await fetch(`${fuzz.url}/v2/health/live`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  expect(live.status).toBe(200);
  const res = await postJson(fuzz.server, '/v2/models/simple/infer', fp32Infer([1, 2, 3]));
  expect(res.status).toBe(200);
  expect(res.body.outputs[0].data).toEqual([1, 2, 3]);
}
