import type Redis from 'ioredis';
import { storeCall } from '../redis/store-unavailable.error';
import type {
  BlockedWindow,
  ThrottlerStorageRecord,
  ThrottlerWindowsStorage,
  WindowHit,
} from './throttler-windows-storage.interface';

/**
 * The memory store's fixed window (memory-throttler.storage.ts), atomic in Redis, for every window
 * of a request in one call. KEYS are each window's hit and block keys, ARGV its ttl, limit and
 * blockDuration (ms).
 * - While a window is blocked, a hit is refused and counted on the block key, not in the window.
 * - The hit past the limit blocks the window for blockDuration and ends its count: the first hit
 *   after the block starts a new window. (@nest-lab/throttler-storage-redis's script, which this
 *   replaced, kept counting into a new window during the block, so a tenant slightly over its limit
 *   was blocked again as each block ended and got almost nothing through.)
 * Stops at the first blocked window. Answers {that window's position (1-based), or 0 when none is
 * blocked; its totalHits, timeToExpire and timeToBlockExpire (ms)}: the last window's when none is.
 * Block keys written as '1' by the older script count on from there.
 * Not for Redis Cluster: the windows' keys hash to different slots.
 */
const INCREMENT_WINDOWS = `
local answer = { 0, 0, 0, 0 }
for i = 1, #KEYS / 2 do
  local hitKey = KEYS[2 * i - 1]
  local blockKey = KEYS[2 * i]
  local ttl = tonumber(ARGV[3 * i - 2])
  local limit = tonumber(ARGV[3 * i - 1])
  local blockDuration = tonumber(ARGV[3 * i])

  local timeToBlockExpire = redis.call('PTTL', blockKey)
  if timeToBlockExpire > 0 then
    return { i, redis.call('INCR', blockKey), timeToBlockExpire, timeToBlockExpire }
  end

  local totalHits = redis.call('INCR', hitKey)
  local timeToExpire = redis.call('PTTL', hitKey)
  if timeToExpire <= 0 then
    redis.call('PEXPIRE', hitKey, ttl)
    timeToExpire = ttl
  end
  if totalHits > limit then
    redis.call('SET', blockKey, totalHits, 'PX', blockDuration)
    redis.call('DEL', hitKey)
    return { i, totalHits, timeToExpire, blockDuration }
  end
  answer = { 0, totalHits, timeToExpire, 0 }
end
return answer`;

interface WindowsCommand {
  /** numberOfKeys, then the keys, then the arguments (the key count varies with the windows). */
  bgwThrottlerIncrementWindows(
    numberOfKeys: number,
    ...keysAndArgs: (string | number)[]
  ): Promise<unknown>;
}

/**
 * Rate-limit counters in Redis, shared by every replica: one atomic Lua script per request, for all
 * its windows. A fixed window that starts with a tenant's first call in it, counted as the memory
 * store counts. When Redis does not answer, the call fails closed: 503 store_unavailable, never
 * unlimited. Key names are those of @nest-lab/throttler-storage-redis, which earlier versions used,
 * so that replicas of both share counters during a rolling deploy.
 */
export class RedisThrottlerStorage implements ThrottlerWindowsStorage {
  private readonly commands: WindowsCommand;

  constructor(redis: Redis) {
    // defineCommand, not a hand-made EVALSHA: ioredis sends the script once per connection (and on
    // NOSCRIPT), its hash otherwise, as the idempotency store's scripts do.
    redis.defineCommand('bgwThrottlerIncrementWindows', { lua: INCREMENT_WINDOWS });
    this.commands = redis as unknown as WindowsCommand;
  }

  /** ThrottlerStorage's one-window call (ThrottlerGuard's own path): the same script. */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const { record } = await this.run([{ key, ttl, limit, blockDuration, throttlerName }]);
    return record;
  }

  async incrementWindows(windows: readonly WindowHit[]): Promise<BlockedWindow | undefined> {
    if (windows.length === 0) return undefined;
    const answer = await this.run(windows);
    return answer.record.isBlocked ? answer : undefined;
  }

  private run(windows: readonly WindowHit[]): Promise<BlockedWindow> {
    const keys: string[] = [];
    const args: number[] = [];
    for (const { key, ttl, limit, blockDuration, throttlerName } of windows) {
      keys.push(`{${key}:${throttlerName}}:hits`, `{${key}:${throttlerName}}:blocked`);
      args.push(ttl, limit, blockDuration);
    }
    return storeCall(async () =>
      parseAnswer(
        await this.commands.bgwThrottlerIncrementWindows(keys.length, ...keys, ...args),
        windows.length,
      ),
    );
  }
}

/** A wrong shape throws, and the call fails closed. */
function parseAnswer(answer: unknown, windows: number): BlockedWindow {
  if (!Array.isArray(answer) || answer.length !== 4) {
    throw new TypeError(`Expected a list of 4 numbers, got ${JSON.stringify(answer)}`);
  }
  const [window, totalHits, timeToExpire, timeToBlockExpire] = answer as unknown[];
  if (typeof window !== 'number' || !Number.isInteger(window) || window < 0 || window > windows) {
    throw new TypeError(`Expected a window from 0 to ${windows}, got ${JSON.stringify(answer)}`);
  }
  if (typeof totalHits !== 'number') throw new TypeError('Expected totalHits to be a number');
  if (typeof timeToExpire !== 'number') throw new TypeError('Expected timeToExpire to be a number');
  if (typeof timeToBlockExpire !== 'number') {
    throw new TypeError('Expected timeToBlockExpire to be a number');
  }
  const blocked = window > 0;
  return {
    index: blocked ? window - 1 : windows - 1,
    record: {
      totalHits,
      timeToExpire: Math.ceil(timeToExpire / 1000),
      isBlocked: blocked,
      timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000),
    },
  };
}
