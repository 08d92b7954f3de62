import { registerAs } from '@nestjs/config';
import { EnvReader } from './env';

export interface IdempotencyConfig {
  /** How long a finished send's answer is replayed for its key. */
  ttlSeconds: number;
  /** Memory store bound; the oldest records are evicted first. */
  maxEntries: number;
}

export function loadIdempotencyConfig(env: NodeJS.ProcessEnv = process.env): IdempotencyConfig {
  const read = new EnvReader(env);
  return read.done({
    ttlSeconds: read.int('IDEMPOTENCY_TTL_SECONDS', 86_400, 1, 30 * 86_400),
    maxEntries: read.int('IDEMPOTENCY_MAX_ENTRIES', 100_000, 1, 10_000_000),
  });
}

export const idempotencyConfig = registerAs('idempotency', () => loadIdempotencyConfig());
