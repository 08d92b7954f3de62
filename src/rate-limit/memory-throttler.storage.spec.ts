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

describe('MemoryThrottlerStorage.incrementWindows', () => {
  let now = 0;
  const windows = (second: number, minute: number) => [
    {
      key: 'second:acme',
      ttl: 1_000,
      limit: second,
      blockDuration: 1_000,
      throttlerName: 'second',
    },
    {
      key: 'minute:acme',
      ttl: 60_000,
      limit: minute,
      blockDuration: 60_000,
      throttlerName: 'minute',
    },
  ];
  beforeEach(() => {
    now = 1_000_000;
  });

  it('counts each window as increment does, and stops at the first blocked one', async () => {
    const store = new MemoryThrottlerStorage(() => now);
    const twin = new MemoryThrottlerStorage(() => now);
    const outcomes: unknown[] = [];
    for (let i = 0; i < 4; i += 1) outcomes.push(await store.incrementWindows(windows(2, 10)));
    expect(outcomes).toEqual([
      undefined,
      undefined,
      {
        index: 0,
        record: { totalHits: 3, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 },
      },
      {
        index: 0,
        record: { totalHits: 4, timeToExpire: 1, isBlocked: true, timeToBlockExpire: 1 },
      },
    ]);
    // The minute window saw only the two calls that got past the second window.
    await expect(store.increment('minute:acme', 60_000, 10, 60_000, 'minute')).resolves.toEqual(
      await (async () => {
        await twin.increment('minute:acme', 60_000, 10, 60_000, 'minute');
        await twin.increment('minute:acme', 60_000, 10, 60_000, 'minute');
        return twin.increment('minute:acme', 60_000, 10, 60_000, 'minute');
      })(),
    );
  });

  it('answers the later window when it is the one blocked, after counting both', async () => {
    const store = new MemoryThrottlerStorage(() => now);
    await store.incrementWindows(windows(5, 1));
    now += 1_000;
    await expect(store.incrementWindows(windows(5, 1))).resolves.toEqual({
      index: 1,
      record: { totalHits: 2, timeToExpire: 59, isBlocked: true, timeToBlockExpire: 60 },
    });
    await expect(store.increment('second:acme', 1_000, 5, 1_000, 'second')).resolves.toMatchObject({
      totalHits: 2,
    });
  });

  it('counts nothing for no window', async () => {
    const store = new MemoryThrottlerStorage(() => now);
    await expect(store.incrementWindows([])).resolves.toBeUndefined();
  });
});
