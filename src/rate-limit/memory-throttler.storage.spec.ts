import { MemoryThrottlerStorage } from './memory-throttler.storage';

describe('MemoryThrottlerStorage', () => {
  let now = 0;
  const storage = () => new MemoryThrottlerStorage(() => now);
  beforeEach(() => {
    now = 1_000_000;
  });

  it('counts hits in a fixed window that starts with the first hit', async () => {
    const store = storage();
    const first = await store.increment('second:acme', 1_000, 2, 1_000, 'second');
    expect(first).toEqual({
      totalHits: 1,
      timeToExpire: 1,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    now += 400;
    await expect(store.increment('second:acme', 1_000, 2, 1_000, 'second')).resolves.toMatchObject({
      totalHits: 2,
      isBlocked: false,
    });
    now += 600;
    await expect(store.increment('second:acme', 1_000, 2, 1_000, 'second')).resolves.toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('blocks past the limit for blockDuration, then starts a new window', async () => {
    const store = storage();
    for (let i = 0; i < 3; i += 1)
      await store.increment('minute:acme', 60_000, 3, 60_000, 'minute');
    const refused = await store.increment('minute:acme', 60_000, 3, 60_000, 'minute');
    expect(refused).toMatchObject({ totalHits: 4, isBlocked: true, timeToBlockExpire: 60 });
    now += 59_500;
    await expect(
      store.increment('minute:acme', 60_000, 3, 60_000, 'minute'),
    ).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
    now += 500;
    await expect(store.increment('minute:acme', 60_000, 3, 60_000, 'minute')).resolves.toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });

  it('keeps keys and windows apart', async () => {
    const store = storage();
    await store.increment('second:acme', 1_000, 1, 1_000, 'second');
    await expect(store.increment('second:acme', 1_000, 1, 1_000, 'second')).resolves.toMatchObject({
      isBlocked: true,
    });
    await expect(
      store.increment('second:globex', 1_000, 1, 1_000, 'second'),
    ).resolves.toMatchObject({ isBlocked: false });
    await expect(
      store.increment('second:acme', 60_000, 5, 60_000, 'minute'),
    ).resolves.toMatchObject({
      isBlocked: false,
    });
  });
});
