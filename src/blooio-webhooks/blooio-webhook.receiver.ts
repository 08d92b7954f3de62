import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import {
  EVENT_DELIVERIES,
  type EventDeliveries,
} from '../events/delivery/event-deliveries.interface';
import { EVENT_LOG_STORE, type EventLogStore } from '../events/event-log-store.interface';
import {
  MESSAGE_RECORD_STORE,
  type MessageRecordStore,
} from '../message-records/message-record-store.interface';
import type { MessageRecord } from '../message-records/message-record';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import type { WebhookOutcome } from '../metrics/metric-labels';
import { ProblemException } from '../problems/problem.exception';
import { StoreUnavailableError } from '../redis/store-unavailable.error';
import type { Tenant } from '../tenants/tenant';
import { TenantRegistry } from '../tenants/tenant-registry';
import { type BlooioEvent, isKnownEvent } from './blooio-event';
import { deriveEventId } from './blooio-event.id';
import {
  inboundRecordOf,
  statusUpdateOf,
  toGatewayEvent,
  withCleanError,
} from './blooio-event.mapper';
import { parseBlooioEvent } from './blooio-event.parser';
import { BlooioEventRouter } from './blooio-event.router';
import type { RoutingTenant, UnroutableReason } from './blooio-event.routing';
import { BlooioSignatureVerifier } from './blooio-signature.verifier';
import {
  MAX_PENDING_RECHECKS,
  MemoryWaitingEvents,
  type RecheckResult,
  WAITING_EVENTS,
  type WaitingEvent,
  type WaitingEvents,
  WaitingEventsFullError,
} from './waiting-events';
import { WebhookSigningSecrets } from './webhook-signing-secrets';

export { MAX_PENDING_RECHECKS } from './waiting-events';

/**
 * The one answer to every delivery that is not proven to come from Blooio for that tenant:
 * unknown tenant, no secret, no, malformed, stale or wrong signature. It says what to check,
 * never which of these it was, nor the expected signature.
 */
export const SIGNATURE_INVALID_DETAIL =
  "X-Blooio-Signature is missing, stale or does not match this tenant's signing secrets";

/** True whatever part failed (the event may be recorded, not yet queued): a retry repeats nothing. */
export const WEBHOOK_STORE_UNAVAILABLE_DETAIL =
  'The gateway cannot reach its shared store; the event is not fully handled yet (retry it: nothing is recorded or pushed twice)';

/** The event is in the tenant's log, but the delivery queue did not take it (the store is down). */
class NotPushedError extends StoreUnavailableError {
  constructor(
    readonly eventId: string,
    cause: unknown,
  ) {
    super(cause);
    this.name = 'NotPushedError';
  }
}

/** A re-check that found the store down tries again this much later, this many times. */
const STORE_RETRY_MS = 5_000;
const STORE_RETRIES = 12;

/** One delivery as the HTTP layer received it. */
export interface WebhookDelivery {
  tenantId: string;
  signature: string | readonly string[] | undefined;
  /** The exact bytes (empty when there was no body). */
  rawBody: Buffer;
  /**
   * Reads the bytes as JSON, throwing the 400 that says why they are not a JSON object: called
   * only once they are authenticated, so that a forged body costs one HMAC and no parse.
   */
  readBody: () => unknown;
}

/** How a delivery ended: `deferred` = answered now, decided when its message's record appears. */
export interface WebhookVerdict {
  /** The path's tenant id if it is one, else `unknown`: a bounded label. */
  tenant: string;
  /** The Blooio event name if it is one the gateway uses, else `other` (`unknown` when unread). */
  event: string;
  outcome: WebhookOutcome | 'deferred';
  reason?: UnroutableReason | 'unsupported_event' | 'signature' | 'body';
  eventId?: string;
  /** When deferred: how long until its record is looked for again. */
  afterMs?: number;
}

/**
 * Blooio's webhooks for one tenant (DESIGN §11): authenticate the exact bytes, read the event,
 * decide whether this tenant owns it, then update the message record and record the gateway's
 * event once, however many times it is delivered. Throws the problem to answer (401, 400, 503).
 */
@Injectable()
export class BlooioWebhookReceiver implements OnApplicationShutdown {
  private readonly logger = new Logger('BlooioWebhooks');
  /** Events waiting for their message's record: in memory, or in Redis with REDIS_URL. */
  private readonly waiting: WaitingEvents;

  constructor(
    private readonly tenants: TenantRegistry,
    private readonly verifier: BlooioSignatureVerifier,
    private readonly router: BlooioEventRouter,
    private readonly secrets: WebhookSigningSecrets,
    private readonly metrics: GatewayMetrics,
    @Inject(MESSAGE_RECORD_STORE) private readonly records: MessageRecordStore,
    @Inject(EVENT_LOG_STORE) private readonly events: EventLogStore,
    @Inject(EVENT_DELIVERIES) private readonly deliveries: EventDeliveries,
    @Optional() @Inject(WAITING_EVENTS) waiting?: WaitingEvents,
  ) {
    this.waiting = waiting ?? new MemoryWaitingEvents();
    this.waiting.handle((due) => this.recheck(due));
  }

  /** How many events wait for their message's record (in this process, or in Redis). */
  pendingCount(): Promise<number> {
    return this.waiting.count();
  }

  /** The metric and log label of a path's tenant id: itself if it is a tenant, else `unknown`. */
  labelOf(tenantId: string): string {
    return this.tenants.find(tenantId)?.id ?? 'unknown';
  }

  async receive(delivery: WebhookDelivery, nowMs: number = Date.now()): Promise<WebhookVerdict> {
    const tenant = this.tenants.find(delivery.tenantId);
    const label = this.labelOf(delivery.tenantId);
    const check = this.verifier.verify(
      delivery.signature,
      delivery.rawBody,
      tenant ? this.secrets.of(tenant) : [],
      nowMs,
    );
    if (!tenant || !check.valid) {
      this.count({ tenant: label, event: 'unknown', outcome: 'rejected', reason: 'signature' });
      throw new ProblemException('webhook_signature_invalid', { detail: SIGNATURE_INVALID_DETAIL });
    }
    let event: BlooioEvent;
    try {
      // Blooio's error text is kept and shown: cleaned once, here (the key scrubbed, bounded).
      event = withCleanError(parseBlooioEvent(delivery.readBody()), tenant.blooio.apiKey);
    } catch (error) {
      this.count({ tenant: label, event: 'unknown', outcome: 'rejected', reason: 'body' });
      throw error;
    }
    const verdict = await this.route(tenant, event, nowMs, nowMs);
    if (verdict.outcome === 'deferred') {
      await this.defer(
        {
          tenantId: tenant.id,
          eventId: verdict.eventId!,
          event,
          firstReceivedAtMs: nowMs,
          storeRetries: STORE_RETRIES,
        },
        verdict.afterMs!,
      );
    } else this.count(verdict);
    return verdict;
  }

  /** After the HTTP server drained: no more re-checks here (in Redis, another replica's turn). */
  async onApplicationShutdown(): Promise<void> {
    await this.waiting.close();
  }

  /** Decides, and records what is this tenant's; a wait for the record is scheduled, not held. */
  private async route(
    tenant: Tenant,
    event: BlooioEvent,
    firstReceivedAtMs: number,
    nowMs: number,
  ): Promise<WebhookVerdict> {
    const base = {
      tenant: tenant.id,
      event: isKnownEvent(event.event) ? event.event : 'other',
      eventId: deriveEventId(tenant.id, event),
    };
    try {
      const decision = await this.router.decide(
        routingTenantOf(tenant),
        this.tenants.sharesBlooioKey(tenant.id),
        event,
        firstReceivedAtMs,
        nowMs,
      );
      if (decision.action === 'unroutable') {
        return { ...base, outcome: 'unroutable', reason: decision.reason };
      }
      if (decision.action === 'recheck') {
        return { ...base, outcome: 'deferred', afterMs: decision.afterMs };
      }
      const recorded = await this.record(tenant, event, nowMs);
      return recorded === 'unsupported'
        ? { ...base, outcome: 'unroutable', reason: 'unsupported_event' }
        : { ...base, outcome: recorded };
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        const problem = new ProblemException('store_unavailable', {
          detail: WEBHOOK_STORE_UNAVAILABLE_DETAIL,
          headers: { 'retry-after': '1' },
        });
        problem.cause = error; // a re-check tells "recorded, not pushed" from "not recorded"
        throw problem;
      }
      throw error;
    }
  }

  /**
   * The message record first (forward-only and idempotent, so a retry after a failure here or
   * below repeats nothing), then the event: its insert is the one atomic "is it new" of all
   * replicas.
   */
  private async record(
    tenant: Tenant,
    event: BlooioEvent,
    receivedAtMs: number,
  ): Promise<'accepted' | 'duplicate' | 'unsupported'> {
    let record: MessageRecord | undefined;
    const update = statusUpdateOf(event, receivedAtMs);
    if (update) {
      record = await this.records.update(tenant.id, event.messageId, update);
    } else {
      const inbound = inboundRecordOf(tenant.id, tenant.blooio.keyId, event, receivedAtMs);
      if (inbound) record = await this.records.save(inbound);
    }
    const gatewayEvent = toGatewayEvent(tenant.id, event, receivedAtMs, record);
    if (!gatewayEvent) return 'unsupported';
    const inserted = await this.events.insert(gatewayEvent, receivedAtMs);
    // Pushed to the tenant's endpoints (idempotent per event): a duplicate dispatches the stored
    // event, so every delivery carries the first one's bytes, and a failed dispatch is retried.
    const stored = inserted ? gatewayEvent : await this.events.get(tenant.id, gatewayEvent.id);
    try {
      await this.deliveries.dispatch(stored ?? gatewayEvent, receivedAtMs);
    } catch (error) {
      throw error instanceof StoreUnavailableError
        ? new NotPushedError(gatewayEvent.id, error.cause)
        : error;
    }
    return inserted ? 'accepted' : 'duplicate';
  }

  /**
   * Keeps the event to be looked at again after `afterMs` (README, "Blooio's webhooks": the
   * delivery is answered 204 once it waits; in Redis, durably). A second delivery of an event
   * already waiting adds nothing.
   */
  private async defer(waiting: WaitingEvent, afterMs: number): Promise<void> {
    try {
      await this.waiting.wait(waiting, afterMs);
    } catch (error) {
      if (error instanceof WaitingEventsFullError) {
        throw new ProblemException('store_unavailable', {
          detail: `${MAX_PENDING_RECHECKS} events already wait for their message's record; retry later`,
          headers: { 'retry-after': '60' },
        });
      }
      if (error instanceof StoreUnavailableError) {
        throw new ProblemException('store_unavailable', {
          detail: WEBHOOK_STORE_UNAVAILABLE_DETAIL,
          headers: { 'retry-after': '1' },
        });
      }
      throw error;
    }
  }

  /** A waiting event that is due: routed again, counted once decided, or kept waiting. */
  private async recheck(waiting: WaitingEvent): Promise<RecheckResult> {
    const tenant = this.tenants.find(waiting.tenantId);
    // A tenant removed from the file since (another replica's, or an older boot's): nobody's.
    if (!tenant) return { again: false };
    try {
      const verdict = await this.route(
        tenant,
        waiting.event,
        waiting.firstReceivedAtMs,
        Date.now(),
      );
      if (verdict.outcome === 'deferred') {
        return { again: true, afterMs: verdict.afterMs!, waiting };
      }
      this.count(verdict);
      return { again: false };
    } catch (error) {
      const storeDown = error instanceof ProblemException && error.code === 'store_unavailable';
      if (storeDown && waiting.storeRetries > 0) {
        return {
          again: true,
          afterMs: STORE_RETRY_MS,
          waiting: { ...waiting, storeRetries: waiting.storeRetries - 1 },
        };
      }
      const cause = error instanceof ProblemException ? error.cause : undefined;
      if (cause instanceof NotPushedError) {
        this.metrics.countWebhook(
          waiting.tenantId,
          isKnownEvent(waiting.event.event) ? waiting.event.event : 'other',
          'not_pushed',
        );
        this.logger.error(
          `Blooio event ${cause.eventId} of tenant ${waiting.tenantId} was recorded, not pushed to its endpoints (the delivery queue did not answer after it waited for its message record); POST /v1/events/${cause.eventId}/replay pushes it`,
        );
        return { again: false };
      }
      this.logger.error(
        `Blooio event ${waiting.eventId} of tenant ${waiting.tenantId} could not be recorded after waiting for its message record: ${(error as Error).message}`,
      );
      return { again: false };
    }
  }

  private count(verdict: WebhookVerdict): void {
    if (verdict.outcome === 'deferred') return;
    this.metrics.countWebhook(verdict.tenant, verdict.event, verdict.outcome);
    if (verdict.outcome === 'unroutable' && verdict.eventId) {
      this.logger.log(
        `Blooio event ${verdict.eventId} (${verdict.event}) is not tenant ${verdict.tenant}'s: ${verdict.reason}`,
      );
    }
  }
}

function routingTenantOf(tenant: Tenant): RoutingTenant {
  return {
    id: tenant.id,
    blooioKeyId: tenant.blooio.keyId,
    inboundNumbers: tenant.blooio.webhook.inboundNumbers,
  };
}
