/**
 * Structured logging for the plugin process. Grafana reads the plugin's stderr line by line and logs a
 * JSON line with `@level` and `@message` at that level, other keys becoming key/value pairs
 * (docs/protocol.md, Logging). `@timestamp` is omitted on purpose: a value without exactly six fractional digits makes
 * Grafana log the whole line as raw debug text, and Grafana stamps the time itself.
 *
 * stdout is reserved for the handshake line, so nothing here ever writes to it.
 */
import { writeSync } from 'node:fs';
import { truncateEcho } from '../../../common/echo.ts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` (e.g. the endpoint or the datasource uid). */
  child(fields: LogFields): Logger;
  readonly level: LogLevel;
}

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

/** Reads the level from the environment Grafana gives us; unknown or missing values fall back to info. */
export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  // GF_PLUGIN_* comes from grafana.ini's [plugin.<id>] section, e.g. `log_level = debug`.
  const raw = env.GF_PLUGIN_LOG_LEVEL ?? env.GF_PLUGIN_LOGLEVEL ?? env.RARITY_LOG_LEVEL ?? '';
  const value = raw.trim().toLowerCase();
  if (value === 'warning') {
    return 'warn';
  }
  return value in RANK ? (value as LogLevel) : 'info';
}

/** Where finished lines go; a seam for tests. */
export type LineSink = (line: string) => void;

/**
 * Writes synchronously so lines logged right before process.exit are not lost. A non-blocking pipe that is
 * momentarily full (EAGAIN) falls back to the stream API rather than dropping or throwing.
 */
export const stderrSink: LineSink = (line) => {
  try {
    writeSync(2, line);
  } catch {
    try {
      process.stderr.write(line);
    } catch {
      // Nowhere left to report it; logging must never take the process down.
    }
  }
};

/**
 * A log line carries at most this much of any one text: messages and fields repeat what users sent, and a
 * 10 MB field name must not become 10 MB of Grafana's log.
 */
const MAX_FIELD_CHARS = 4000;

/** Turns values JSON cannot carry faithfully (errors, bigints) into plain data, long texts cut. */
function plain(value: unknown): unknown {
  if (value instanceof Error) {
    return truncateEcho(value.stack ?? `${value.name}: ${value.message}`, MAX_FIELD_CHARS);
  }
  if (typeof value === 'bigint') {
    return value.toString();
  }
  if (typeof value === 'string') {
    return truncateEcho(value, MAX_FIELD_CHARS);
  }
  return value;
}

function serialise(level: LogLevel, message: string, fields: LogFields): string {
  const record: Record<string, unknown> = { '@level': level, '@message': plain(message) };
  for (const [key, value] of Object.entries(fields)) {
    if (key.startsWith('@') || value === undefined) {
      continue;
    }
    record[key] = plain(value);
  }
  try {
    return JSON.stringify(record, (_key, v: unknown) => plain(v)) + '\n';
  } catch {
    // Circular or otherwise unserialisable fields: keep the message.
    return JSON.stringify({ '@level': level, '@message': message, logError: 'fields not serialisable' }) + '\n';
  }
}

export function createLogger(options: { level?: LogLevel; sink?: LineSink; fields?: LogFields } = {}): Logger {
  const level = options.level ?? levelFromEnv();
  const sink = options.sink ?? stderrSink;
  const base = options.fields ?? {};
  const emit = (at: LogLevel, message: string, fields?: LogFields): void => {
    if (RANK[at] < RANK[level]) {
      return;
    }
    sink(serialise(at, message, { ...base, ...fields }));
  };
  return {
    level,
    trace: (m, f) => emit('trace', m, f),
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level, sink, fields: { ...base, ...fields } }),
  };
}

/**
 * Routes console.* to the logger: a dependency that calls console.log would otherwise write to stdout,
 * where output before the handshake breaks the plugin's start and output after it is silently lost.
 */
export function captureConsole(logger: Logger): void {
  const format = (args: unknown[]): string =>
    args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? (a.stack ?? a.message) : safeJson(a))).join(' ');
  console.log = (...args: unknown[]) => logger.info(format(args), { source: 'console' });
  console.info = (...args: unknown[]) => logger.info(format(args), { source: 'console' });
  // eslint-disable-next-line no-console -- replacing, not calling: these must not reach stdout either
  console.debug = (...args: unknown[]) => logger.debug(format(args), { source: 'console' });
  // eslint-disable-next-line no-console -- as above
  console.trace = (...args: unknown[]) => logger.trace(format(args), { source: 'console' });
  console.warn = (...args: unknown[]) => logger.warn(format(args), { source: 'console' });
  console.error = (...args: unknown[]) => logger.error(format(args), { source: 'console' });
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
