import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { LogLevel } from '../config/app.config';

/**
 * Paths pino replaces with [redacted] wherever they appear: defence in depth, the gateway does not
 * log these on purpose (Secret values also print as [redacted]).
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  '*.authorization',
  '*.apiKey',
  '*.sha256',
  '*["x-blooio-signature"]',
  '*.signingSecret',
  '*.signingSecrets',
  'apiKey',
  'authorization',
];

/** What every logger of the gateway shares: level, base fields, time and level format. */
function baseOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'blooio-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/**
 * JSON lines on stdout (or `destination`, which tests capture). Written asynchronously: a request
 * never waits for a write(2); lines queued while one is in flight go out together, and `flush()`
 * (called before exit) writes what is left.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    { ...baseOptions(level), redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * The request log's logger: the same stream, level and format as `logger`, without path
 * redaction. The request line is built field by field from values that are never secret
 * (RequestLogController), so redacting it found nothing and cost 45% of writing it (3.5 of 8 µs).
 */
export function createRequestLogger(logger: Logger): Logger {
  const stream = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  return pino(baseOptions(logger.level), stream);
}
