import type { GatewayEvent, GatewayEventType } from './gateway-event';

export interface EventLogQuery {
  type?: GatewayEventType;
  messageId?: string;
  /** 1 to 100. */
  limit: number;
  /** `nextCursor` of the page before, for the same tenant and filters. */
  cursor?: string;
}

export interface EventLogPage {
  /** Newest first by the time the gateway received them. */
  data: GatewayEvent[];
  /** Absent on the last page. */
  nextCursor?: string;
}

/**
 * Each tenant's event log, kept `EVENT_RETENTION_SECONDS`. An event is addressed by (tenant, event
 * id); no method answers another tenant's event.
 */
export interface EventLogStore {
  /**
   * Records an event received at `receivedAtMs`; false when its id is already recorded for its
   * tenant (a retried or replayed delivery, another replica). Atomic: of two replicas recording
   * one event at once, exactly one gets true.
   */
  insert(event: GatewayEvent, receivedAtMs: number): Promise<boolean>;
  /** This tenant's event of that id; undefined for unknown, expired and other tenants' ids alike. */
  get(tenantId: string, eventId: string): Promise<GatewayEvent | undefined>;
  /** A page of this tenant's events; a malformed or foreign cursor is a validation problem. */
  list(tenantId: string, query: EventLogQuery): Promise<EventLogPage>;
}

/** Injection token of the EventLogStore in use. */
export const EVENT_LOG_STORE = Symbol('EVENT_LOG_STORE');
