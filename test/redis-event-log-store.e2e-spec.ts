import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { RedisEventLogStore } from '../src/events/redis-event-log.store';
import { StoreUnavailableError } from '../src/redis/store-unavailable.error';
import { deliveredEvent, eventId, eventLogStoreContract } from './support/event-log-store.contract';
import {
  deleteKeys,
  describeWithRedis,
  replicaConnection,
  TEST_REDIS_URL,
  uniqueKeyPrefix,
} from './support/redis';

const CONTRACT_NOW = Date.parse('2026-12-02T10:00:30.000Z');

describeWithRedis('RedisEventLogStore on a real Redis (e2e)', () => {
  let prefix = uniqueKeyPrefix();
  const clients: Redis[] = [];

  async function replica(
    ttlMs = 86_400_000,
    now: () => number = () => CONTRACT_NOW,
    options: { unreachable?: boolean } = {},
  ): Promise<RedisEventLogStore> {
    const client = await replicaConnection(prefix, options);
    clients.push(client);
    return new RedisEventLogStore(client, ttlMs, now);
  }

  beforeEach(() => {
    prefix = uniqueKeyPrefix();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await deleteKeys(prefix);
  });

  describe('the store contract', () => {
    let store: RedisEventLogStore;
    beforeEach(async () => {
      store = await replica();
    });
    eventLogStoreContract(() => store);
  });

  it('records one event once when two replicas receive it at the same time', async () => {
    const [a, b] = [await replica(), await replica()];
    const T0 = Date.parse('2026-12-02T10:00:00.000Z');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).insert(deliveredEvent('x'), T0 + (i % 3)),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const page = await a.list('acme', { limit: 100 });
    expect(page.data.map((e) => e.id)).toEqual([eventId('x')]);
  });

  it('keeps events for the retention only: expiring keys, trimmed logs, pages without them', async () => {
    const base = Date.now();
    let now = base;
    const store = await replica(1_000, () => now);
    await store.insert(deliveredEvent('old'), base);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keys = (await redis.keys(`${prefix}*`)).sort();
      expect(keys).toEqual(
        [
          `evt:acme:${eventId('old')}`,
          'evtlog:acme',
          'evtlog:acme:m:msg_1',
          'evtlog:acme:t:message.delivered',
        ].map((key) => prefix + key),
      );
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(1_000);
      }
      // Past the old event's retention (waiting longer only makes it more so).
      await sleep(1_100);
      now = base + 1_100;
      await store.insert(deliveredEvent('new'), now);
      await expect(store.list('acme', { limit: 10 })).resolves.toEqual({
        data: [deliveredEvent('new')],
      });
      await expect(store.get('acme', eventId('old'))).resolves.toBeUndefined();
      // The insert trimmed the old position from the log and its indexes.
      expect(await redis.zrange(`${prefix}evtlog:acme`, 0, -1)).toHaveLength(1);
      expect(await redis.zrange(`${prefix}evtlog:acme:m:msg_1`, 0, -1)).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });

  it('fails with StoreUnavailableError when Redis does not answer', async () => {
    const store = await replica(1_000, Date.now, { unreachable: true });
    await expect(store.insert(deliveredEvent('a'), Date.now())).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    await expect(store.list('acme', { limit: 1 })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.get('acme', eventId('a'))).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
