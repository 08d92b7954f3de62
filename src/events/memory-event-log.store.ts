import { encodeCursor, isEventId, positionOf, readEventLogQuery } from './event-log.cursor';
import type { EventLogPage, EventLogQuery, EventLogStore } from './event-log-store.interface';
import { type GatewayEvent, messageIdOf } from './gateway-event';
import { evictForOne } from '../common/evict-for-one';
import { frozenCopy } from '../common/frozen-copy';

interface Entry {
  event: GatewayEvent;
  position: string;
  expiresAt: number;
}

const SEPARATOR = '\u0000';

/**
 * Event logs in this process's memory: at most `maxEntries` events over every tenant (the
 * earliest recorded go first), each kept `ttlMs` from its receipt. Per tenant, positions are kept
 * sorted, so a page is a binary search and a walk back.
 */
export class MemoryEventLogStore implements EventLogStore {
  /** Insertion order: the eviction order. */
  private readonly entries = new Map<string, Entry>();
  /** Per tenant: positions in ascending order, and the entry of each. */
  private readonly logs = new Map<
    string,
    { positions: string[]; byPosition: Map<string, Entry> }
  >();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  insert(event: GatewayEvent, receivedAtMs: number): Promise<boolean> {
    const key = event.tenantId + SEPARATOR + event.id;
    const existing = this.entries.get(key);
    if (existing && existing.expiresAt > this.now()) return Promise.resolve(false);
    if (existing) this.remove(key, existing);
    this.evict();
    const entry: Entry = {
      event: frozenCopy(event),
      position: positionOf(receivedAtMs, event.id),
      expiresAt: receivedAtMs + this.ttlMs,
    };
    this.entries.set(key, entry);
    const log = this.logs.get(event.tenantId) ?? { positions: [], byPosition: new Map() };
    log.positions.splice(insertionIndex(log.positions, entry.position), 0, entry.position);
    log.byPosition.set(entry.position, entry);
    this.logs.set(event.tenantId, log);
    return Promise.resolve(true);
  }

  get(tenantId: string, eventId: string): Promise<GatewayEvent | undefined> {
    if (!isEventId(eventId)) return Promise.resolve(undefined);
    const entry = this.entries.get(tenantId + SEPARATOR + eventId);
    const live = entry && entry.expiresAt > this.now() ? entry : undefined;
    return Promise.resolve(live?.event);
  }

  list(tenantId: string, query: EventLogQuery): Promise<EventLogPage> {
    // A bad query rejects the promise, as the Redis store's does, rather than throwing.
    return new Promise((resolve) => resolve(this.page(tenantId, query)));
  }

  private page(tenantId: string, query: EventLogQuery): EventLogPage {
    const after = readEventLogQuery(tenantId, query);
    const log = this.logs.get(tenantId);
    const data: GatewayEvent[] = [];
    let last: string | undefined;
    let more = false;
    if (log) {
      const now = this.now();
      let i =
        (after === undefined ? log.positions.length : insertionIndex(log.positions, after)) - 1;
      for (; i >= 0; i -= 1) {
        const entry = log.byPosition.get(log.positions[i])!;
        if (entry.expiresAt <= now) break; // older ones expired too
        if (!matches(entry.event, query)) continue;
        if (data.length === query.limit) {
          more = true;
          break;
        }
        data.push(entry.event);
        last = entry.position;
      }
    }
    return more && last ? { data, nextCursor: encodeCursor(tenantId, query, last) } : { data };
  }

  private evict(): void {
    evictForOne(this.entries, this.maxEntries, this.now(), (key, entry) => this.remove(key, entry));
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    const log = this.logs.get(entry.event.tenantId);
    if (!log) return;
    const index = insertionIndex(log.positions, entry.position);
    if (log.positions[index] === entry.position) log.positions.splice(index, 1);
    log.byPosition.delete(entry.position);
    if (log.positions.length === 0) this.logs.delete(entry.event.tenantId);
  }
}

export function matches(event: GatewayEvent, query: EventLogQuery): boolean {
  return (
    (query.type === undefined || event.type === query.type) &&
    (query.messageId === undefined || messageIdOf(event) === query.messageId)
  );
}

/** The first index whose position is not below `position` (binary search). */
function insertionIndex(positions: readonly string[], position: string): number {
  let low = 0;
  let high = positions.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (positions[mid] < position) low = mid + 1;
    else high = mid;
  }
  return low;
}
