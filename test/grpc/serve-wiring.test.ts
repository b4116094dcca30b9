import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { fp32Infer, identityConfig, postJson, startTestServer, tempDir, writeModel } from '../support/server.js';
import { call, connect, rawFp32, readRaw, type InferenceClient } from './support/grpc-client.js';

let server: RunningServer;
let cleanup: () => Promise<void>;
let client: InferenceClient;

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeModel(t.dir, 'echo', identityConfig('echo'));
  server = await startTestServer({ modelRepository: t.dir });
  client = connect(server.grpcPort as number);
});
afterAll(async () => {
  client.close();
  await server.close();
  await cleanup();
});

describe('inferd serve exposes KServe gRPC beside HTTP', () => {
  it('answers ServerLive and ModelInfer on the same core as HTTP, with shared statistics', async () => {
    expect(server.grpcPort).toBeGreaterThan(0);
    expect(await call(client, 'ServerLive', {})).toEqual({ live: true });
    const input = rawFp32('INPUT0', [1, 2, 3], [1, 3]);
    const res = await call(client, 'ModelInfer', { model_name: 'echo', inputs: [input.input], raw_input_contents: [input.raw] });
    expect(readRaw(res.raw_output_contents[0], Float32Array)).toEqual([1, 2, 3]);
    await postJson(server, '/v2/models/echo/infer', fp32Infer([4]));
    expect(server.inference.modelStatistics('echo')[0]?.inference_stats.success.count).toBe(2);
  });
});
