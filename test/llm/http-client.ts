/**
 * Minimal raw HTTP helpers for LLM tests: JSON posts and SSE reads with control over the
 * connection (to test malformed input, cancellation and overload, which SDKs hide).
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';

/** A finished JSON exchange. */
export interface JsonReply {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
  readonly text: string;
}

/** Sends `body` (a string is sent verbatim) and reads the whole reply. */
export function postRaw(url: string, body: string | object, method = 'POST'): Promise<JsonReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: unknown = undefined;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
      });
    });
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (method !== 'GET') req.end(typeof body === 'string' ? body : JSON.stringify(body));
    else req.end();
  });
}

/** An open SSE stream: parsed `data:` events as they arrive, and the request to destroy. */
export interface SseStream {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly request: ClientRequest;
  /** Resolves with the next data payload (`[DONE]` as the string), or undefined at the end. */
  next(): Promise<string | undefined>;
  /** Resolves with the whole body as text once it ended (for non-SSE replies such as errors). */
  text(): Promise<string>;
}

/** Opens a streaming POST and resolves once the response headers arrived. */
export function openSse(url: string, body: object): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.setEncoding('utf8');
      let buffer = '';
      let all = '';
      const events: string[] = [];
      let ended = false;
      let waiter: (() => void) | undefined;
      res.on('data', (c: string) => {
        all += c;
        buffer += c;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          for (const line of block.split('\n')) if (line.startsWith('data: ')) events.push(line.slice(6));
        }
        waiter?.();
      });
      const finish = () => {
        ended = true;
        waiter?.();
      };
      res.on('end', finish);
      res.on('close', finish);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        request: req,
        async next() {
          while (events.length === 0 && !ended) await new Promise<void>((r) => (waiter = r));
          return events.shift();
        },
        async text() {
          while (!ended) await new Promise<void>((r) => (waiter = r));
          return all;
        },
      });
    });
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
