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

export function createLogger(options: LoggerOptions): pino.Logger {
  const dest = options.destination ?? 1;
  // A file descriptor gets pino's own SonicBoom stream, asynchronous: log calls on the request path
  // only append to a buffer. pino flushes it on normal exit; the composition root should call
  // logger.flush() before exiting on a fatal error.
  const stream: pino.DestinationStream = typeof dest === 'number' ? pino.destination({ dest, sync: false }) : dest;
  return pino(
    {
      level: options.level,
      base: options.base ? { ...options.base } : null,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** A logger that discards everything: tests, benchmarks. */
export function silentLogger(): pino.Logger {
  return pino({ level: 'silent' });
}
