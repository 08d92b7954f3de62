import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import type { IdempotencyLock } from '../src/idempotency/idempotency-store.interface';
import { RedisIdempotencyStore } from '../src/idempotency/redis-idempotency.store';
import { StoreUnavailableError } from '../src/redis/store-unavailable.error';
import { deleteKeys, describeWithRedis, TEST_REDIS_URL, uniqueKeyPrefix } from './support/redis';
import { TcpProxy } from './support/tcp-proxy';

const response = (body: string) => ({
  status: 202,
  headers: { 'content-type': 'application/json' },
  body,
});

describeWithRedis('RedisIdempotencyStore on a real Redis (e2e)', () => {
  let prefix: string;
  const clients: Redis[] = [];

  /** A store on its own, connected, connection, as each replica has. */
  async function replicaStore(
    options: { port?: number; commandTimeout?: number; unreachable?: boolean } = {},
  ): Promise<RedisIdempotencyStore> {
    const url = new URL(TEST_REDIS_URL);
    const client = new Redis({
      host: url.hostname,
      port: options.port ?? Number(url.port || 6379),
      keyPrefix: prefix,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: options.unreachable,
      retryStrategy: () => null,
      commandTimeout: options.commandTimeout,
    });
    client.on('error', () => undefined);
    clients.push(client);
    if (!options.unreachable) await new Promise((resolve) => client.once('ready', resolve));
    return new RedisIdempotencyStore(client);
  }

  async function start(store: RedisIdempotencyStore, key: string, ttlMs = 5_000) {
    const begun = await store.begin(key, 'f', ttlMs);
    if (begun.kind !== 'started') throw new Error(`expected to start ${key}, got ${begun.kind}`);
    return begun.lock;
  }

  beforeEach(() => {
    prefix = uniqueKeyPrefix();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await deleteKeys(prefix);
  });

  it('gives exactly one of many concurrent begins from two replicas the key', async () => {
    const [a, b] = [await replicaStore(), await replicaStore()];
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).begin('acme:k', 'f', 5_000)),
    );
    expect(results.filter((r) => r.kind === 'started')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'in_flight')).toHaveLength(59);
  });

  it('replays the answer recorded by one replica on another, and refuses another fingerprint', async () => {
    const [a, b] = [await replicaStore(), await replicaStore()];
    const lock = await start(a, 'acme:k');
    await expect(a.complete(lock, response('{"a":1}'), 60_000)).resolves.toBe(true);
    await expect(b.begin('acme:k', 'f', 5_000)).resolves.toEqual({
      kind: 'replay',
      response: response('{"a":1}'),
    });
    await expect(b.begin('acme:k', 'other', 5_000)).resolves.toEqual({ kind: 'mismatch' });
  });

  it("frees a dead replica's lock after its TTL; its late complete and release change nothing", async () => {
    const [dead, survivor] = [await replicaStore(), await replicaStore()];
    const stale: IdempotencyLock = await start(dead, 'acme:k', 150);
    await expect(survivor.begin('acme:k', 'f', 5_000)).resolves.toEqual({ kind: 'in_flight' });
    await sleep(250);
    const current = await start(survivor, 'acme:k');
    await dead.release(stale);
    await expect(dead.complete(stale, response('stale'), 60_000)).resolves.toBe(false);
    await expect(survivor.begin('acme:k', 'f', 5_000)).resolves.toEqual({ kind: 'in_flight' });
    await survivor.complete(current, response('current'), 60_000);
    await expect(dead.begin('acme:k', 'f', 5_000)).resolves.toMatchObject({
      response: response('current'),
    });
  });

  it('never lets a late release undo a recorded answer', async () => {
    const store = await replicaStore();
    const lock = await start(store, 'acme:k');
    await store.complete(lock, response('done'), 60_000);
    await store.release(lock);
    await expect(store.begin('acme:k', 'f', 5_000)).resolves.toMatchObject({ kind: 'replay' });
  });

  it('frees a released key, and expires a finished record after its TTL', async () => {
    const store = await replicaStore();
    await store.release(await start(store, 'acme:k'));
    const lock = await start(store, 'acme:k');
    await store.complete(lock, response('x'), 150);
    await sleep(250);
    await start(store, 'acme:k');
  });

  it('frees the key when a begin times out here but still runs on Redis', async () => {
    const url = new URL(TEST_REDIS_URL);
    const proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port || 6379) });
    try {
      const slow = await replicaStore({ port: proxy.port, commandTimeout: 200 });
      await slow.begin('acme:warm', 'f', 5_000); // connected, scripts loaded
      proxy.holdReplies(); // Redis runs the begin and takes the key; its answer comes too late
      await expect(slow.begin('acme:k', 'f', 5_000)).rejects.toBeInstanceOf(StoreUnavailableError);
      proxy.resume();
      await sleep(100);
      // The caller was told to retry in a second: the retry must find the key free, not in flight.
      await start(await replicaStore(), 'acme:k');
    } finally {
      await proxy.close();
    }
  });

  it('answers StoreUnavailableError for an unreadable record and when Redis is unreachable', async () => {
    const store = await replicaStore();
    const raw = new Redis(TEST_REDIS_URL);
    clients.push(raw);
    await raw.hset(`${prefix}idem:acme:bad`, 'fp', 'f', 'token', 't', 'response', 'not json{');
    await expect(store.begin('acme:bad', 'f', 5_000)).rejects.toBeInstanceOf(StoreUnavailableError);

    const unreachable = await replicaStore({ port: 1, unreachable: true });
    await expect(unreachable.begin('acme:k', 'f', 5_000)).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });
});
