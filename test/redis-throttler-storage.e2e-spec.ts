import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { MemoryThrottlerStorage } from '../src/rate-limit/memory-throttler.storage';
import { StoreUnavailableError } from '../src/redis/store-unavailable.error';
import { RedisThrottlerStorage } from '../src/rate-limit/redis-throttler.storage';
import { deleteKeys, describeWithRedis, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import { TcpProxy } from './support/tcp-proxy';
import { countWindows, redisClient } from './support/throttler-harness';

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

describeWithRedis('RedisThrottlerStorage on a real Redis (e2e)', () => {
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
      await expect(countWindows(store, windows('acme', 2, 10))).resolves.toEqual(
        i < 2
          ? undefined
          : {
              index: 0,
              record: { totalHits: 3, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 },
            },
      );
    }
    const keys = (await raw.keys(`${prefix}*`)).sort();
    // The block ended the second's window: the first call after the block starts a new one.
    expect(keys).toEqual(
      ['{minute:acme:minute}:hits', '{second:acme:second}:blocked'].map((name) => prefix + name),
    );
    // The refused call was not counted in the minute window.
    expect(await raw.get(`${prefix}{minute:acme:minute}:hits`)).toBe('2');
    expect(await raw.get(`${prefix}{second:acme:second}:blocked`)).toBe('3');
    for (const key of keys) {
      const ttl = await raw.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(key.includes('minute') ? 60_000 : 1_000);
    }
  });

  it('refuses while a block key from an older version stands, and counts on from it', async () => {
    const store = await storage();
    // What the @nest-lab script of earlier versions left: a block key holding 1, hits still counted.
    await raw.set(`${prefix}{second:acme:second}:blocked`, '1', 'PX', 800);
    await raw.set(`${prefix}{second:acme:second}:hits`, '7', 'PX', 800);
    await expect(countWindows(store, windows('acme', 2, 10))).resolves.toEqual({
      index: 0,
      record: { totalHits: 2, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 },
    });
    await sleep(1_000);
    await expect(countWindows(store, windows('acme', 2, 10))).resolves.toBeUndefined();
  });

  it('counts a sustained overload as the memory store does: each block ends with a new window', async () => {
    const redisStore = await storage();
    const memoryStore = new MemoryThrottlerStorage();
    // 2 per second; one call at 0 ms, two at 600 ms (the second blocked until 1,600 ms), two
    // refused at 1,200 ms, and at 1,900 ms a new window: two allowed, the third blocked again.
    const schedule: [atMs: number, calls: number][] = [
      [0, 1],
      [600, 2],
      [1_200, 2],
      [1_900, 3],
    ];
    const allowed = { redis: [] as boolean[], memory: [] as boolean[] };
    const started = performance.now();
    for (const [atMs, calls] of schedule) {
      await sleep(Math.max(0, started + atMs - performance.now()));
      for (let i = 0; i < calls; i += 1) {
        const [second] = windows('acme', 2, 1_000);
        allowed.redis.push((await countWindows(redisStore, [second])) === undefined);
        allowed.memory.push(!(await countWindows(memoryStore, [second]))?.record.isBlocked);
      }
    }
    expect(allowed.memory).toEqual([true, true, false, false, false, true, true, false]);
    expect(allowed.redis).toEqual(allowed.memory);
  });

  it('fails closed with StoreUnavailableError when Redis goes away', async () => {
    const url = new URL(TEST_REDIS_URL);
    const proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port || 6379) });
    try {
      const store = await storage(proxy.port);
      await expect(countWindows(store, windows('acme', 5, 5))).resolves.toBeUndefined();
      await proxy.cut();
      await expect(countWindows(store, windows('acme', 5, 5))).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    } finally {
      await proxy.close();
    }
  });
});
