import { type BlooioEvent, isKnownEvent, isStatusEvent } from './blooio-event';

/** What routing needs of a tenant; the tenant module provides it, nothing else is read. */
export interface RoutingTenant {
  id: string;
  /** An opaque identity of the tenant's Blooio key (a hash; never the key). */
  blooioKeyId: string;
  /** `blooio.webhook.inboundNumbers`, else its `senders` (E.164). */
  inboundNumbers: readonly string[];
}

export interface RoutingInput {
  /** The tenant of the path: the only one that can get this delivery (its secret signed it). */
  tenant: RoutingTenant;
  /** Whether another tenant uses the same Blooio key (and so sees the same events). */
  keyShared: boolean;
  event: Pick<BlooioEvent, 'event' | 'internalId' | 'direction'>;
  /**
   * The tenants that hold a record of the event's message id under this Blooio key
   * (MessageRecordStore.holders); only read for events about an outbound message.
   */
  holders: readonly string[];
  /** How long ago the gateway first received this event. */
  waitedMs: number;
}

export type UnroutableReason =
  | 'another_tenants_message'
  | 'no_record'
  | 'number_not_owned'
  | 'no_receiving_number'
  | 'unsupported_event';

export type RoutingDecision =
  | { action: 'deliver' }
  | { action: 'recheck'; afterMs: number }
  | { action: 'unroutable'; reason: UnroutableReason };

/**
 * When an event about a message with no record yet is looked at again, counted from its first
 * receipt (a webhook can beat the write of the record of the send that caused it).
 */
export const RECHECK_AT_MS = [2_000, 10_000, 60_000] as const;
export const RECHECK_WINDOW_MS = RECHECK_AT_MS[RECHECK_AT_MS.length - 1];

/** Events about one of our outbound messages: found by its record, not by a number. */
export function isAboutOutboundMessage(event: RoutingInput['event']): boolean {
  return (
    isStatusEvent(event.event) ||
    (event.event === 'message.reaction' && event.direction === 'outbound')
  );
}

/**
 * Whether the tenant of the path owns an event (§11). Pure: the caller looks the holders up,
 * and calls again after `afterMs` when told to recheck.
 * - About an outbound message: the tenant whose record holds the id. Nobody's yet: wait up to
 *   60 s for the record; then deliver only if no other tenant uses the key (a send from Blooio's
 *   dashboard, say), else it is nobody's.
 * - Inbound: the tenant whose inbound numbers hold `internal_id`; on a key of its own, the
 *   tenant gets every event of it.
 */
export function routeEvent(input: RoutingInput): RoutingDecision {
  const { tenant, keyShared, event } = input;
  if (!isKnownEvent(event.event)) return { action: 'unroutable', reason: 'unsupported_event' };
  if (isAboutOutboundMessage(event)) {
    if (input.holders.includes(tenant.id)) return { action: 'deliver' };
    if (input.holders.length > 0)
      return { action: 'unroutable', reason: 'another_tenants_message' };
    const next = RECHECK_AT_MS.find((at) => at > input.waitedMs);
    if (next !== undefined) return { action: 'recheck', afterMs: next - input.waitedMs };
    return keyShared ? { action: 'unroutable', reason: 'no_record' } : { action: 'deliver' };
  }
  if (event.internalId !== undefined && tenant.inboundNumbers.includes(event.internalId)) {
    return { action: 'deliver' };
  }
  if (!keyShared) return { action: 'deliver' };
  return {
    action: 'unroutable',
    reason: event.internalId === undefined ? 'no_receiving_number' : 'number_not_owned',
  };
}
