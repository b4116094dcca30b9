/**
 * Triton's logging extension over HTTP: `GET /v2/logging` reports the settings and
 * `POST /v2/logging` changes the level at run time. pino has one threshold, so Triton's
 * independent switches map onto it (verbose > 0 → debug, else the most detailed enabled of
 * info, warning, error). The log destination can never be changed over the network: any
 * `log_file` other than the empty string is refused with 400, as is any unknown setting.
 */
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import type { LogLevelControl } from '../../core/logging/logger.js';
import { errorBody } from './errors.js';

/** Triton's log settings object. */
export interface LogSettings {
  readonly log_file: string;
  readonly log_info: boolean;
  readonly log_warning: boolean;
  readonly log_error: boolean;
  readonly log_verbose_level: number;
  readonly log_format: string;
}

const RANK: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** The settings a pino level corresponds to. */
export function settingsOf(level: string): LogSettings {
  const rank = RANK[level] ?? RANK.info ?? 30;
  return {
    log_file: '',
    log_info: rank <= 30,
    log_warning: rank <= 40,
    log_error: rank <= 50,
    log_verbose_level: rank <= 10 ? 2 : rank <= 20 ? 1 : 0,
    log_format: 'default',
  };
}

/** The pino level for `update` applied on `current`; throws an Error with a client-safe message. */
export function levelFor(current: LogSettings, update: unknown): string {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) throw new Error('expected a JSON object of log settings');
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(update)) {
    switch (key) {
      case 'log_file':
        if (value !== '') throw new Error('log_file cannot be set: inferd logs to stdout only');
        break;
      case 'log_format':
        if (value !== 'default') throw new Error("log_format: only 'default' is supported (set INFERD_LOG_FORMAT at start-up)");
        break;
      case 'log_info':
      case 'log_warning':
      case 'log_error':
        if (typeof value !== 'boolean') throw new Error(`${key} must be a boolean`);
        next[key] = value;
        break;
      case 'log_verbose_level':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error('log_verbose_level must be a non-negative integer');
        next[key] = value;
        break;
      default:
        throw new Error(`unknown log setting '${key}'`);
    }
  }
  const verbose = next.log_verbose_level as number;
  if (verbose >= 2) return 'trace';
  if (verbose === 1) return 'debug';
  if (next.log_info) return 'info';
  if (next.log_warning) return 'warn';
  if (next.log_error) return 'error';
  return 'silent';
}

/** Fastify plugin for `/v2/logging`; register with `app.register(loggingRoutes, { control })`. */
export const loggingRoutes: FastifyPluginCallback<{ control: LogLevelControl }> = (app, opts, done) => {
  const send = (reply: FastifyReply): FastifyReply => reply.type('application/json').send(JSON.stringify(settingsOf(opts.control.level)));
  app.get('/v2/logging', (_request, reply) => send(reply));
  app.post('/v2/logging', (request, reply) => {
    let update: unknown;
    try {
      update = levelFor(settingsOf(opts.control.level), request.body);
    } catch (err) {
      return reply.code(400).type('application/json').send(errorBody((err as Error).message));
    }
    opts.control.setLevel(update as string);
    return send(reply);
  });
  done();
};
