import type { IdempotencyLock } from './idempotency-store.interface';
import { MemoryIdempotencyStore } from './memory-idempotency.store';

const response = (body: string) => ({
  status: 202,
  headers: { 'content-type': 'application/json' },
  body,
});

async function start(
  store: MemoryIdempotencyStore,
  key: string,
  fingerprint = 'f',
  lockTtlMs = 1_000,
): Promise<IdempotencyLock> {
  const begun = await store.begin(key, fingerprint, lockTtlMs);
  if (begun.kind !== 'started') throw new Error(`expected to start ${key}, got ${begun.kind}`);
  return begun.lock;
}

describe('MemoryIdempotencyStore', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 0;
  });

  it('starts a key once, then reports it in flight, then replays its answer', async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    const lock = await start(store, 'k', 'f1');
    await expect(store.begin('k', 'f1', 1_000)).resolves.toEqual({ kind: 'in_flight' });
    await store.complete(lock, response('{"a":1}'), 60_000);
    await expect(store.begin('k', 'f1', 1_000)).resolves.toEqual({
      kind: 'replay',
      response: response('{"a":1}'),
    });
  });

  it('refuses the same key with another fingerprint, in flight or done', async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    const lock = await start(store, 'k', 'f1');
    await expect(store.begin('k', 'f2', 1_000)).resolves.toEqual({ kind: 'mismatch' });
    await store.complete(lock, response('x'), 60_000);
    await expect(store.begin('k', 'f2', 1_000)).resolves.toEqual({ kind: 'mismatch' });
  });

  it('gives exactly one of many concurrent begins the key', async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => store.begin('k', 'f', 1_000)),
    );
    expect(results.filter((r) => r.kind === 'started')).toHaveLength(1);
  });

  it('forgets a released key, and an in-flight lock that outlived its time', async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    await store.release(await start(store, 'k'));
    await start(store, 'k');
    now = 1_000;
    await start(store, 'k');
  });

  it("ignores a stale holder: an expired lock's owner can neither complete nor release the new one", async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    const stale = await start(store, 'k');
    now = 1_000;
    const current = await start(store, 'k');
    await store.release(stale);
    await expect(store.complete(stale, response('stale'), 60_000)).resolves.toBe(false);
    await expect(store.begin('k', 'f', 1_000)).resolves.toEqual({ kind: 'in_flight' });
    await store.complete(current, response('current'), 60_000);
    await expect(store.begin('k', 'f', 1_000)).resolves.toEqual({
      kind: 'replay',
      response: response('current'),
    });
  });

  it('never lets a release undo a recorded answer (a late release after a slow complete)', async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    const lock = await start(store, 'k');
    await expect(store.complete(lock, response('done'), 60_000)).resolves.toBe(true);
    await store.release(lock);
    await expect(store.begin('k', 'f', 1_000)).resolves.toEqual({
      kind: 'replay',
      response: response('done'),
    });
  });

  it('records an answer even when its lock was dropped meanwhile', async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    const lock = await start(store, 'k', 'f1', 10);
    now = 20;
    await store.complete(lock, response('late'), 60_000);
    await expect(store.begin('k', 'f1', 1_000)).resolves.toMatchObject({ kind: 'replay' });
    await expect(store.begin('k', 'f2', 1_000)).resolves.toEqual({ kind: 'mismatch' });
  });

  it('expires records after their time to live', async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    await store.complete(await start(store, 'k'), response('x'), 5_000);
    now = 4_999;
    await expect(store.begin('k', 'f', 1_000)).resolves.toMatchObject({ kind: 'replay' });
    now = 5_000;
    await expect(store.begin('k', 'f', 1_000)).resolves.toMatchObject({ kind: 'started' });
  });

  it('stays within maxEntries, evicting the oldest finished record first', async () => {
    const store = new MemoryIdempotencyStore(3, clock);
    for (const key of ['a', 'b', 'c', 'd'])
      await store.complete(await start(store, key), response(key), 60_000);
    expect(store.size).toBe(3);
    await expect(store.begin('a', 'f', 1_000)).resolves.toMatchObject({ kind: 'started' });
    await expect(store.begin('d', 'f', 1_000)).resolves.toMatchObject({ kind: 'replay' });
  });

  it('never evicts a key in flight: a second request with it is still refused', async () => {
    const store = new MemoryIdempotencyStore(2, clock);
    await start(store, 'inflight');
    for (const key of ['x1', 'x2', 'x3'])
      await store.complete(await start(store, key), response(key), 60_000);
    await expect(store.begin('inflight', 'f', 1_000)).resolves.toEqual({ kind: 'in_flight' });
  });

  it('does not grow with expired records', async () => {
    const store = new MemoryIdempotencyStore(1_000, clock);
    for (let i = 0; i < 100; i += 1) {
      await store.complete(await start(store, `k${i}`, 'f', 10), response('x'), 10);
      now += 20;
    }
    expect(store.size).toBe(1);
  });
});
