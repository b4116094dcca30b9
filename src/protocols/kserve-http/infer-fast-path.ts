/**
 * The infer fast path: plain `POST /v2/models/{m}[/versions/{v}]/infer` requests on a real
 * socket are answered straight from Node's request/response objects, skipping Fastify's
 * routing, hooks, body parser and reply pipeline, which cost about as much CPU as a small
 * inference itself. Behaviour matches the Fastify route exactly: both call `runInfer` and map
 * errors with the same catalogue. Anything unusual (percent-encoded names, other methods, a
 * closing server) is handed to Fastify untouched.
 *
 * NOTE: requests answered here do not run Fastify hooks. A front-end that needs root-level hooks
 * on infer requests builds the server with `fastInferPath: false`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorBody, toHttpError } from '../http/errors.js';
import { HEADER_LENGTH_HEADER, type InferTarget } from './codec.js';
import { type InferContext, type InferReply, runInfer } from './infer-handler.js';
import { parseVersion } from './route-helpers.js';

// Fastify adds the charset to JSON replies; the fast path sends the very same header.
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

const INFER_PATH = /^\/v2\/models\/([^/?%]+)(?:\/versions\/([^/?%]+))?\/infer(?:\?|$)/;

/** Options of the fast path. */
export interface InferFastPathOptions extends InferContext {
  readonly logger?: Logger | false;
  /** True once the server is shutting down; Fastify then answers (503) instead. */
  readonly isClosing: () => boolean;
}

/** Handles the request and returns true, or returns false to leave it to Fastify. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

// Listeners are shared module-level functions that find their exchange through this key, so a
// request allocates no closures (measurable at tens of thousands of requests per second).
const kExchange = Symbol('kserve.inferExchange');
type Carrier<T> = T & { [kExchange]?: InferExchange };

function tooLargeError(): Error {
  return Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
}

/** One request on the fast path: reads the body, runs the infer, writes the reply. */
class InferExchange {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** NOTE: cheap until its signal is read; only a core that waits on the request reads it. */
  private readonly controller = new AbortController();

  constructor(
    private readonly opts: InferFastPathOptions,
    private readonly req: Carrier<IncomingMessage>,
    private readonly res: Carrier<ServerResponse>,
    private readonly target: InferTarget,
  ) {}

  start(): void {
    const declared = this.req.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.opts.maxInputSize) {
      this.fail(tooLargeError(), true);
      return;
    }
    this.req[kExchange] = this;
    this.req.on('data', onRequestData);
    this.req.on('end', onRequestEnd);
    this.req.on('error', onRequestError);
  }

  onData(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.opts.maxInputSize) {
      // The rest of the body is drained unread and the connection closed after the reply.
      this.req.off('data', onRequestData);
      this.req.off('end', onRequestEnd);
      this.req.resume();
      this.fail(tooLargeError(), true);
      return;
    }
    this.chunks.push(chunk);
  }

  async serve(): Promise<void> {
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    // A client that disconnects while the core works on its request cancels that request.
    this.res[kExchange] = this;
    this.res.once('close', onResponseClose);
    try {
      this.reply(await runInfer(this.opts, this.target, this.req.headers, body, this.controller));
    } catch (err) {
      this.fail(err);
    } finally {
      this.res.off('close', onResponseClose);
    }
  }

  abort(): void {
    this.controller.abort();
  }

  private reply(out: InferReply): void {
    const res = this.res;
    if (res.destroyed) return;
    // One UTF-8 encoding gives both the length and the bytes to send.
    const body = typeof out.body === 'string' ? Buffer.from(out.body, 'utf8') : out.body;
    const contentType = out.contentType === 'application/json' ? JSON_CONTENT_TYPE : out.contentType;
    const headers: Record<string, string | number> = { 'content-type': contentType, 'content-length': body.length };
    if (out.headerLength !== undefined) headers[HEADER_LENGTH_HEADER] = out.headerLength;
    if (out.contentEncoding !== undefined) headers['content-encoding'] = out.contentEncoding;
    res.writeHead(200, headers);
    res.end(body);
  }

  fail(err: unknown, closeConnection = false): void {
    const { statusCode, message } = toHttpError(err);
    const logger = this.opts.logger;
    if (statusCode >= 500 && logger) logger.error({ err }, 'infer request failed');
    const res = this.res;
    if (res.headersSent || res.destroyed) return;
    const body = errorBody(message);
    const headers: Record<string, string | number> = {
      'content-type': JSON_CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
    };
    if (closeConnection) headers['connection'] = 'close';
    res.writeHead(statusCode, headers);
    res.end(body);
  }
}

function onRequestData(this: Carrier<IncomingMessage>, chunk: Buffer): void {
  this[kExchange]?.onData(chunk);
}

function onRequestEnd(this: Carrier<IncomingMessage>): void {
  void this[kExchange]?.serve();
}

function onRequestError(this: Carrier<IncomingMessage>, err: Error): void {
  this[kExchange]?.fail(err);
}

function onResponseClose(this: Carrier<ServerResponse>): void {
  this[kExchange]?.abort();
}

/** Builds the fast path for one server. */
export function createInferFastPath(opts: InferFastPathOptions): FastPath {
  return (req, res) => {
    if (req.method !== 'POST' || opts.isClosing()) return false;
    const match = INFER_PATH.exec(req.url ?? '');
    if (match === null) return false;
    let version: number | undefined;
    try {
      version = parseVersion(match[2]);
    } catch (err) {
      req.resume();
      new InferExchange(opts, req, res, { name: '' }).fail(err);
      return true;
    }
    new InferExchange(opts, req, res, { name: match[1] as string, version }).start();
    return true;
  };
}
