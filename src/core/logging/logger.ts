/**
 * The process logger: pino JSON lines on stdout by default, or pino-pretty for humans
 * (`INFERD_LOG_FORMAT=pretty`), and a level control that reaches every tracked logger, because
 * pino children copy their level when created and do not follow their parent afterwards.
 */
import { pino, type Logger } from 'pino';

/** Output formats of --log-format / INFERD_LOG_FORMAT. */
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** One of LOG_FORMATS. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Creates the root logger at `level` in `format`. */
export function createLogger(level: string, format: LogFormat): Logger {
  if (format === 'pretty') {
    return pino({ level, transport: { target: 'pino-pretty', options: { colorize: false, translateTime: 'SYS:standard' } } });
  }
  return pino({ level });
}

/** Changes the level of a root logger and the long-lived children made from it. */
export class LogLevelControl {
  private readonly loggers = new Set<Logger>();

  constructor(private readonly root: Logger) {
    this.loggers.add(root);
  }

  /** Makes `logger` follow level changes; returns it for chaining. */
  track(logger: Logger): Logger {
    this.loggers.add(logger);
    return logger;
  }

  /** Current level of the root logger. */
  get level(): string {
    return this.root.level;
  }

  /** Sets the level everywhere; throws for a level pino does not know. */
  setLevel(level: string): void {
    if (!(level in this.root.levels.values) && level !== 'silent') throw new Error(`unknown log level '${level}'`);
    for (const logger of this.loggers) logger.level = level;
  }
}
