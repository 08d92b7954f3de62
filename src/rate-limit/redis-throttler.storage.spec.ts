import Redis from 'ioredis';
import { StoreUnavailableError } from '../redis/store-unavailable.error';
import { RedisThrottlerStorage } from './redis-throttler.storage';

describe('RedisThrottlerStorage.increment (Redis answers stubbed)', () => {
  let redis: Redis;
  let script: jest.Mock;
  let storage: RedisThrottlerStorage;
  const increment = () => storage.increment('second:acme', 1_000, 3, 1_000, 'second');

  beforeEach(() => {
    redis = new Redis({ lazyConnect: true, enableOfflineQueue: false });
    storage = new RedisThrottlerStorage(redis);
    script = jest.fn();
    Object.assign(redis, { bgwThrottlerIncrement: script });
  });
  afterEach(() => redis.disconnect());

  it("sends one script call with @nest-lab's key names, and answers its record in seconds", async () => {
    script.mockResolvedValue([0, 3, 801, 0]);
    await expect(increment()).resolves.toEqual({
      totalHits: 3,
      timeToExpire: 1,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    expect(script).toHaveBeenCalledTimes(1);
    expect(script).toHaveBeenCalledWith(
      '{second:acme:second}:hits',
      '{second:acme:second}:blocked',
      1_000,
      3,
      1_000,
    );
  });

  it('answers a blocked window with its block time', async () => {
    script.mockResolvedValue([1, 4, 42_001, 999]);
    await expect(increment()).resolves.toEqual({
      totalHits: 4,
      timeToExpire: 43,
      isBlocked: true,
      timeToBlockExpire: 1,
    });
  });

  it.each([
    ['not a list', 'OK'],
    ['an empty list', []],
    ['a blocked flag out of range', [2, 1, 1, 1]],
    ['a negative blocked flag', [-1, 1, 1, 1]],
    ['too short a list', [1, 4, 1000]],
    ['a count that is not a number', [1, '4', 1000, 1000]],
    ['a time that is not a number', [1, 4, null, 1000]],
  ])('fails closed on an answer of the wrong shape: %s', async (_, answer) => {
    script.mockResolvedValue(answer);
    const error = await increment().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).cause).toBeInstanceOf(TypeError);
  });

  it('fails closed when the client throws', async () => {
    script.mockRejectedValue(new Error('Connection is closed.'));
    await expect(increment()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
