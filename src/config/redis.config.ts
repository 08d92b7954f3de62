import { registerAs } from '@nestjs/config';
import { Secret } from '../common/secret';
import { EnvReader } from './env';

export interface RedisConfig {
  /** Unset: one replica, state in memory. The URL may hold a password, hence a Secret. */
  url?: Secret;
  /** Prepended to every key the gateway writes, so that one Redis can serve several deployments. */
  keyPrefix: string;
  /** A command without an answer after this long fails (and the request with it, fail closed). */
  commandTimeoutMs: number;
}

const KEY_PREFIX = /^[A-Za-z0-9][A-Za-z0-9:_.{}-]{0,63}$/;

export function loadRedisConfig(env: NodeJS.ProcessEnv = process.env): RedisConfig {
  const read = new EnvReader(env);
  const url = read.optionalSecretUrl('REDIS_URL', ['redis:', 'rediss:']);
  return read.done({
    url,
    keyPrefix: read.matching(
      'REDIS_KEY_PREFIX',
      'bgw:',
      KEY_PREFIX,
      '1 to 64 letters, digits or :_.{}-',
    ),
    commandTimeoutMs: read.int('REDIS_COMMAND_TIMEOUT_MS', 1_000, 10, 60_000),
  });
}

export const redisConfig = registerAs('redis', () => loadRedisConfig());
