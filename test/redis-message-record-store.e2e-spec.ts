import Redis from 'ioredis';
import { RedisMessageRecordStore } from '../src/message-records/redis-message-record.store';
import { StoreUnavailableError } from '../src/redis/store-unavailable.error';
import { outboundRecord as record } from './support/message-record.fixture';
import { messageRecordStoreContract } from './support/message-record-store.contract';
import { describeWithRedis, TEST_REDIS_URL, useRedisReplicas } from './support/redis';

describeWithRedis('RedisMessageRecordStore on a real Redis (e2e)', () => {
  const replicas = useRedisReplicas();
  const replica = async (ttlMs = 60_000, options: { unreachable?: boolean } = {}) =>
    new RedisMessageRecordStore(await replicas.connect(options), ttlMs);

  describe('the store contract', () => {
    let store: RedisMessageRecordStore;
    beforeEach(async () => {
      store = await replica();
    });
    messageRecordStoreContract(() => store);
  });

  it('applies every one of many concurrent events from two replicas, forward only', async () => {
    const [a, b] = [await replica(), await replica()];
    await a.save(record());
    const at = (s: number) => `2026-12-02T10:00:${String(s).padStart(2, '0')}.000Z`;
    const updates = [
      { status: 'sent' as const, sentAt: at(1), at: at(1) },
      { status: 'delivered' as const, deliveredAt: at(2), at: at(2) },
      { status: 'read' as const, readAt: at(3), at: at(3) },
      { protocol: 'imessage', at: at(1) },
      { status: 'queued' as const, at: at(4) },
    ];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).update('acme', 'msg_1', updates[i % updates.length]),
      ),
    );
    await expect(b.find('acme', 'msg_1')).resolves.toMatchObject({
      status: 'read',
      protocol: 'imessage',
      sentAt: at(1),
      deliveredAt: at(2),
      readAt: at(3),
      // the late `queued` changed nothing, so it is not an update
      updatedAt: at(3),
    });
  });

  it('expires a record and its holder entry after the retention, counted from the first write', async () => {
    const store = await replica(300);
    await store.save(record());
    await store.update('acme', 'msg_1', { status: 'sent', at: '2026-12-02T10:00:01.000Z' });
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keys = (await redis.keys(`${replicas.prefix()}*`)).sort();
      expect(keys).toEqual([
        `${replicas.prefix()}msg:acme:msg_1`,
        `${replicas.prefix()}msgby:key-a:msg_1`,
      ]);
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(300);
      }
    } finally {
      redis.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    await expect(store.find('acme', 'msg_1')).resolves.toBeUndefined();
    await expect(store.holders('key-a', 'msg_1')).resolves.toEqual([]);
  });

  it('refuses key parts that could address another key', async () => {
    const store = await replica();
    await expect(store.find('acme:x', 'msg_1')).rejects.toThrow(TypeError);
    await expect(store.save(record({ messageId: 'a:b' }))).rejects.toThrow(TypeError);
  });

  it('fails with StoreUnavailableError when Redis does not answer', async () => {
    const store = await replica(60_000, { unreachable: true });
    await expect(store.find('acme', 'msg_1')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.save(record())).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('answers an unreadable record as a store failure, not as a record', async () => {
    const store = await replica();
    const redis = new Redis(TEST_REDIS_URL, { keyPrefix: replicas.prefix() });
    try {
      await redis.set('msg:acme:msg_1', '{"not":"a record"}');
    } finally {
      redis.disconnect();
    }
    await expect(store.find('acme', 'msg_1')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
