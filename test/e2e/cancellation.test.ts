/**
 * Cancellation end to end: a client that disconnects while its request waits in the queue gets
 * the request removed (it never executes) and the failure counted in statistics.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import { fp32Infer, identityConfig, postJson, startTestServer, tempDir, waitFor, writeModel } from '../support/server.js';

let server: RunningServer | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await server?.close();
  await cleanup?.();
  server = undefined;
  cleanup = undefined;
});

const SLOW = `parameters { key: "execute_delay_ms" value { string_value: "800" } }
instance_group [ { kind: KIND_CPU count: 1 } ]`;

async function stats(s: RunningServer, model: string): Promise<any> {
  return ((await (await fetch(`http://127.0.0.1:${s.httpPort}/v2/models/${model}/stats`)).json()) as any).model_stats[0];
}

/** Sends an infer request on its own socket and returns a function that drops the connection. */
function sendAndHold(port: number, model: string): () => void {
  const body = JSON.stringify(fp32Infer([7]));
  const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/v2/models/${model}/infer`, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
  req.on('error', () => undefined);
  req.end(body);
  return () => req.destroy();
}

describe('client disconnect', () => {
  for (const [model, extra] of [
    ['direct', SLOW],
    ['batched', `${SLOW}\ndynamic_batching { }`],
  ] as const) {
    it(`removes the queued request and counts it as failed (${model} scheduler)`, async () => {
      const t = await tempDir();
      cleanup = t.cleanup;
      await writeModel(t.dir, model, identityConfig(model, extra, 1));
      server = await startTestServer({ modelRepository: t.dir });
      const s = server;
      let firstDone = false;
      const first = postJson(s, `/v2/models/${model}/infer`, fp32Infer([1])).then((r) => {
        firstDone = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 150)); // the first request now occupies the only instance
      const drop = sendAndHold(s.httpPort, model);
      await new Promise((r) => setTimeout(r, 150)); // the second one waits in the queue
      drop();
      await waitFor(async () => (await stats(s, model)).inference_stats.fail.count === 1, 5000);
      expect(firstDone).toBe(false); // removed from the queue, not after the instance freed up
      expect((await first).status).toBe(200);
      const after = await stats(s, model);
      expect(after.inference_stats.success.count).toBe(1);
      expect(after.inference_stats.fail.count).toBe(1);
      expect(after.execution_count).toBe(1);
    });
  }
});
