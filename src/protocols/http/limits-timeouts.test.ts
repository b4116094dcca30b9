import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_TIMEOUTS, httpTimeoutOptions } from './limits-timeouts.js';

describe('httpTimeoutOptions', () => {
  it('maps the limits onto Node server options, sweeping often enough to enforce them', () => {
    expect(httpTimeoutOptions(DEFAULT_HTTP_TIMEOUTS)).toEqual({
      headersTimeout: 30_000,
      requestTimeout: 300_000,
      keepAliveTimeout: 72_000,
      connectionsCheckingInterval: 1_000,
      handshakeTimeoutMs: 30_000,
    });
    expect(httpTimeoutOptions({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, keepAliveTimeoutMs: 5_000 }).connectionsCheckingInterval).toBe(250);
    expect(httpTimeoutOptions({ headersTimeoutMs: 100, requestTimeoutMs: 0, keepAliveTimeoutMs: 5_000 }).connectionsCheckingInterval).toBe(50);
  });

  it('refuses limits Node cannot honour, naming the flags', () => {
    expect(() => httpTimeoutOptions({ headersTimeoutMs: 0, requestTimeoutMs: 0, keepAliveTimeoutMs: 1 })).toThrow(/--http-header-timeout/);
    expect(() => httpTimeoutOptions({ headersTimeoutMs: 5_000, requestTimeoutMs: 1_000, keepAliveTimeoutMs: 1 })).toThrow(/cannot exceed --http-request-timeout/);
    expect(() => httpTimeoutOptions({ headersTimeoutMs: 1_000, requestTimeoutMs: -1, keepAliveTimeoutMs: 1 })).toThrow(/--http-request-timeout/);
  });
});
