import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { InFlightWork } from '../lifecycle/in-flight-work';
import { storeCall } from '../redis/store-unavailable.error';
import {
  MAX_PENDING_RECHECKS,
  type RecheckHandler,
  type WaitingEvent,
  WaitingEventsFullError,
  type WaitingEvents,
  waitingKeyOf,
} from './waiting-events';

/** The sorted set of waiting events (member `<tenant>/<event id>`, score: when due, ms). */
const DUE = 'whwait';
/** One waiting event's JSON, beside the set. */
const dataKey = (member: string) => `whwait:${member}`;

/**
 * Adds one waiting event unless it waits already, within the cap. KEYS: the set, the event's data;
 * ARGV: member, due ms, JSON, TTL ms, cap. 1 added, 0 waiting already, -1 full.
 */
const WAIT = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[5]) then return -1 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/**
 * Claims what is due: each member's score moves to the end of a lease, so no other replica takes it
 * meanwhile, and one that died holding it hands it on when the lease ends. KEYS: the set; ARGV:
 * now, lease end, most to claim.
 */
const CLAIM = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member) end
return due`;

interface WaitingCommands {
  bgwWaitingAdd(
    set: string,
    data: string,
    member: string,
    dueMs: number,
    json: string,
    ttlMs: number,
    cap: number,
  ): Promise<number>;
  bgwWaitingClaim(set: string, nowMs: number, leaseEndMs: number, limit: number): Promise<string[]>;
}

export interface RedisWaitingEventsOptions {
  /** How often each replica looks for due events. */
  pollMs?: number;
  /** How long a claimed event is this replica's before another may take it. */
  leaseMs?: number;
  /** How long an event's data outlives its last wait (the 60 s window, store retries, a lease). */
  ttlMs?: number;
  cap?: number;
  now?: () => number;
}

/**
 * Waiting events in Redis (REDIS_URL), under the gateway's key prefix: the answer 204 is given once
 * the event is in Redis, and every replica polls for due ones, claiming each atomically (one
 * replica each). A replica killed holding one (claimed, not done) hands it on after the lease.
 */
export class RedisWaitingEvents implements WaitingEvents {
  private readonly logger = new Logger('BlooioWebhooks');
  private readonly redis: Redis & WaitingCommands;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly ttlMs: number;
  private readonly cap: number;
  private readonly now: () => number;
  private handler?: RecheckHandler;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private closed = false;

  constructor(
    redis: Redis,
    private readonly work?: InFlightWork,
    options: RedisWaitingEventsOptions = {},
  ) {
    redis.defineCommand('bgwWaitingAdd', { numberOfKeys: 2, lua: WAIT });
    redis.defineCommand('bgwWaitingClaim', { numberOfKeys: 1, lua: CLAIM });
    this.redis = redis as Redis & WaitingCommands;
    this.pollMs = options.pollMs ?? 500;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.cap = options.cap ?? MAX_PENDING_RECHECKS;
    this.now = options.now ?? Date.now;
  }

  handle(handler: RecheckHandler): void {
    this.handler = handler;
    this.schedulePoll(0);
  }

  async wait(waiting: WaitingEvent, afterMs: number): Promise<void> {
    const member = waitingKeyOf(waiting);
    const added = await storeCall(() =>
      this.redis.bgwWaitingAdd(
        DUE,
        dataKey(member),
        member,
        this.now() + afterMs,
        JSON.stringify(waiting),
        this.ttlMs,
        this.cap,
      ),
    );
    if (added === -1) throw new WaitingEventsFullError();
  }

  async count(): Promise<number> {
    return storeCall(() => this.redis.zcard(DUE));
  }

  /** Stops polling; waits for the re-checks running (bounded: what is cut waits for its lease). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.min(this.leaseMs, 5_000));
    });
    await Promise.race([this.polling, bound]);
    clearTimeout(timer);
  }

  private schedulePoll(afterMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      const run = this.poll()
        .catch((error: unknown) => {
          // Redis down: the events stay in Redis; the next poll tries again.
          this.logger.debug(`waiting events not polled: ${(error as Error).message}`);
          return false;
        })
        .then((more) => this.schedulePoll(more ? 0 : this.pollMs));
      this.polling = this.work ? this.work.track(run) : run;
    }, afterMs);
    this.timer.unref();
  }

  /** Claims and re-checks what is due; true when there may be more due right away. */
  private async poll(): Promise<boolean> {
    const handler = this.handler;
    if (!handler || this.redis.status !== 'ready') return false;
    const limit = 100;
    const now = this.now();
    const members = await storeCall(() =>
      this.redis.bgwWaitingClaim(DUE, now, now + this.leaseMs, limit),
    );
    if (members.length === 0) return false;
    const data = await storeCall(() => this.redis.mget(members.map(dataKey)));
    await Promise.all(
      members.map(async (member, i) => {
        const json = data[i];
        const waiting = json === null ? undefined : parseWaiting(json);
        if (!waiting) {
          // Its data expired or is unreadable: nothing to re-check.
          await this.done(member);
          return;
        }
        try {
          const result = await handler(waiting);
          if (result.again) await this.again(member, result.waiting, result.afterMs);
          else await this.done(member);
        } catch (error) {
          // Left claimed: another look when the lease ends.
          this.logger.error(
            `Blooio event ${waiting.eventId} of tenant ${waiting.tenantId} could not be re-checked: ${(error as Error).message}`,
          );
        }
      }),
    );
    return members.length === limit && !this.closed;
  }

  private async again(member: string, waiting: WaitingEvent, afterMs: number): Promise<void> {
    await storeCall(() =>
      this.redis
        .multi()
        .zadd(DUE, 'XX', this.now() + afterMs, member)
        .set(dataKey(member), JSON.stringify(waiting), 'PX', this.ttlMs)
        .pexpire(DUE, this.ttlMs)
        .exec(),
    );
  }

  private async done(member: string): Promise<void> {
    await storeCall(() => this.redis.multi().zrem(DUE, member).del(dataKey(member)).exec());
  }
}

function parseWaiting(json: string): WaitingEvent | undefined {
  try {
    const waiting = JSON.parse(json) as Partial<WaitingEvent> | null;
    if (
      typeof waiting?.tenantId !== 'string' ||
      typeof waiting.eventId !== 'string' ||
      typeof waiting.firstReceivedAtMs !== 'number' ||
      typeof waiting.storeRetries !== 'number' ||
      typeof waiting.event?.event !== 'string'
    ) {
      return undefined;
    }
    return waiting as WaitingEvent;
  } catch {
    return undefined;
  }
}
