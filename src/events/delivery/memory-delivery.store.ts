import { evictForOne } from '../../common/evict-for-one';
import {
  type DeliveryOutcome,
  type DeliveryRef,
  type DeliveryStore,
  type EndpointState,
  MAX_ATTEMPTS_KEPT,
} from './delivery-store.interface';
import type { DeliveryAttempt, DeliveryState, EventDelivery } from './event-deliveries.interface';

interface Delivery {
  state: DeliveryState;
  replay: number;
  nextAttemptAt?: string;
  attempts: DeliveryAttempt[];
}

interface Entry {
  expiresAt: number;
  byEndpoint: Map<string, Delivery>;
}

const SEPARATOR = '\u0000';

/**
 * Deliveries in this process's memory: those of at most `maxEvents` events (the least recently
 * written go first), each kept `ttlMs` after its last write. Endpoint health is one small entry per
 * endpoint of the tenant file, kept as long as the process.
 */
export class MemoryDeliveryStore implements DeliveryStore {
  /** Least recently written first: the eviction order. */
  private readonly events = new Map<string, Entry>();
  private readonly endpoints = new Map<string, EndpointState>();

  constructor(
    private readonly maxEvents: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.events.size;
  }

  open(tenantId: string, eventId: string, endpointIds: readonly string[]): Promise<void> {
    const entry = this.touch(tenantId, eventId);
    for (const id of endpointIds) {
      if (!entry.byEndpoint.has(id)) {
        entry.byEndpoint.set(id, { state: 'pending', replay: 0, attempts: [] });
      }
    }
    return Promise.resolve();
  }

  nextReplay(tenantId: string, eventId: string, endpointId: string): Promise<number> {
    const delivery = this.delivery(tenantId, eventId, endpointId);
    delivery.replay += 1;
    delivery.state = 'pending';
    delete delivery.nextAttemptAt;
    return Promise.resolve(delivery.replay);
  }

  recordAttempt(
    { tenantId, eventId, endpointId, replay }: DeliveryRef,
    attempt: DeliveryAttempt,
    outcome: DeliveryOutcome,
  ): Promise<void> {
    const delivery = this.delivery(tenantId, eventId, endpointId);
    delivery.attempts.push({ ...attempt });
    if (delivery.attempts.length > MAX_ATTEMPTS_KEPT) delivery.attempts.shift();
    if (replay >= delivery.replay || outcome.state === 'delivered') {
      delivery.state = outcome.state;
      if (outcome.nextAttemptAt) delivery.nextAttemptAt = outcome.nextAttemptAt;
      else delete delivery.nextAttemptAt;
    }
    return Promise.resolve();
  }

  deliveriesOf(tenantId: string, eventId: string): Promise<EventDelivery[]> {
    const entry = this.live(tenantId, eventId);
    if (!entry) return Promise.resolve([]);
    return Promise.resolve(
      [...entry.byEndpoint].map(([endpointId, delivery]) => ({
        endpointId,
        state: delivery.state,
        attempts: delivery.attempts.map((attempt) => ({ ...attempt })),
        ...(delivery.nextAttemptAt && { nextAttemptAt: delivery.nextAttemptAt }),
      })),
    );
  }

  endpointState(tenantId: string, endpointId: string): Promise<EndpointState> {
    return Promise.resolve({ ...this.endpoints.get(tenantId + SEPARATOR + endpointId) });
  }

  succeeded(tenantId: string, endpointId: string, at: string): Promise<void> {
    const state = this.endpoint(tenantId, endpointId);
    state.lastSuccessAt = at;
    delete state.failingSince;
    return Promise.resolve();
  }

  failed(tenantId: string, endpointId: string, at: string): Promise<void> {
    const state = this.endpoint(tenantId, endpointId);
    state.failingSince ??= at;
    return Promise.resolve();
  }

  disable(tenantId: string, endpointId: string, at: string): Promise<void> {
    const state = this.endpoint(tenantId, endpointId);
    state.disabledAt = at;
    state.failingSince ??= at;
    return Promise.resolve();
  }

  enable(tenantId: string, endpointId: string): Promise<EndpointState> {
    const state = this.endpoint(tenantId, endpointId);
    delete state.disabledAt;
    return Promise.resolve({ ...state });
  }

  private endpoint(tenantId: string, endpointId: string): EndpointState {
    const key = tenantId + SEPARATOR + endpointId;
    let state = this.endpoints.get(key);
    if (!state) this.endpoints.set(key, (state = {}));
    return state;
  }

  private live(tenantId: string, eventId: string): Entry | undefined {
    const entry = this.events.get(tenantId + SEPARATOR + eventId);
    return entry && entry.expiresAt > this.now() ? entry : undefined;
  }

  private delivery(tenantId: string, eventId: string, endpointId: string): Delivery {
    const entry = this.touch(tenantId, eventId);
    let delivery = entry.byEndpoint.get(endpointId);
    if (!delivery) {
      delivery = { state: 'pending', replay: 0, attempts: [] };
      entry.byEndpoint.set(endpointId, delivery);
    }
    return delivery;
  }

  /** The event's entry, moved to the newest end with its expiry renewed (created if need be). */
  private touch(tenantId: string, eventId: string): Entry {
    const key = tenantId + SEPARATOR + eventId;
    const now = this.now();
    const existing = this.events.get(key);
    this.events.delete(key);
    const entry: Entry =
      existing && existing.expiresAt > now ? existing : { expiresAt: 0, byEndpoint: new Map() };
    entry.expiresAt = now + this.ttlMs;
    evictForOne(this.events, this.maxEvents, now, (evicted) => this.events.delete(evicted));
    this.events.set(key, entry);
    return entry;
  }
}
