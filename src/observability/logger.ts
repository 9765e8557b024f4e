/**
 * The service logger: pino writing newline-delimited JSON. Pretty printing, shipping and rotation
 * belong outside the process (pipe the output), which keeps formatting off the hot path.
 */
import pino from 'pino';

export type LogLevel = pino.LevelWithSilent;

export interface LoggerOptions {
  readonly level: LogLevel;
  /** A stream, or a file descriptor (1 = stdout, 2 = stderr). Default: stdout. */
  readonly destination?: pino.DestinationStream | number;
  /** Written with every line, e.g. {service: 'pte'}. */
  readonly base?: Readonly<Record<string, string>>;
}

/**
 * Paths whose values are replaced by "[redacted]" wherever a log call passes them. The Jupiter API
 * key is the only secret the service holds; config objects and request headers are the places it
 * could slip into a log line.
 */
export const REDACT_PATHS: readonly string[] = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
];

/**
 * pino's ISO timestamp, formatted once per millisecond: a busy server writes several lines in the
 * same millisecond, and Date#toISOString was a visible share of each line's cost.
 */
function isoTimeOncePerMs(): () => string {
  let lastMs = -1;
  let text = '';
  return () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      text = `,"time":"${new Date(ms).toISOString()}"`;
    }
    return text;
  };
}

/** The level as a label; the objects are made once, pino serializes them per line. */
const LEVEL_OBJECTS = new Map<string, { level: string }>();
const levelLabel = (label: string): { level: string } => {
  let o = LEVEL_OBJECTS.get(label);
  if (o === undefined) {
    o = { level: label };
    LEVEL_OBJECTS.set(label, o);
  }
  return o;
};

/**
 * What a file-descriptor destination collects before it writes: one write(2) per several lines
 * instead of one per line, which was most of a log line's cost on a busy server.
 */
const WRITE_BATCH_BYTES = 4096;
/** How often lines waiting in that batch are written out anyway, so a quiet server's lines still appear. */
const FLUSH_EVERY_MS = 50;
/** The batch is flushed on each tick until this long after the last line (then the timer does nothing). */
const FLUSH_FOR_MS = 1_000;

/**
 * pino's SonicBoom on a file descriptor, asynchronous and batched: log calls on the request path only
 * append to a buffer, written once it holds WRITE_BATCH_BYTES or at the next FLUSH_EVERY_MS tick.
 * pino writes what is left on normal exit; the composition root should call logger.flush() before
 * exiting on a fatal error.
 */
function batchedDestination(fd: number): { readonly stream: pino.DestinationStream; readonly onWrite: (line: string) => string } {
  const boom = pino.destination({ dest: fd, sync: false, minLength: WRITE_BATCH_BYTES });
  let lastWriteMs = -Infinity;
  const timer = setInterval(() => {
    if (Date.now() - lastWriteMs <= FLUSH_FOR_MS) boom.flush();
  }, FLUSH_EVERY_MS);
  timer.unref();
  return {
    stream: boom,
    onWrite: (line) => {
      lastWriteMs = Date.now();
      return line;
    },
  };
}

export function createLogger(options: LoggerOptions): pino.Logger {
  const dest = options.destination ?? 1;
  const batched = typeof dest === 'number' ? batchedDestination(dest) : undefined;
  const stream: pino.DestinationStream = batched?.stream ?? (dest as pino.DestinationStream);
  const logger = pino(
    {
      level: options.level,
      base: options.base ? { ...options.base } : null,
      timestamp: isoTimeOncePerMs(),
      ...(batched ? { hooks: { streamWrite: batched.onWrite } } : {}),
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      formatters: { level: levelLabel },
    },
    stream,
  );
  return logger;
}

/**
 * A child of the service logger, with no bindings of its own, for lines whose fields are fixed in
 * code and are never config, headers or other objects a secret could hide in: the two INFO lines of
 * every trade. It skips the redaction, whose wildcard paths visit every field of every line (about
 * half of those two lines' cost); every other log call keeps it. pino's child options replace the
 * parent's redaction for the child only; its level, timestamp, formatters and destination are the
 * parent's.
 */
export function fixedFieldsLogger(logger: pino.Logger): pino.Logger {
  return logger.child({}, { redact: [] });
}

/** A logger that discards everything: tests, benchmarks. */
export function silentLogger(): pino.Logger {
  return pino({ level: 'silent' });
}
