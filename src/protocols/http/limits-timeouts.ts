/**
 * Socket-level time limits of the HTTP listener, against slow clients that hold connections
 * open (slowloris): headers must arrive within `headersTimeoutMs`, the whole request within
 * `requestTimeoutMs`, a TLS handshake within the headers limit, and idle keep-alive connections
 * close after `keepAliveTimeoutMs`. Node enforces the first two from a periodic sweep; its default
 * period (30 s) would let a client overstay by that much, so the sweep runs more often here.
 */
import type http from 'node:http';

/** The HTTP listener's time limits, in milliseconds. */
export interface HttpTimeouts {
  /** Most time from connection (or previous response) to the end of the request headers. */
  readonly headersTimeoutMs: number;
  /** Most time to receive a whole request, body included; 0 = no limit. */
  readonly requestTimeoutMs: number;
  /** Idle time after which a keep-alive connection is closed. */
  readonly keepAliveTimeoutMs: number;
}

/** Defaults: 30 s for headers, 5 min per request (Node's), 72 s keep-alive (Fastify's). */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersTimeoutMs: 30_000, requestTimeoutMs: 300_000, keepAliveTimeoutMs: 72_000 };

const MAX_SWEEP_MS = 1_000;
const MIN_SWEEP_MS = 50;

/** Checks `timeouts`; throws with a message naming the flags when they cannot work together. */
export function checkHttpTimeouts(timeouts: HttpTimeouts): HttpTimeouts {
  const { headersTimeoutMs: h, requestTimeoutMs: r, keepAliveTimeoutMs: k } = timeouts;
  for (const [v, flag] of [[h, '--http-header-timeout'], [r, '--http-request-timeout'], [k, '--http-keep-alive-timeout']] as const) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`${flag} must be a number of seconds >= 0`);
  }
  if (h <= 0) throw new Error('--http-header-timeout must be greater than 0');
  if (r > 0 && h > r) throw new Error('--http-header-timeout cannot exceed --http-request-timeout');
  return timeouts;
}

/** Node server options enforcing `timeouts`, plus the TLS handshake limit for HTTPS. */
export function httpTimeoutOptions(timeouts: HttpTimeouts): http.ServerOptions & { handshakeTimeoutMs: number } {
  const t = checkHttpTimeouts(timeouts);
  const shortest = t.requestTimeoutMs > 0 ? Math.min(t.headersTimeoutMs, t.requestTimeoutMs) : t.headersTimeoutMs;
  return {
    headersTimeout: Math.round(t.headersTimeoutMs),
    requestTimeout: Math.round(t.requestTimeoutMs),
    keepAliveTimeout: Math.round(t.keepAliveTimeoutMs),
    connectionsCheckingInterval: Math.max(MIN_SWEEP_MS, Math.min(MAX_SWEEP_MS, Math.floor(shortest / 4))),
    handshakeTimeoutMs: Math.round(t.headersTimeoutMs),
  };
}
