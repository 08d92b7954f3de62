import { registerAs } from '@nestjs/config';
import { EnvReader } from './env';

export interface BlooioConfig {
  baseUrl: string;
  /** Deadline for one send, every attempt included. */
  timeoutMs: number;
  /** Deadline for one attempt (never past the send's deadline). */
  attemptTimeoutMs: number;
  maxRetries: number;
  /** Full-jitter backoff: attempt n waits random(0, min(cap, base·2^n)) ms. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Upper bound of open sockets to Blooio (undici pool size per origin). */
  maxConnections: number;
  /** A tenant's circuit opens after this many upstream 5xx/timeouts in a row… */
  breakerFailureThreshold: number;
  /** …and lets one trial call through after this long. */
  breakerCooldownMs: number;
}

export function loadBlooioConfig(env: NodeJS.ProcessEnv = process.env): BlooioConfig {
  const read = new EnvReader(env);
  const timeoutMs = read.int('BLOOIO_TIMEOUT_MS', 10_000, 100, 120_000);
  const maxRetries = read.int('BLOOIO_MAX_RETRIES', 2, 0, 10);
  return read.done({
    baseUrl: read.url('BLOOIO_BASE_URL', 'https://backend.blooio.com/v2/api', ['https:', 'http:']),
    timeoutMs,
    // Half the deadline by default: a slow answer still fits, and a hung attempt leaves time to retry.
    attemptTimeoutMs: read.int(
      'BLOOIO_ATTEMPT_TIMEOUT_MS',
      maxRetries > 0 ? Math.ceil(timeoutMs / 2) : timeoutMs,
      50,
      120_000,
    ),
    maxRetries,
    retryBaseDelayMs: read.int('BLOOIO_RETRY_BASE_DELAY_MS', 100, 1, 60_000),
    retryMaxDelayMs: read.int('BLOOIO_RETRY_MAX_DELAY_MS', 2_000, 1, 60_000),
    maxConnections: read.int('BLOOIO_MAX_CONNECTIONS', 128, 1, 4_096),
    breakerFailureThreshold: read.int('BLOOIO_BREAKER_THRESHOLD', 5, 1, 1_000),
    breakerCooldownMs: read.int('BLOOIO_BREAKER_COOLDOWN_MS', 30_000, 10, 3_600_000),
  });
}

export const blooioConfig = registerAs('blooio', () => loadBlooioConfig());
