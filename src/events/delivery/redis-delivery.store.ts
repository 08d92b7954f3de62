import type Redis from 'ioredis';
import { storeCall, StoreUnavailableError } from '../../redis/store-unavailable.error';
import {
  type DeliveryOutcome,
  type DeliveryRef,
  type DeliveryStore,
  type EndpointState,
  MAX_ATTEMPTS_KEPT,
} from './delivery-store.interface';
import type { DeliveryAttempt, DeliveryState, EventDelivery } from './event-deliveries.interface';

/**
 * KEYS: the event's deliveries (hash), this endpoint's attempts (list); ARGV: endpoint id, the
 * attempt's replay, the attempt (JSON), the state, next attempt ('' for none), TTL ms, attempts kept.
 */
const RECORD_ATTEMPT = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local rec = raw and cjson.decode(raw) or { state = 'pending', replay = 0 }
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[7]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[6])
if tonumber(ARGV[2]) >= (tonumber(rec.replay) or 0) or ARGV[4] == 'delivered' then
  rec.state = ARGV[4]
  if ARGV[5] == '' then rec.next = nil else rec.next = ARGV[5] end
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1`;

/** KEYS: the event's deliveries, this endpoint's attempts; ARGV: endpoint id, TTL ms. */
const NEXT_REPLAY = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local rec = raw and cjson.decode(raw) or { state = 'pending', replay = 0 }
rec.replay = (tonumber(rec.replay) or 0) + 1
rec.state = 'pending'
rec.next = nil
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(rec))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return rec.replay`;

/**
 * KEYS: an endpoint's health hash; ARGV: TTL ms. A disabled endpoint's hash never expires (a 410's
 * disable holds until `enable`, however long that takes); otherwise it expires with the retention.
 */
const RENEW_ENDPOINT = `
if redis.call('HEXISTS', KEYS[1], 'disabledAt') == 1 then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 1`;

interface DeliveryCommands {
  bgwDeliveryAttempt(
    deliveries: string,
    attempts: string,
    endpointId: string,
    replay: number,
    attempt: string,
    state: DeliveryState,
    nextAttemptAt: string,
    ttlMs: number,
    kept: number,
  ): Promise<number>;
  bgwDeliveryReplay(
    deliveries: string,
    attempts: string,
    endpointId: string,
    ttlMs: number,
  ): Promise<number>;
}

type DeliveryMulti = ReturnType<Redis['multi']> & {
  bgwRenewEndpoint(key: string, ttlMs: number): DeliveryMulti;
};

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const EVENT_ID = /^evt_[a-z2-7]{26}$/;
const PENDING = JSON.stringify({ state: 'pending', replay: 0 });

/**
 * Deliveries shared by every replica, under the gateway's key prefix: `dlv:<tenant>:<event>` is a
 * hash of each endpoint's `{state, replay, next}`, `dlv:<tenant>:<event>:<endpoint>` the list of
 * its attempts (the latest MAX_ATTEMPTS_KEPT), `dlvep:<tenant>:<endpoint>` a hash of the endpoint's
 * health. Each write renews its keys' expiry, except a disabled endpoint's hash, which is kept
 * until `enable` (one small key per endpoint of the tenant file); attempts and replays are Lua scripts (atomic).
 */
export class RedisDeliveryStore implements DeliveryStore {
  private readonly redis: Redis & DeliveryCommands;

  constructor(
    redis: Redis,
    private readonly ttlMs: number,
  ) {
    redis.defineCommand('bgwDeliveryAttempt', { numberOfKeys: 2, lua: RECORD_ATTEMPT });
    redis.defineCommand('bgwDeliveryReplay', { numberOfKeys: 2, lua: NEXT_REPLAY });
    redis.defineCommand('bgwRenewEndpoint', { numberOfKeys: 1, lua: RENEW_ENDPOINT });
    this.redis = redis as Redis & DeliveryCommands;
  }

  async open(tenantId: string, eventId: string, endpointIds: readonly string[]): Promise<void> {
    if (endpointIds.length === 0) return;
    const key = deliveriesKey(tenantId, eventId);
    const multi = this.redis.multi();
    for (const id of endpointIds) multi.hsetnx(key, endpointPart(id), PENDING);
    multi.pexpire(key, this.ttlMs);
    await storeCall(() => multi.exec());
  }

  async nextReplay(tenantId: string, eventId: string, endpointId: string): Promise<number> {
    return storeCall(() =>
      this.redis.bgwDeliveryReplay(
        deliveriesKey(tenantId, eventId),
        attemptsKey(tenantId, eventId, endpointId),
        endpointId,
        this.ttlMs,
      ),
    );
  }

  async recordAttempt(
    { tenantId, eventId, endpointId, replay }: DeliveryRef,
    attempt: DeliveryAttempt,
    outcome: DeliveryOutcome,
  ): Promise<void> {
    await storeCall(() =>
      this.redis.bgwDeliveryAttempt(
        deliveriesKey(tenantId, eventId),
        attemptsKey(tenantId, eventId, endpointId),
        endpointId,
        replay,
        JSON.stringify(attempt),
        outcome.state,
        outcome.nextAttemptAt ?? '',
        this.ttlMs,
        MAX_ATTEMPTS_KEPT,
      ),
    );
  }

  async deliveriesOf(tenantId: string, eventId: string): Promise<EventDelivery[]> {
    if (!ID.test(tenantId) || !EVENT_ID.test(eventId)) return [];
    const records = await storeCall(() => this.redis.hgetall(deliveriesKey(tenantId, eventId)));
    const ids = Object.keys(records).filter((id) => ID.test(id));
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.lrange(attemptsKey(tenantId, eventId, id), 0, -1);
    const lists = await storeCall(() => pipeline.exec());
    return ids.map((endpointId, i) => {
      const [error, attempts] = lists?.[i] ?? [new Error('no answer')];
      if (error) throw new StoreUnavailableError(error);
      const record = parse<{ state: DeliveryState; next?: string }>(records[endpointId]);
      return {
        endpointId,
        state: record.state,
        attempts: (attempts as string[]).map((json) => parse<DeliveryAttempt>(json)),
        ...(record.next && { nextAttemptAt: record.next }),
      };
    });
  }

  async endpointState(tenantId: string, endpointId: string): Promise<EndpointState> {
    const fields = await storeCall(() => this.redis.hgetall(endpointKey(tenantId, endpointId)));
    return stateOf(fields);
  }

  async succeeded(tenantId: string, endpointId: string, at: string): Promise<void> {
    const key = endpointKey(tenantId, endpointId);
    await this.exec(
      this.redis.multi().hset(key, 'lastSuccessAt', at).hdel(key, 'failingSince'),
      key,
    );
  }

  async failed(tenantId: string, endpointId: string, at: string): Promise<void> {
    const key = endpointKey(tenantId, endpointId);
    await this.exec(this.redis.multi().hsetnx(key, 'failingSince', at), key);
  }

  async disable(tenantId: string, endpointId: string, at: string): Promise<void> {
    const key = endpointKey(tenantId, endpointId);
    await this.exec(
      this.redis.multi().hset(key, 'disabledAt', at).hsetnx(key, 'failingSince', at),
      key,
    );
  }

  async enable(tenantId: string, endpointId: string): Promise<EndpointState> {
    const key = endpointKey(tenantId, endpointId);
    const results = await this.exec(this.redis.multi().hdel(key, 'disabledAt').hgetall(key), key);
    return stateOf(results[1] as Record<string, string>);
  }

  /**
   * Runs a transaction on an endpoint's hash that renews its expiry last (none while it is
   * disabled); the replies of its own commands.
   */
  private async exec(multi: ReturnType<Redis['multi']>, key: string): Promise<unknown[]> {
    const replies = await storeCall(() =>
      (multi as DeliveryMulti).bgwRenewEndpoint(key, this.ttlMs).exec(),
    );
    if (!replies) throw new StoreUnavailableError(new Error('transaction discarded'));
    return replies.slice(0, -1).map(([error, reply]) => {
      if (error) throw new StoreUnavailableError(error);
      return reply;
    });
  }
}

function stateOf(fields: Record<string, string>): EndpointState {
  return {
    ...(fields.disabledAt && { disabledAt: fields.disabledAt }),
    ...(fields.lastSuccessAt && { lastSuccessAt: fields.lastSuccessAt }),
    ...(fields.failingSince && { failingSince: fields.failingSince }),
  };
}

function parse<T>(json: string): T {
  try {
    return JSON.parse(json) as T;
  } catch (error) {
    throw new StoreUnavailableError(error);
  }
}

function endpointPart(id: string): string {
  if (!ID.test(id)) throw new TypeError('an id outside its pattern');
  return id;
}

const deliveriesKey = (tenantId: string, eventId: string) => {
  if (!EVENT_ID.test(eventId)) throw new TypeError('an event id outside its pattern');
  return `dlv:${endpointPart(tenantId)}:${eventId}`;
};
const attemptsKey = (tenantId: string, eventId: string, endpointId: string) =>
  `${deliveriesKey(tenantId, eventId)}:${endpointPart(endpointId)}`;
const endpointKey = (tenantId: string, endpointId: string) =>
  `dlvep:${endpointPart(tenantId)}:${endpointPart(endpointId)}`;
