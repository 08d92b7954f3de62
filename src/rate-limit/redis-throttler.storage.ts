import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { storeCall } from '../redis/store-unavailable.error';
import type {
  BlockedWindow,
  ThrottlerWindowsStorage,
  WindowHit,
} from './throttler-windows-storage.interface';

/**
 * @nest-lab's script (MIT, after wyattjoh/rate-limit-redis) once per window, in one call: KEYS
 * are the hit and block keys of each window, ARGV its ttl, limit and blockDuration. Stops at the first blocked window and answers its
 * position (1-based) and record; answers an empty list when no window is blocked.
 * Not for Redis Cluster: the windows' keys hash to different slots (their names are @nest-lab's).
 */
const INCREMENT_WINDOWS = `
for i = 1, #KEYS / 2 do
  local hitKey = KEYS[2 * i - 1]
  local blockKey = KEYS[2 * i]
  local ttl = tonumber(ARGV[3 * i - 2])
  local limit = tonumber(ARGV[3 * i - 1])
  local blockDuration = tonumber(ARGV[3 * i])

  local totalHits = redis.call('INCR', hitKey)
  local timeToExpire = redis.call('PTTL', hitKey)
  if timeToExpire <= 0 then
    redis.call('PEXPIRE', hitKey, ttl)
    timeToExpire = ttl
  end

  local isBlocked = redis.call('GET', blockKey)
  local timeToBlockExpire = 0
  if isBlocked then
    timeToBlockExpire = redis.call('PTTL', blockKey)
  elseif totalHits > limit then
    redis.call('SET', blockKey, 1, 'PX', blockDuration)
    isBlocked = '1'
    timeToBlockExpire = blockDuration
  end

  if isBlocked and timeToBlockExpire <= 0 then
    redis.call('DEL', blockKey)
    redis.call('SET', hitKey, 1, 'PX', ttl)
    totalHits = 1
    timeToExpire = ttl
    isBlocked = false
  end

  if isBlocked then
    return { i, totalHits, timeToExpire, timeToBlockExpire }
  end
end
return {}`;

interface WindowsCommand {
  /** numberOfKeys, then the keys, then the arguments (the key count varies with the windows). */
  bgwThrottlerIncrementWindows(
    numberOfKeys: number,
    ...keysAndArgs: (string | number)[]
  ): Promise<unknown>;
}

/**
 * Rate-limit counters in Redis, shared by every replica (one atomic Lua script per hit, from
 * @nest-lab/throttler-storage-redis; incrementWindows runs it for all of a request's windows in
 * one call). A fixed window that starts with a tenant's first call in it.
 * When Redis does not answer, the call fails closed: 503 store_unavailable, never unlimited.
 */
export class RedisThrottlerStorage
  extends ThrottlerStorageRedisService
  implements ThrottlerWindowsStorage
{
  private readonly commands: WindowsCommand;

  constructor(redis: Redis) {
    super(redis);
    // defineCommand, not a hand-made EVALSHA: ioredis sends the script once per connection (and on
    // NOSCRIPT), its hash otherwise, as the idempotency store's scripts do.
    redis.defineCommand('bgwThrottlerIncrementWindows', { lua: INCREMENT_WINDOWS });
    this.commands = redis as unknown as WindowsCommand;
  }

  override increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ReturnType<ThrottlerStorage['increment']> {
    return storeCall(() => super.increment(key, ttl, limit, blockDuration, throttlerName));
  }

  /** The same keys as increment, so replicas still on increment share these counters. */
  incrementWindows(windows: readonly WindowHit[]): Promise<BlockedWindow | undefined> {
    if (windows.length === 0) return Promise.resolve(undefined);
    const keys: string[] = [];
    const args: number[] = [];
    for (const { key, ttl, limit, blockDuration, throttlerName } of windows) {
      keys.push(`{${key}:${throttlerName}}:hits`, `{${key}:${throttlerName}}:blocked`);
      args.push(ttl, limit, blockDuration);
    }
    return storeCall(async () =>
      blockedWindow(
        await this.commands.bgwThrottlerIncrementWindows(keys.length, ...keys, ...args),
        windows.length,
      ),
    );
  }
}

/** Checked as @nest-lab checks its own answer: a wrong shape throws (and fails closed). */
function blockedWindow(result: unknown, windows: number): BlockedWindow | undefined {
  if (!Array.isArray(result)) {
    throw new TypeError(`Expected result to be array of values, got ${String(result)}`);
  }
  if (result.length === 0) return undefined;
  const [window, totalHits, timeToExpire, timeToBlockExpire] = result as unknown[];
  if (
    result.length !== 4 ||
    typeof window !== 'number' ||
    !Number.isInteger(window) ||
    window < 1 ||
    window > windows
  ) {
    throw new TypeError(`Expected a window from 1 to ${windows}, got ${JSON.stringify(result)}`);
  }
  if (typeof totalHits !== 'number') throw new TypeError('Expected totalHits to be a number');
  if (typeof timeToExpire !== 'number') throw new TypeError('Expected timeToExpire to be a number');
  if (typeof timeToBlockExpire !== 'number') {
    throw new TypeError('Expected timeToBlockExpire to be a number');
  }
  return {
    index: window - 1,
    record: {
      totalHits,
      timeToExpire: Math.ceil(timeToExpire / 1000),
      isBlocked: true,
      timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000),
    },
  };
}
