import type Redis from 'ioredis';
import { storeCall, StoreUnavailableError } from '../redis/store-unavailable.error';
import { encodeCursor, isEventId, positionOf, readEventLogQuery } from './event-log.cursor';
import type { EventLogPage, EventLogQuery, EventLogStore } from './event-log-store.interface';
import { type GatewayEvent, messageIdOf } from './gateway-event';

/**
 * Records an event unless its tenant has it (SET NX: the dedupe, atomic across replicas), then
 * adds its position to the tenant's log and to the log's type and message indexes, trimming what
 * the retention has passed. KEYS: event, log, type index, message index; ARGV: event JSON, TTL ms,
 * position, the last position past retention, whether there is a message index.
 */
const INSERT = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
for i = 2, 4 do
  if i < 4 or ARGV[5] == '1' then
    redis.call('ZADD', KEYS[i], 0, ARGV[3])
    redis.call('ZREMRANGEBYLEX', KEYS[i], '-', '[' .. ARGV[4])
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
  end
end
return 1`;

interface EventLogCommands {
  bgwEventInsert(
    event: string,
    log: string,
    typeIndex: string,
    messageIndex: string,
    json: string,
    ttlMs: number,
    position: string,
    expiredUpTo: string,
    hasMessage: '0' | '1',
  ): Promise<number>;
}

const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Event logs shared by every replica. `evt:<tenant>:<event id>` holds the event (the dedupe key,
 * expiring with the retention); `evtlog:<tenant>` and its indexes `…:t:<type>`, `…:m:<message id>`
 * are sorted sets of positions (receipt time, then id; all scores 0, ordered by text), read newest
 * first with ZREVRANGEBYLEX from the cursor's position down to the retention's edge.
 */
export class RedisEventLogStore implements EventLogStore {
  private readonly redis: Redis & EventLogCommands;

  constructor(
    redis: Redis,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    redis.defineCommand('bgwEventInsert', { numberOfKeys: 4, lua: INSERT });
    this.redis = redis as Redis & EventLogCommands;
  }

  async insert(event: GatewayEvent, receivedAtMs: number): Promise<boolean> {
    const tenant = tenantPart(event.tenantId);
    if (!isEventId(event.id))
      throw new TypeError('an event id outside evt_ and 26 base32 characters');
    const messageId = messageIdOf(event);
    const inserted = await storeCall(() =>
      this.redis.bgwEventInsert(
        eventKey(tenant, event.id),
        logKey(tenant),
        typeKey(tenant, event.type),
        messageId ? messageKey(tenant, messageId) : logKey(tenant),
        JSON.stringify(event),
        this.ttlMs,
        positionOf(receivedAtMs, event.id),
        expiredUpTo(receivedAtMs - this.ttlMs),
        messageId ? '1' : '0',
      ),
    );
    return inserted === 1;
  }

  async get(tenantId: string, eventId: string): Promise<GatewayEvent | undefined> {
    if (!TENANT.test(tenantId) || !isEventId(eventId)) return undefined;
    const json = await storeCall(() => this.redis.get(eventKey(tenantId, eventId)));
    return json === null ? undefined : parseEvent(json);
  }

  async list(tenantId: string, query: EventLogQuery): Promise<EventLogPage> {
    const after = readEventLogQuery(tenantId, query);
    const tenant = tenantPart(tenantId);
    // The narrowest index; with both filters the message's (a few events), checked for the type.
    const index = query.messageId
      ? messageKey(tenant, query.messageId)
      : query.type
        ? typeKey(tenant, query.type)
        : logKey(tenant);
    const checkType = query.messageId !== undefined && query.type !== undefined;
    const min = `(${expiredUpTo(this.now() - this.ttlMs)}`;
    let max = after === undefined ? '+' : `(${after}`;
    const data: GatewayEvent[] = [];
    let last: string | undefined;
    for (;;) {
      const positions = await storeCall(() =>
        this.redis.zrevrangebylex(index, max, min, 'LIMIT', 0, query.limit + 1),
      );
      if (positions.length === 0) break;
      const events = await storeCall(() =>
        this.redis.mget(positions.map((p) => eventKey(tenant, p.slice(p.indexOf(':') + 1)))),
      );
      for (const [i, json] of events.entries()) {
        if (json === null) continue; // expired between the two reads
        const event = parseEvent(json);
        if (checkType && event.type !== query.type) continue;
        if (data.length === query.limit) {
          return { data, nextCursor: encodeCursor(tenantId, query, last!) };
        }
        data.push(event);
        last = positions[i];
      }
      if (positions.length <= query.limit) break;
      max = `(${positions[positions.length - 1]}`;
    }
    return { data };
  }
}

/** The greatest position at or before a time: every id sorts below `~`. */
const expiredUpTo = (ms: number) => `${String(Math.max(0, ms)).padStart(15, '0')}:~`;

const tenantPart = (tenantId: string) => {
  if (!TENANT.test(tenantId)) throw new TypeError('a tenant id outside its pattern');
  return tenantId;
};
const eventKey = (tenant: string, id: string) => `evt:${tenant}:${id}`;
const logKey = (tenant: string) => `evtlog:${tenant}`;
const typeKey = (tenant: string, type: string) => `evtlog:${tenant}:t:${type}`;
const messageKey = (tenant: string, messageId: string) => `evtlog:${tenant}:m:${messageId}`;

function parseEvent(json: string): GatewayEvent {
  try {
    const event = JSON.parse(json) as Partial<GatewayEvent> | null;
    if (typeof event?.id !== 'string' || typeof event.type !== 'string' || !event.data) {
      throw new TypeError('an event without id, type and data');
    }
    return event as GatewayEvent;
  } catch (error) {
    throw new StoreUnavailableError(error);
  }
}
