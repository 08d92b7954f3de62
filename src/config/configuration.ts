import { loadAppConfig } from './app.config';
import { loadBlooioConfig } from './blooio.config';
import { ConfigError } from './env';
import { loadEventsConfig } from './events.config';
import { loadIdempotencyConfig } from './idempotency.config';
import { loadRateLimitConfig, loadReadRateLimitConfig } from './rate-limit.config';
import { loadRedisConfig } from './redis.config';

const NAMESPACE_LOADERS = {
  app: loadAppConfig,
  blooio: loadBlooioConfig,
  events: loadEventsConfig,
  idempotency: loadIdempotencyConfig,
  rateLimit: loadRateLimitConfig,
  readRateLimit: loadReadRateLimitConfig,
  redis: loadRedisConfig,
} as const;

export type Configuration = {
  [Name in keyof typeof NAMESPACE_LOADERS]: ReturnType<(typeof NAMESPACE_LOADERS)[Name]>;
};

/**
 * Every namespace read from one environment. Each namespace collects its own problems; this
 * collects theirs, so that a deployment with a bad port and a bad Blooio timeout hears of both
 * at once instead of one per restart.
 */
export function loadConfiguration(env: NodeJS.ProcessEnv = process.env): Configuration {
  const problems: string[] = [];
  const loaded = Object.entries(NAMESPACE_LOADERS).map(([name, load]) => {
    try {
      return [name, load(env)] as const;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return [name, undefined] as const;
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.fromEntries(loaded) as Configuration;
}

/** ConfigModule's `validate` hook: the whole environment is checked before any namespace loads. */
export function validateEnvironment(env: Record<string, unknown>): Record<string, unknown> {
  loadConfiguration(env as NodeJS.ProcessEnv);
  return env;
}
