/**
 * Server-sent events for streamed completions: `data: <json>\n\n` per chunk, `data: [DONE]` at
 * the end, as OpenAI streams. Writes respect socket backpressure, and a client that goes away
 * aborts the request's signal so generation stops and its sequence is freed.
 */
import type { ServerResponse } from 'node:http';

/** Writes one SSE response on a raw Node response the route has taken over. */
export class SseWriter {
  private ended = false;

  constructor(private readonly res: ServerResponse) {}

  /** Sends the status line and SSE headers. */
  open(headers: Readonly<Record<string, string>> = {}): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
    this.res.flushHeaders();
  }

  /** True once the client went away or the stream ended. */
  get closed(): boolean {
    return this.ended || this.res.destroyed || this.res.writableEnded;
  }

  /** Sends one event (a string as is, anything else as JSON); resolves when the socket can take more. */
  async send(data: unknown): Promise<void> {
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    // NOTE: each line needs its own `data:` prefix; a bare line break would end the event early.
    await this.write(`data: ${text.replace(/\r\n|\r|\n/g, '\ndata: ')}\n\n`);
  }

  private write(text: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.res.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** Ends the stream, with OpenAI's `[DONE]` sentinel unless `sentinel` is false. */
  async end(sentinel = true): Promise<void> {
    if (this.closed) return;
    if (sentinel) await this.write('data: [DONE]\n\n');
    this.ended = true;
    this.res.end();
  }
}

/** An AbortController aborted when the client's connection closes before the response finished. */
export function abortOnClose(res: ServerResponse): AbortController {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller;
}
