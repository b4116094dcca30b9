/**
 * Request ids and the access log, at the raw Node HTTP layer so they cover every request,
 * including infer requests the fast path answers without Fastify. Each request gets an id
 * (the client's `X-Request-Id` when it is sane, else a fresh UUID), returned in the response's
 * `X-Request-Id` header, and exactly one access line when it finishes or the client goes away.
 * Front-ends add fields (model, token counts, and the prompt/output) with `annotateRequest`;
 * prompt and output reach the log only when `logRequests` is on.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

/** Header carrying the request id both ways. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Fields a front-end may attach to the access line of a request. */
export interface AccessFields {
  model?: string;
  version?: string;
  promptTokens?: number;
  completionTokens?: number;
  /** Logged only with --log-requests. */
  prompt?: unknown;
  /** Logged only with --log-requests. */
  output?: unknown;
}

interface RequestState {
  readonly id: string;
  readonly startNs: bigint;
  fields?: AccessFields;
}

const STATE = Symbol('inferd.request');

type Tagged = { [STATE]?: RequestState };

/** Hook run on every raw request before any routing. */
export type RawRequestHook = (req: IncomingMessage, res: ServerResponse) => void;

/** Options of the access log. */
export interface RequestLogOptions {
  readonly logger: Logger;
  /** --log-requests: include prompts and outputs in access lines. */
  readonly logRequests: boolean;
  /** Called once per finished request with its status (e.g. to count 429/503). */
  readonly onStatus?: (status: number) => void;
}

// Printable ASCII without spaces, bounded: safe to echo in a header and a log line.
const SANE_ID = /^[\x21-\x7e]{1,128}$/;

const MODEL_PATH = /\/models\/([^/?]+)(?:\/versions\/([^/?]+))?/;

/** The id assigned to `req` (undefined before the hook ran). */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return (req as Tagged)[STATE]?.id;
}

/** Adds fields to the access line of the request `res` answers. */
export function annotateRequest(res: ServerResponse, fields: AccessFields): void {
  const state = (res.req as Tagged | undefined)?.[STATE];
  if (state) state.fields = { ...state.fields, ...fields };
}

/** Builds the hook that assigns request ids and writes one access line per request. */
export function createRequestLog(opts: RequestLogOptions): RawRequestHook {
  const { logger, logRequests, onStatus } = opts;
  return (req, res) => {
    const header = req.headers[REQUEST_ID_HEADER];
    const id = typeof header === 'string' && SANE_ID.test(header) ? header : randomUUID();
    const state: RequestState = { id, startNs: process.hrtime.bigint() };
    (req as Tagged)[STATE] = state;
    res.setHeader(REQUEST_ID_HEADER, id);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      // NOTE: 'close' without 'finish' means the client went away before the reply was sent.
      const status = res.writableFinished ? res.statusCode : 499;
      onStatus?.(status);
      if (!logger.isLevelEnabled('info')) return;
      logger.info(accessLine(req, state, status, logRequests), 'request completed');
    };
    res.once('finish', finish);
    res.once('close', finish);
  };
}

function accessLine(req: IncomingMessage, state: RequestState, status: number, logRequests: boolean): Record<string, unknown> {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const f = state.fields ?? {};
  const fromPath = MODEL_PATH.exec(path);
  const model = f.model ?? (fromPath ? safeDecode(fromPath[1] as string) : undefined);
  const version = f.version ?? (fromPath?.[2] !== undefined ? safeDecode(fromPath[2]) : undefined);
  const line: Record<string, unknown> = {
    reqId: state.id,
    method: req.method,
    path,
    status,
    latencyMs: Number(process.hrtime.bigint() - state.startNs) / 1e6,
  };
  if (model !== undefined) line.model = model;
  if (version !== undefined) line.version = version;
  if (f.promptTokens !== undefined) line.promptTokens = f.promptTokens;
  if (f.completionTokens !== undefined) line.completionTokens = f.completionTokens;
  if (logRequests) {
    if (f.prompt !== undefined) line.prompt = f.prompt;
    if (f.output !== undefined) line.output = f.output;
  }
  return line;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
