/**
 * The request mix of bench/soak: valid inference on the example models, malformed requests,
 * client aborts before the answer, bodies cut off mid-upload, oversized bodies, inference on a
 * model that is being loaded and unloaded, and (when served) short LLM completions. Each call
 * reports whether it was answered (with which status), aborted on purpose, or lost.
 */
import { connect } from 'node:net';
import { MLP_SIZES } from '../../src/examples/index.js';

/** Kinds of request in the mix. */
export type RequestKind = 'valid' | 'bad' | 'abort' | 'midbody' | 'oversized' | 'churn' | 'llm';

/** What happened to one request. */
export interface Outcome {
  readonly kind: RequestKind;
  /** answered: got an HTTP status; aborted: the client gave up on purpose; lost: failed unexpectedly. */
  readonly result: 'answered' | 'aborted' | 'lost';
  readonly status?: number;
  /** Latency of answered requests, ms. */
  readonly ms?: number;
  /** True when the status is one this kind may get. */
  readonly expected: boolean;
  readonly detail?: string;
}

/** Statuses each kind may legitimately get. */
const EXPECTED: Readonly<Record<RequestKind, (status: number) => boolean>> = {
  valid: (s) => s === 200,
  bad: (s) => s >= 400 && s < 500,
  abort: (s) => s === 200,
  midbody: (s) => s >= 400 && s < 500,
  oversized: (s) => s === 413,
  // NOTE: the churn model is unloaded half of the time: 404/503 are its documented answers then.
  churn: (s) => s === 200 || s === 404 || s === 503,
  llm: (s) => s === 200 || s === 429,
};

const ints = Array.from({ length: 16 }, (_, i) => i);
const JSON_TYPE = { 'content-type': 'application/json' };

/** Valid inference requests on the example models: [path, body]. */
const VALID: readonly (readonly [string, string])[] = [
  ['/v2/models/simple/infer', JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: ints }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: ints }] })],
  ['/v2/models/simple_string/infer', JSON.stringify({ inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'BYTES', shape: [1, 16], data: ints.map(String) })) })],
  ['/v2/models/identity_fp32/infer', JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 8], data: [1, 2, 3, 4, 5, 6, 7, 8] }] })],
  ['/v2/models/mlp/infer', JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, MLP_SIZES.input], data: Array.from({ length: MLP_SIZES.input }, (_, i) => (i % 255) / 255) }] })],
];

/** Malformed or wrong requests: [path, body, extra headers]. */
const BAD: readonly (readonly [string, string, Record<string, string>?])[] = [
  ['/v2/models/simple/infer', '{"inputs": ['],
  ['/v2/models/nope/infer', VALID[0]![1]],
  ['/v2/models/simple/versions/abc/infer', VALID[0]![1]],
  ['/v2/models/simple/infer', JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 16], data: ints }] })],
  ['/v2/models/simple/infer', JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 15], data: ints }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: ints }] })],
  ['/v2/models/simple/infer', '{}'],
  ['/v2/models/identity_fp32/infer', `{"inputs":${'['.repeat(5_000)}${']'.repeat(5_000)}}`],
  ['/v2/models/identity_fp32/infer', '{"inputs":[]}', { 'inference-header-content-length': '9999' }],
  ['/v2/models/identity_fp32/infer', JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [2 ** 40, 2 ** 20], data: [1] }] })],
];

/** Settings of one traffic run. */
export interface TrafficTarget {
  readonly port: number;
  /** Body size that exceeds the server's --http-max-input-size. */
  readonly oversizedBytes: number;
  readonly requestTimeoutMs: number;
}

function pick<T>(list: readonly T[], random: () => number): T {
  return list[Math.floor(random() * list.length)]!;
}

async function timedFetch(kind: RequestKind, url: string, init: RequestInit, timeoutMs: number): Promise<Outcome> {
  const start = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return { kind, result: 'answered', status: res.status, ms: performance.now() - start, expected: EXPECTED[kind](res.status) };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (kind === 'abort' && e.name === 'AbortError') return { kind, result: 'aborted', expected: true };
    return { kind, result: 'lost', expected: false, detail: `${e.name}: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}` };
  }
}

/** Starts an upload of a declared 50 kB body, sends 1 kB, then drops the connection. */
function midBody(port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write('POST /v2/models/mlp/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50000\r\n\r\n');
      socket.write(VALID[3]![1].slice(0, 1000));
      setTimeout(() => {
        socket.destroy();
        resolve({ kind: 'midbody', result: 'aborted', expected: true });
      }, 5);
    });
  });
}

/**
 * Declares a body larger than the server's limit and streams it unless the server answers first.
 * The server answers 413 from the headers and closes; a client that kept uploading would race a
 * TCP reset that can discard the 413 (Node's http server has no lingering close), so, like a
 * client honouring early responses, this one waits up to 3 s for the status line before sending.
 */
function oversized(port: number, bytes: number, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const start = performance.now();
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    let done = false;
    const finish = (o: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ kind: 'oversized', result: 'lost', expected: false, detail: 'no answer in time' }), timeoutMs);
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      reply += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(reply);
      if (m) finish({ kind: 'oversized', result: 'answered', status: Number(m[1]), ms: performance.now() - start, expected: EXPECTED.oversized(Number(m[1])) });
    });
    socket.on('close', () => finish({ kind: 'oversized', result: 'lost', expected: false, detail: `closed without a status line: ${JSON.stringify(reply.slice(0, 80))}` }));
    socket.on('connect', () => {
      socket.write(`POST /v2/models/identity_fp32/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (!done && sent < bytes) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      setTimeout(pump, EARLY_RESPONSE_WAIT_MS);
    });
  });
}

/** How long the oversized upload waits for an early answer before it streams the body. */
const EARLY_RESPONSE_WAIT_MS = 3_000;

/** Sends one request of `kind`. */
export async function sendRequest(kind: RequestKind, target: TrafficTarget, random: () => number): Promise<Outcome> {
  const base = `http://127.0.0.1:${target.port}`;
  const timeout = target.requestTimeoutMs;
  switch (kind) {
    case 'valid': {
      const [path, body] = pick(VALID, random);
      return timedFetch(kind, base + path, { method: 'POST', headers: JSON_TYPE, body }, timeout);
    }
    case 'bad': {
      const [path, body, headers] = pick(BAD, random);
      return timedFetch(kind, base + path, { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body }, timeout);
    }
    case 'abort': {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), Math.floor(random() * 3));
      return timedFetch(kind, `${base}/v2/models/mlp/infer`, { method: 'POST', headers: JSON_TYPE, body: VALID[3]![1], signal: controller.signal }, timeout);
    }
    case 'midbody':
      return midBody(target.port);
    case 'oversized':
      return oversized(target.port, target.oversizedBytes, timeout);
    case 'churn':
      return timedFetch(kind, `${base}/v2/models/churn/infer`, { method: 'POST', headers: JSON_TYPE, body: VALID[2]![1] }, timeout);
    case 'llm':
      return timedFetch(kind, `${base}/v1/completions`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ model: 'tiny_llm', prompt: 'Once upon', max_tokens: 8 }) }, timeout);
  }
}

/** Picks a kind by weight. */
export function chooseKind(weights: ReadonlyMap<RequestKind, number>, random: () => number): RequestKind {
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  let x = random() * total;
  for (const [kind, w] of weights) {
    x -= w;
    if (x < 0) return kind;
  }
  return 'valid';
}
