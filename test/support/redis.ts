import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { describeSkipped } from './skip';

/** The Redis the shared-state suites use (127.0.0.1:6379 on every machine and in CI). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * `describe` for suites that need a real Redis. Without one (a laptop) the suite is skipped with a
 * printed reason; with CI=true a missing Redis is a failure, never a silent skip.
 */
export function describeWithRedis(name: string, suite: () => void): void {
  const unavailable = process.env.TEST_REDIS_UNAVAILABLE;
  if (!unavailable) {
    describe(name, suite);
    return;
  }
  const reason = `Redis at ${TEST_REDIS_URL} does not answer (${unavailable})`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs Redis: CI=true does not allow skipping this suite', () => {
        throw new Error(`${reason}; start it with: redis-server --daemonize yes --port 6379`);
      });
    });
    return;
  }
  describeSkipped(name, `${reason}. Start Redis or set TEST_REDIS_URL to run it.`, suite);
}

/** A key prefix of its own per test, so that suites running at once never see each other. */
export function uniqueKeyPrefix(): string {
  return `bgw-test-${randomUUID().slice(0, 8)}:`;
}

/** Every key under a prefix, with the values of its hashes and strings, for leak checks. */
export async function dumpKeys(prefix: string): Promise<Map<string, string>> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    const dump = new Map<string, string>();
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === 'hash'
          ? JSON.stringify(await redis.hgetall(key))
          : type === 'set'
            ? JSON.stringify((await redis.smembers(key)).sort())
            : await redis.get(key);
      dump.set(key, value ?? '');
    }
    return dump;
  } finally {
    redis.disconnect();
  }
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/**
 * A connection of its own, as each replica has, with the gateway's options (no offline queue, no
 * retries) on a key prefix; `unreachable` gives one to a closed port. Disconnect it after the test.
 */
export async function replicaConnection(
  prefix: string,
  options: { unreachable?: boolean } = {},
): Promise<Redis> {
  const url = new URL(TEST_REDIS_URL);
  const client = new Redis({
    host: url.hostname,
    port: options.unreachable ? 1 : Number(url.port || 6379),
    keyPrefix: prefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: options.unreachable,
  });
  client.on('error', () => undefined);
  if (!options.unreachable) await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

/**
 * For a suite of a Redis store: each test gets a key prefix of its own (`prefix()`) and
 * connections under it (`connect()`), closed and their keys deleted after the test.
 */
export function useRedisReplicas(): {
  prefix: () => string;
  connect: (options?: { unreachable?: boolean }) => Promise<Redis>;
} {
  let prefix = uniqueKeyPrefix();
  const clients: Redis[] = [];
  beforeEach(() => {
    prefix = uniqueKeyPrefix();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await deleteKeys(prefix);
  });
  return {
    prefix: () => prefix,
    connect: async (options) => {
      const client = await replicaConnection(prefix, options);
      clients.push(client);
      return client;
    },
  };
}
