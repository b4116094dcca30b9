/**
 * The rate limiter end to end: two models whose instances each need resource R. With one unit of
 * R their executions cannot overlap; with two (or with --rate-limit off) they run together.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/app.js';
import type { ServerOptions } from '../../src/config/server-options.js';
import { fp32Infer, identityConfig, postJson, startTestServer, tempDir, writeModel } from '../support/server.js';

let server: RunningServer | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await server?.close();
  await cleanup?.();
  server = undefined;
  cleanup = undefined;
});

const DELAY_MS = 300;
const gated = (count: number): string => `parameters { key: "execute_delay_ms" value { string_value: "${DELAY_MS}" } }
instance_group [ { kind: KIND_CPU count: 1 rate_limiter { resources [ { name: "R" count: ${count} } ] priority: 1 } } ]`;

async function start(options: Partial<ServerOptions>, need = 1): Promise<RunningServer> {
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeModel(t.dir, 'ra', identityConfig('ra', gated(need)));
  await writeModel(t.dir, 'rb', identityConfig('rb', gated(need)));
  server = await startTestServer({ modelRepository: t.dir, strictReadiness: false, ...options });
  return server;
}

/** Sends one request to each model at once; returns the gap between their completions in ms. */
async function completionGap(s: RunningServer): Promise<number> {
  const done = (model: string) => postJson(s, `/v2/models/${model}/infer`, fp32Infer([1])).then((r) => {
    expect(r.status).toBe(200);
    return performance.now();
  });
  const [a, b] = await Promise.all([done('ra'), done('rb')]);
  return Math.abs(a - b);
}

describe('rate limiter', () => {
  it('serializes instances of different models that share a one-unit resource', async () => {
    const s = await start({ rateLimit: 'execution_count' });
    expect(await completionGap(s)).toBeGreaterThan(DELAY_MS * 0.8);
  });

  it('runs them together when --rate-limit-resource gives two units, or when rate limiting is off', async () => {
    const on = await start({ rateLimit: 'execution_count', rateLimitResources: [{ name: 'R', count: 2 }] });
    const together = await completionGap(on);
    expect(together).toBeLessThan(DELAY_MS * 0.5);
    await on.close();
    await cleanup?.();
    const off = await start({ rateLimit: 'off' });
    expect(await completionGap(off)).toBeLessThan(DELAY_MS * 0.5);
  });

  it('refuses to load an instance whose needs exceed an explicit resource limit', async () => {
    const s = await start({ rateLimit: 'execution_count', rateLimitResources: [{ name: 'R', count: 1 }] }, 2);
    const index = (await postJson(s, '/v2/repository/index', {})).body as any[];
    const row = index.find((r) => r.name === 'ra');
    expect(row.state).toBe('UNAVAILABLE');
    expect(row.reason).toMatch(/limited to 1/);
  });
});
