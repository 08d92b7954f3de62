import pino, { type DestinationStream, type Logger } from 'pino';
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
  'apiKey',
  'authorization',
];

/**
 * JSON lines on stdout (or `destination`, which tests capture). Written asynchronously: a request
 * never waits for a write(2); lines queued while one is in flight go out together, and `flush()`
 * (called before exit) writes what is left.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'blooio-gateway' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
