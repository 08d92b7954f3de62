import Redis from 'ioredis';
import { StoreUnavailableError } from '../src/redis/store-unavailable.error';
import { RedisThrottlerStorage } from '../src/rate-limit/redis-throttler.storage';
import { deleteKeys, describeWithRedis, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import { TcpProxy } from './support/tcp-proxy';
import { redisClient } from './support/throttler-harness';

const windows = (tenant: string, perSecond: number, perMinute: number) => [
  {
    key: `second:${tenant}`,
    ttl: 1_000,
    limit: perSecond,
    blockDuration: 1_000,
    throttlerName: 'second',
  },
  {
    key: `minute:${tenant}`,
    ttl: 60_000,
    limit: perMinute,
    blockDuration: 60_000,
    throttlerName: 'minute',
  },
];

describeWithRedis('RedisThrottlerStorage.incrementWindows on a real Redis (e2e)', () => {
  let prefix: string;
  let raw: Redis;
  const clients: Redis[] = [];

  const storage = async (port?: number) => {
    const client = await redisClient(prefix, port);
    clients.push(client);
    return new RedisThrottlerStorage(client);
  };

  beforeEach(() => {
    prefix = uniqueKeyPrefix();
    raw = new Redis(TEST_REDIS_URL);
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    raw.disconnect();
    await deleteKeys(prefix);
  });

  it('keeps its counters under the key prefix, each with a TTL, and stops at a blocked window', async () => {
    const store = await storage();
    for (let i = 0; i < 3; i += 1) {
      await expect(store.incrementWindows(windows('acme', 2, 10))).resolves.toEqual(
        i < 2
          ? undefined
          : {
              index: 0,
              record: { totalHits: 3, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 },
            },
      );
    }
    const keys = (await raw.keys(`${prefix}*`)).sort();
    expect(keys).toEqual(
      [
        '{minute:acme:minute}:hits',
        '{second:acme:second}:blocked',
        '{second:acme:second}:hits',
      ].map((name) => prefix + name),
    );
    // The refused call was not counted in the minute window.
    expect(await raw.get(`${prefix}{minute:acme:minute}:hits`)).toBe('2');
    expect(await raw.get(`${prefix}{second:acme:second}:hits`)).toBe('3');
    for (const key of keys) {
      const ttl = await raw.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(key.includes('minute') ? 60_000 : 1_000);
    }
  });

  it('shares its counters with replicas still counting one window a call (a rolling deploy)', async () => {
    const [updated, old] = [await storage(), await storage()];
    const [second, minute] = windows('acme', 100, 3);
    // The old replica's calls: @nest-lab's own script, one window each.
    for (const w of [second, minute]) {
      await old.increment(w.key, w.ttl, w.limit, w.blockDuration, w.throttlerName);
    }
    await updated.incrementWindows([second, minute]);
    await old.increment(second.key, second.ttl, second.limit, second.blockDuration, 'second');
    await expect(
      old.increment(minute.key, minute.ttl, minute.limit, minute.blockDuration, 'minute'),
    ).resolves.toMatchObject({ totalHits: 3, isBlocked: false });
    // Past the minute's limit on the new code: the block is the old code's too.
    await expect(updated.incrementWindows([second, minute])).resolves.toMatchObject({
      index: 1,
      record: { totalHits: 4, isBlocked: true, timeToBlockExpire: 60 },
    });
    await expect(
      old.increment(minute.key, minute.ttl, minute.limit, minute.blockDuration, 'minute'),
    ).resolves.toMatchObject({ totalHits: 5, isBlocked: true });
  });

  it('fails closed with StoreUnavailableError when Redis goes away', async () => {
    const url = new URL(TEST_REDIS_URL);
    const proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port || 6379) });
    try {
      const store = await storage(proxy.port);
      await expect(store.incrementWindows(windows('acme', 5, 5))).resolves.toBeUndefined();
      await proxy.cut();
      await expect(store.incrementWindows(windows('acme', 5, 5))).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    } finally {
      await proxy.close();
    }
  });
});
