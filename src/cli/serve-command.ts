/**
 * `inferd serve`: flags and their INFERD_* environment twins, turned into ServerOptions.
 */
import { Command, Option } from 'commander';
import {
  DEFAULT_SERVER_OPTIONS as D,
  LOG_LEVELS,
  parseBool,
  parsePort,
  parseSeconds,
  parseSize,
  type ServerOptions,
} from '../config/server-options.js';

/** Wraps a parser so commander reports its message as an invalid-argument error. */
function arg<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (err) {
      throw new (class extends Error {
        code = 'commander.invalidArgument';
      })((err as Error).message);
    }
  };
}

/** Builds an option with its `INFERD_*` environment variable named after the flag. */
function opt(flags: string, description: string): Option {
  const long = /--([a-z0-9-]+)/.exec(flags)?.[1] ?? '';
  return new Option(flags, description).env(`INFERD_${long.replace(/-/g, '_').toUpperCase()}`);
}

/** Adds the `serve` command to `program`; `run` receives the parsed options. */
export function addServeCommand(program: Command, run: (options: ServerOptions) => Promise<void>): Command {
  return program
    .command('serve')
    .description('serve a Triton-layout model repository over KServe v2 (HTTP)')
    .addOption(opt('--model-repository <dir>', 'model repository folder (<repo>/<model>/config.pbtxt, numbered versions)'))
    .addOption(opt('--host <address>', 'address to listen on').default(D.host))
    .addOption(opt('--http-port <port>', 'HTTP port (0 = any free port)').default(D.httpPort).argParser(arg(parsePort)))
    .addOption(
      opt('--model-control-mode <mode>', 'none: load all at start; poll: also rescan; explicit: load/unload API')
        .choices(['none', 'poll', 'explicit'])
        .default(D.modelControlMode),
    )
    .addOption(opt('--repository-poll-secs <secs>', 'rescan interval in poll mode').default(D.repositoryPollSecs).argParser(arg(parseSeconds)))
    .addOption(
      opt('--load-model <name>', 'model to load at start in explicit mode (repeatable; * = all)').argParser(
        (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').filter(Boolean)],
      ),
    )
    .addOption(opt('--strict-model-config [bool]', 'require complete config.pbtxt files (no auto-complete)').default(D.strictModelConfig).argParser(arg(parseBool)))
    .addOption(opt('--strict-readiness [bool]', 'ready only when every model is ready').default(D.strictReadiness).argParser(arg(parseBool)))
    .addOption(opt('--exit-on-error [bool]', 'exit at start-up when any model fails to load').default(D.exitOnError).argParser(arg(parseBool)))
    .addOption(opt('--log-level <level>', 'log level').choices([...LOG_LEVELS]).default(D.logLevel))
    .addOption(opt('--http-max-input-size <bytes>', 'largest HTTP request body (e.g. 64m); larger ones get 413').default(D.httpMaxInputSize).argParser(arg(parseSize)))
    .addOption(opt('--exit-timeout-secs <secs>', 'time in-flight requests get to finish on shutdown').default(D.exitTimeoutSecs).argParser(arg(parseSeconds)))
    .action(async (raw: Record<string, unknown>) => {
      await run(toServerOptions(raw));
    });
}

/** Maps commander's camelCase result onto ServerOptions; flags given without a value mean `true`. */
export function toServerOptions(raw: Record<string, unknown>): ServerOptions {
  const bool = (v: unknown, d: boolean): boolean => (v === undefined ? d : v === true || v === false ? v : parseBool(String(v)));
  return {
    modelRepository: raw.modelRepository as string | undefined,
    host: raw.host as string,
    httpPort: Number(raw.httpPort),
    modelControlMode: raw.modelControlMode as ServerOptions['modelControlMode'],
    repositoryPollSecs: Number(raw.repositoryPollSecs),
    loadModels: (raw.loadModel as string[] | undefined) ?? [],
    strictModelConfig: bool(raw.strictModelConfig, D.strictModelConfig),
    strictReadiness: bool(raw.strictReadiness, D.strictReadiness),
    exitOnError: bool(raw.exitOnError, D.exitOnError),
    logLevel: raw.logLevel as ServerOptions['logLevel'],
    httpMaxInputSize: Number(raw.httpMaxInputSize),
    exitTimeoutSecs: Number(raw.exitTimeoutSecs),
  };
}
