import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { storeCall } from '../redis/store-unavailable.error';
import type { ThrottlerStorageRecord } from './throttler-storage-record';

/**
 * The memory store's fixed window (memory-throttler.storage.ts), atomic in Redis. KEYS are the
 * window's hit and block keys, ARGV its ttl, limit and blockDuration (ms).
 * - While the window is blocked, a hit is refused and counted on the block key, not in the window.
 * - The hit past the limit blocks the window for blockDuration and ends its count: the first hit
 *   after the block starts a new window. (@nest-lab/throttler-storage-redis's script, which this
 *   replaced, kept counting into a new window during the block, so a tenant slightly over its limit
 *   was blocked again as each block ended and got almost nothing through.)
 * Answers {1 when blocked, else 0; totalHits, timeToExpire and timeToBlockExpire (ms)}.
 * Block keys written as '1' by the older script count on from there.
 */
const INCREMENT = `
local hitKey = KEYS[1]
local blockKey = KEYS[2]
local ttl = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local blockDuration = tonumber(ARGV[3])

local timeToBlockExpire = redis.call('PTTL', blockKey)
if timeToBlockExpire > 0 then
  return { 1, redis.call('INCR', blockKey), timeToBlockExpire, timeToBlockExpire }
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
  return { 1, totalHits, timeToExpire, blockDuration }
end
return { 0, totalHits, timeToExpire, 0 }`;

interface IncrementCommand {
  bgwThrottlerIncrement(
    hitKey: string,
    blockKey: string,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): Promise<unknown>;
}

/**
 * Rate-limit counters in Redis, shared by every replica: one atomic Lua script per window. A fixed
 * window that starts with a tenant's first call in it, counted as the memory store counts. When
 * Redis does not answer, the call fails closed: 503 store_unavailable, never unlimited. Key names
 * are those of @nest-lab/throttler-storage-redis, which earlier versions used, so that replicas of
 * both share counters during a rolling deploy.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly commands: IncrementCommand;

  constructor(redis: Redis) {
    // defineCommand, not a hand-made EVALSHA: ioredis sends the script once per connection (and on
    // NOSCRIPT), its hash otherwise, as the idempotency store's scripts do.
    redis.defineCommand('bgwThrottlerIncrement', { numberOfKeys: 2, lua: INCREMENT });
    this.commands = redis as unknown as IncrementCommand;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const id = `{${key}:${throttlerName}}`;
    return storeCall(async () =>
      parseAnswer(
        await this.commands.bgwThrottlerIncrement(
          `${id}:hits`,
          `${id}:blocked`,
          ttl,
          limit,
          blockDuration,
        ),
      ),
    );
  }
}

/** A wrong shape throws, and the call fails closed. */
function parseAnswer(answer: unknown): ThrottlerStorageRecord {
  if (!Array.isArray(answer) || answer.length !== 4) {
    throw new TypeError(`Expected a list of 4 numbers, got ${JSON.stringify(answer)}`);
  }
  const [blocked, totalHits, timeToExpire, timeToBlockExpire] = answer as unknown[];
  if (blocked !== 0 && blocked !== 1) {
    throw new TypeError(`Expected 0 or 1 for blocked, got ${JSON.stringify(answer)}`);
  }
  if (typeof totalHits !== 'number') throw new TypeError('Expected totalHits to be a number');
  if (typeof timeToExpire !== 'number') throw new TypeError('Expected timeToExpire to be a number');
  if (typeof timeToBlockExpire !== 'number') {
    throw new TypeError('Expected timeToBlockExpire to be a number');
  }
  return {
    totalHits,
    timeToExpire: Math.ceil(timeToExpire / 1000),
    isBlocked: blocked === 1,
    timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000),
  };
}
