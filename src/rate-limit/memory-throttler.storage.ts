import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from './throttler-storage-record';

interface Window {
  hits: number;
  /** When this window's count starts again from zero (ms epoch). */
  resetsAt: number;
  /** While blocked: when the block ends (ms epoch); 0 otherwise. */
  blockedUntil: number;
}

/**
 * Rate-limit counters in this process: a fixed window per key that starts with its first hit,
 * the same algorithm as the Redis storage, so one replica and many count alike. O(1) per hit and
 * per key, where Throttler's own in-memory store keeps one timestamp per hit (at 2,000 requests a
 * second and a one-minute window, 120,000 of them per tenant, filtered on every request).
 * Keys are `<window>:<tenant>`, a small fixed set, so expired windows are simply reused.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly now: () => number = Date.now) {}

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return Promise.resolve(this.hit(key, ttl, limit, blockDuration, throttlerName));
  }

  private hit(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ThrottlerStorageRecord {
    const now = this.now();
    const id = `${key}:${throttlerName}`;
    let window = this.windows.get(id);
    if (!window || (window.resetsAt <= now && window.blockedUntil <= now)) {
      window = { hits: 0, resetsAt: now + ttl, blockedUntil: 0 };
      this.windows.set(id, window);
    } else if (window.blockedUntil !== 0 && window.blockedUntil <= now) {
      // The block is over: a new window starts with this hit.
      window.hits = 0;
      window.resetsAt = now + ttl;
      window.blockedUntil = 0;
    } else if (window.resetsAt <= now) {
      window.hits = 0;
      window.resetsAt = now + ttl;
    }
    window.hits += 1;
    if (window.blockedUntil === 0 && window.hits > limit) window.blockedUntil = now + blockDuration;
    const blocked = window.blockedUntil > now;
    return {
      totalHits: window.hits,
      timeToExpire: Math.ceil((window.resetsAt - now) / 1_000),
      isBlocked: blocked,
      timeToBlockExpire: blocked ? Math.ceil((window.blockedUntil - now) / 1_000) : 0,
    };
  }
}
