import Redis from 'ioredis';
import { StoreUnavailableError } from '../redis/store-unavailable.error';
import { RedisThrottlerStorage } from './redis-throttler.storage';

const WINDOWS = [
  { key: 'second:acme', ttl: 1_000, limit: 3, blockDuration: 1_000, throttlerName: 'second' },
  { key: 'minute:acme', ttl: 60_000, limit: 10, blockDuration: 60_000, throttlerName: 'minute' },
];

describe('RedisThrottlerStorage.incrementWindows (Redis answers stubbed)', () => {
  let redis: Redis;
  let script: jest.Mock;
  let storage: RedisThrottlerStorage;

  beforeEach(() => {
    redis = new Redis({ lazyConnect: true, enableOfflineQueue: false });
    storage = new RedisThrottlerStorage(redis);
    script = jest.fn();
    Object.assign(redis, { bgwThrottlerIncrementWindows: script });
  });
  afterEach(() => redis.disconnect());

  it("sends every window in one script call, with @nest-lab's key names", async () => {
    script.mockResolvedValue([0, 1, 1_000, 0]);
    await expect(storage.incrementWindows(WINDOWS)).resolves.toBeUndefined();
    expect(script).toHaveBeenCalledTimes(1);
    expect(script).toHaveBeenCalledWith(
      4,
      '{second:acme:second}:hits',
      '{second:acme:second}:blocked',
      '{minute:acme:minute}:hits',
      '{minute:acme:minute}:blocked',
      1_000,
      3,
      1_000,
      60_000,
      10,
      60_000,
    );
  });

  it('answers the blocked window with its record in seconds, as increment does', async () => {
    script.mockResolvedValue([2, 11, 42_001, 59_999]);
    await expect(storage.incrementWindows(WINDOWS)).resolves.toEqual({
      index: 1,
      record: { totalHits: 11, timeToExpire: 43, isBlocked: true, timeToBlockExpire: 60 },
    });
  });

  it("answers the last window's record from increment when none is blocked", async () => {
    script.mockResolvedValue([0, 3, 801, 0]);
    await expect(storage.increment('second:acme', 1_000, 3, 1_000, 'second')).resolves.toEqual({
      totalHits: 3,
      timeToExpire: 1,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    expect(script).toHaveBeenCalledWith(
      2,
      '{second:acme:second}:hits',
      '{second:acme:second}:blocked',
      1_000,
      3,
      1_000,
    );
  });

  it.each([
    ['not a list', 'OK'],
    ['an empty list', []],
    ['a window out of range', [3, 1, 1, 1]],
    ['a negative window', [-1, 1, 1, 1]],
    ['too short a list', [1, 4, 1000]],
    ['a count that is not a number', [1, '4', 1000, 1000]],
    ['a time that is not a number', [1, 4, null, 1000]],
  ])('fails closed on an answer of the wrong shape: %s', async (_, answer) => {
    script.mockResolvedValue(answer);
    const error = await storage.incrementWindows(WINDOWS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).cause).toBeInstanceOf(TypeError);
  });

  it('fails closed when the client throws', async () => {
    script.mockRejectedValue(new Error('Connection is closed.'));
    await expect(storage.incrementWindows(WINDOWS)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('does not call Redis for no window', async () => {
    await expect(storage.incrementWindows([])).resolves.toBeUndefined();
    expect(script).not.toHaveBeenCalled();
  });
});
