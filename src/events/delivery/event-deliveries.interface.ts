import type { GatewayEvent } from '../gateway-event';

/**
 * What the routes and the receiver ask of event delivery (DESIGN §11, "Pushing" and "Event and
 * endpoint routes"). Every method is scoped to one tenant: an id of another tenant's event or
 * endpoint is answered like an unknown one.
 */

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One POST to an endpoint. */
export interface DeliveryAttempt {
  /** ISO 8601 UTC, when the attempt started. */
  at: string;
  /** The endpoint's HTTP status, when it answered. */
  status?: number;
  /** What went wrong when it did not answer 2xx (`timeout`, `connection refused`, `HTTP 500`…); never a secret. */
  error?: string;
  durationMs: number;
}

/** An event's delivery to one endpoint, over every attempt and replay. */
export interface EventDelivery {
  endpointId: string;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  /** ISO 8601 UTC, while a retry is scheduled. */
  nextAttemptAt?: string;
}

/** An endpoint as `GET /v1/webhook-endpoints` shows it: never a secret. */
export interface EndpointStatus {
  id: string;
  url: string;
  events: string[];
  /** `disabled` after a 410, until `enable`. */
  state: 'enabled' | 'disabled';
  /** ISO 8601 UTC of the last 2xx. */
  lastSuccessAt?: string;
  /** ISO 8601 UTC of the first failure since the last 2xx. */
  failingSince?: string;
}

/** The answer of `POST /v1/webhook-endpoints/{id}/test`. */
export interface TestDeliveryResult {
  delivered: boolean;
  status?: number;
  error?: string;
  durationMs: number;
}

export interface ReplayResult {
  eventId: string;
  /** The endpoints the event is queued for again. */
  endpointIds: string[];
}

export interface EventDeliveries {
  /**
   * Queues the event for each of its tenant's endpoints that subscribe to its type. Idempotent: a
   * second call for the same event (Blooio's retry, another replica) queues nothing new. Rejects
   * with StoreUnavailableError when the jobs cannot be stored (the receiver then answers 503).
   */
  dispatch(event: GatewayEvent, receivedAtMs: number): Promise<void>;
  /** The event's deliveries, one per endpoint it was queued for (empty when none). */
  deliveriesOf(tenantId: string, eventId: string): Promise<EventDelivery[]>;
  /**
   * Queues the event again, with the same `webhook-id`, to `endpointIds` or else to every endpoint
   * that subscribes to its type. Undefined when the tenant has no such event; throws
   * ProblemException `endpoint_not_found` naming an id that is not one of the tenant's endpoints.
   */
  replay(
    tenantId: string,
    eventId: string,
    endpointIds?: readonly string[],
  ): Promise<ReplayResult | undefined>;
  endpoints(tenantId: string): Promise<EndpointStatus[]>;
  /** Sends a signed `webhook.test` now, outside the queue. Undefined for an unknown endpoint. */
  test(tenantId: string, endpointId: string): Promise<TestDeliveryResult | undefined>;
  /** Clears a 410's disable and lets its queued deliveries run. Undefined for an unknown endpoint. */
  enable(tenantId: string, endpointId: string): Promise<EndpointStatus | undefined>;
}

/** Injection token of the EventDeliveries in use. */
export const EVENT_DELIVERIES = Symbol('EVENT_DELIVERIES');
