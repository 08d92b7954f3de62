import { MemoryIdempotencyStore } from './memory-idempotency.store';

const response = (body: string) => ({
  status: 202,
  headers: { 'content-type': 'application/json' },
  body,
});

describe('MemoryIdempotencyStore', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 0;
  });

  it('starts a key once, then reports it in flight, then replays its answer', async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    await expect(store.begin('k', 'f1', 1_000)).resolves.toEqual({ kind: 'started' });
    await expect(store.begin('k', 'f1', 1_000)).resolves.toEqual({ kind: 'in_flight' });
    await store.complete('k', response('{"a":1}'), 60_000);
    await expect(store.begin('k', 'f1', 1_000)).resolves.toEqual({
      kind: 'replay',
      response: response('{"a":1}'),
    });
  });

  it('refuses the same key with another fingerprint, in flight or done', async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    await store.begin('k', 'f1', 1_000);
    await expect(store.begin('k', 'f2', 1_000)).resolves.toEqual({ kind: 'mismatch' });
    await store.complete('k', response('x'), 60_000);
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
    await store.begin('k', 'f', 1_000);
    await store.release('k');
    await expect(store.begin('k', 'f', 1_000)).resolves.toEqual({ kind: 'started' });
    now = 1_000;
    await expect(store.begin('k', 'f', 1_000)).resolves.toEqual({ kind: 'started' });
  });

  it('expires records after their time to live', async () => {
    const store = new MemoryIdempotencyStore(10, clock);
    await store.begin('k', 'f', 1_000);
    await store.complete('k', response('x'), 5_000);
    now = 4_999;
    await expect(store.begin('k', 'f', 1_000)).resolves.toMatchObject({ kind: 'replay' });
    now = 5_000;
    await expect(store.begin('k', 'f', 1_000)).resolves.toEqual({ kind: 'started' });
  });

  it('stays within maxEntries, evicting the oldest first', async () => {
    const store = new MemoryIdempotencyStore(3, clock);
    for (const key of ['a', 'b', 'c', 'd']) {
      await store.begin(key, 'f', 1_000);
      await store.complete(key, response(key), 60_000);
    }
    expect(store.size).toBe(3);
    await expect(store.begin('a', 'f', 1_000)).resolves.toEqual({ kind: 'started' });
    await expect(store.begin('d', 'f', 1_000)).resolves.toMatchObject({ kind: 'replay' });
  });

  it('does not grow with expired records', async () => {
    const store = new MemoryIdempotencyStore(1_000, clock);
    for (let i = 0; i < 100; i += 1) {
      await store.begin(`k${i}`, 'f', 10);
      await store.complete(`k${i}`, response('x'), 10);
      now += 20;
    }
    expect(store.size).toBe(1);
  });
});
