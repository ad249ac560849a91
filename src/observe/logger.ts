// Structured JSON logs with fixed field names: `time`, `level`, `msg`, `component`, then the
// event's own fields. Everything goes to stderr so stdout stays clean for reports (-o json|yaml).
import winston from 'winston';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFields = Record<string, unknown>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  child(component: string, fields?: LogFields): Logger;
}

const renameMessage = winston.format((info) => {
  // winston keys the text as `message`; our fixed name is `msg`.
  const { message, timestamp, level, ...rest } = info;
  return { level, time: timestamp, msg: message, ...rest } as unknown as winston.Logform.TransformableInfo;
});

export function createLogger(options: { level?: LogLevel; component?: string; silent?: boolean } = {}): Logger {
  const base = winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    format: winston.format.combine(winston.format.timestamp(), renameMessage(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  return bind(base, { component: options.component ?? 'reaper' });
}

// Fields bound by child() go first, so an event's own fields cannot silently drop them.
function bind(target: winston.Logger, bound: LogFields): Logger {
  const log = (level: LogLevel) => (msg: string, fields?: LogFields) => target.log(level, msg, { ...fields, ...bound });
  return {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    child: (component, fields) => bind(target, { ...bound, ...fields, component }),
  };
}

/** For callers that must accept a logger but whose caller wants silence (tests, library use). */
export const silentLogger: Logger = createLogger({ silent: true });
