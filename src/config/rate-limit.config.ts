import { registerAs } from '@nestjs/config';
import { EnvReader } from './env';

export interface RateLimitConfig {
  perSecond: number;
  perMinute: number;
}

/** Per-tenant defaults; a tenant's own `rateLimit` overrides them. */
export function loadRateLimitConfig(env: NodeJS.ProcessEnv = process.env): RateLimitConfig {
  const read = new EnvReader(env);
  return read.done({
    perSecond: read.int('RATE_LIMIT_PER_SECOND', 20, 1, 1_000_000),
    perMinute: read.int('RATE_LIMIT_PER_MINUTE', 600, 1, 60_000_000),
  });
}

export const rateLimitConfig = registerAs('rateLimit', () => loadRateLimitConfig());

/** The read routes' own per-tenant window (DESIGN.md §10), apart from the sending limit. */
export interface ReadRateLimitConfig {
  perSecond: number;
}

export function loadReadRateLimitConfig(env: NodeJS.ProcessEnv = process.env): ReadRateLimitConfig {
  const read = new EnvReader(env);
  return read.done({ perSecond: read.int('RATE_LIMIT_READS_PER_SECOND', 50, 1, 1_000_000) });
}

export const readRateLimitConfig = registerAs('readRateLimit', () => loadReadRateLimitConfig());
