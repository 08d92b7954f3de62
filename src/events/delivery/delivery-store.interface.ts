import type { DeliveryAttempt, DeliveryState, EventDelivery } from './event-deliveries.interface';

/** The most attempts kept per delivery (replays add theirs): the latest ones. */
export const MAX_ATTEMPTS_KEPT = 100;

/** One job's delivery: (tenant, event, endpoint) and which replay of it. */
export interface DeliveryRef {
  tenantId: string;
  eventId: string;
  endpointId: string;
  replay: number;
}

/** What an attempt left the delivery as. */
export interface DeliveryOutcome {
  state: DeliveryState;
  /** ISO 8601 UTC of the next attempt, while one is scheduled. */
  nextAttemptAt?: string;
}

/** An endpoint's health as deliveries found it (its id, URL and types come from the tenant file). */
export interface EndpointState {
  /** ISO 8601 UTC of the 410 that disabled it; absent while enabled. */
  disabledAt?: string;
  lastSuccessAt?: string;
  /** The first failure since the last 2xx. */
  failingSince?: string;
}

/**
 * Where deliveries and endpoint health are kept (DESIGN §11): per (tenant, event, endpoint) the
 * attempts, the state and the next attempt, as `GET /v1/events/{id}` shows them; per (tenant,
 * endpoint) whether a 410 disabled it, its last success and since when it fails. Everything
 * expires EVENT_RETENTION_SECONDS after its last write. Every write is atomic: two replicas
 * recording attempts of one delivery at once both count.
 */
export interface DeliveryStore {
  /** A pending delivery to each endpoint that has none for this event yet (dispatch). */
  open(tenantId: string, eventId: string, endpointIds: readonly string[]): Promise<void>;
  /** The next replay number of this delivery (1 for the first replay); it is pending again. */
  nextReplay(tenantId: string, eventId: string, endpointId: string): Promise<number>;
  /**
   * Appends an attempt (keeping the latest MAX_ATTEMPTS_KEPT) and sets the outcome, unless a newer
   * replay of the delivery is under way (then only `delivered` is taken from an older one).
   */
  recordAttempt(of: DeliveryRef, attempt: DeliveryAttempt, outcome: DeliveryOutcome): Promise<void>;
  /** The event's deliveries, in no particular order; empty when none. */
  deliveriesOf(tenantId: string, eventId: string): Promise<EventDelivery[]>;
  endpointState(tenantId: string, endpointId: string): Promise<EndpointState>;
  /** A 2xx at `at`: lastSuccessAt, and failingSince cleared. */
  succeeded(tenantId: string, endpointId: string, at: string): Promise<void>;
  /** A failed attempt at `at`: failingSince, unless already failing. */
  failed(tenantId: string, endpointId: string, at: string): Promise<void>;
  /** A 410 at `at`: disabled (and failing). */
  disable(tenantId: string, endpointId: string, at: string): Promise<void>;
  /** Enabled again; its health otherwise kept. */
  enable(tenantId: string, endpointId: string): Promise<EndpointState>;
}

/** Injection token of the DeliveryStore in use. */
export const DELIVERY_STORE = Symbol('DELIVERY_STORE');
