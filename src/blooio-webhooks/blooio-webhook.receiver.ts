import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
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
import { inboundRecordOf, statusUpdateOf, toGatewayEvent } from './blooio-event.mapper';
import { parseBlooioEvent } from './blooio-event.parser';
import { BlooioEventRouter } from './blooio-event.router';
import type { RoutingTenant, UnroutableReason } from './blooio-event.routing';
import { BlooioSignatureVerifier } from './blooio-signature.verifier';
import { WebhookSigningSecrets } from './webhook-signing-secrets';

/**
 * The one answer to every delivery that is not proven to come from Blooio for that tenant:
 * unknown tenant, no secret, no, malformed, stale or wrong signature. It says what to check,
 * never which of these it was, nor the expected signature.
 */
export const SIGNATURE_INVALID_DETAIL =
  "X-Blooio-Signature is missing, stale or does not match this tenant's signing secrets";

export const WEBHOOK_STORE_UNAVAILABLE_DETAIL =
  'The gateway cannot reach its shared store; the event was not recorded (retry it)';

/**
 * Events waiting in this process for their message's record (DESIGN §11: up to 60 s). Past this
 * many, a new one is answered 503 so that Blooio keeps it and retries, rather than this process
 * holding more than it can bound.
 */
export const MAX_PENDING_RECHECKS = 10_000;
/** A re-check that found the store down tries again this much later, this many times. */
const STORE_RETRY_MS = 5_000;
const STORE_RETRIES = 12;

/** One delivery as the HTTP layer received it. */
export interface WebhookDelivery {
  tenantId: string;
  signature: string | readonly string[] | undefined;
  /** The exact bytes (empty when there was no body). */
  rawBody: Buffer;
  /** The parsed JSON object, when the body was one. */
  body: unknown;
  /** Why the body is not a JSON object, when it is not (answered only once it is authenticated). */
  bodyError?: Error;
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
}

/**
 * Blooio's webhooks for one tenant (DESIGN §11): authenticate the exact bytes, read the event,
 * decide whether this tenant owns it, then update the message record and record the gateway's
 * event once, however many times it is delivered. Throws the problem to answer (401, 400, 503).
 */
@Injectable()
export class BlooioWebhookReceiver implements OnApplicationShutdown {
  private readonly logger = new Logger('BlooioWebhooks');
  /** Deferred events by (tenant, event id): one wait per event however often it is delivered. */
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /**
   * Waiting events whose timer fired and whose route is running: they keep their place, so that a
   * new delivery cannot take it and their own re-check never meets a full queue.
   */
  private readonly rechecking = new Set<string>();

  constructor(
    private readonly tenants: TenantRegistry,
    private readonly verifier: BlooioSignatureVerifier,
    private readonly router: BlooioEventRouter,
    private readonly secrets: WebhookSigningSecrets,
    private readonly metrics: GatewayMetrics,
    @Inject(MESSAGE_RECORD_STORE) private readonly records: MessageRecordStore,
    @Inject(EVENT_LOG_STORE) private readonly events: EventLogStore,
    @Inject(EVENT_DELIVERIES) private readonly deliveries: EventDeliveries,
  ) {}

  /** How many events wait for their message's record in this process. */
  get pendingCount(): number {
    return this.pending.size;
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
      if (delivery.bodyError) throw delivery.bodyError;
      event = parseBlooioEvent(delivery.body);
    } catch (error) {
      this.count({ tenant: label, event: 'unknown', outcome: 'rejected', reason: 'body' });
      throw error;
    }
    const verdict = await this.route(tenant, event, nowMs, nowMs);
    if (verdict.outcome !== 'deferred') this.count(verdict);
    return verdict;
  }

  onApplicationShutdown(): void {
    if (this.pending.size === 0) return;
    // Answered 204 already, so Blooio will not send them again: say so, with what identifies them.
    this.logger.warn(
      `${this.pending.size} Blooio event(s) still waiting for their message record were dropped at shutdown: ${[...this.pending.keys()].slice(0, 20).join(', ')}`,
    );
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
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
        this.defer(tenant, event, base.eventId, firstReceivedAtMs, decision.afterMs);
        return { ...base, outcome: 'deferred' };
      }
      const recorded = await this.record(tenant, event, nowMs);
      return recorded === 'unsupported'
        ? { ...base, outcome: 'unroutable', reason: 'unsupported_event' }
        : { ...base, outcome: recorded };
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        throw new ProblemException('store_unavailable', {
          detail: WEBHOOK_STORE_UNAVAILABLE_DETAIL,
          headers: { 'retry-after': '1' },
        });
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
    await this.deliveries.dispatch(stored ?? gatewayEvent, receivedAtMs);
    return inserted ? 'accepted' : 'duplicate';
  }

  /**
   * Looks at the event again after `afterMs`, in this process (README, "Blooio's webhooks": the
   * delivery was answered 204 already). A second delivery of an event already waiting adds nothing.
   */
  private defer(
    tenant: Tenant,
    event: BlooioEvent,
    eventId: string,
    firstReceivedAtMs: number,
    afterMs: number,
    storeRetries = STORE_RETRIES,
  ): void {
    // Tenant ids hold no `/` (TENANT_ID_PATTERN).
    const key = `${tenant.id}/${eventId}`;
    if (this.pending.has(key)) return;
    const hasPlace = this.rechecking.has(key);
    if (!hasPlace && this.pending.size + this.rechecking.size >= MAX_PENDING_RECHECKS) {
      throw new ProblemException('store_unavailable', {
        detail: `${MAX_PENDING_RECHECKS} events already wait for their message's record; retry later`,
        headers: { 'retry-after': '60' },
      });
    }
    const timer = setTimeout(() => {
      this.pending.delete(key);
      this.rechecking.add(key);
      this.route(tenant, event, firstReceivedAtMs, Date.now())
        .then(
          (verdict) => {
            if (verdict.outcome !== 'deferred') this.count(verdict);
          },
          (error: unknown) => {
            const storeDown =
              error instanceof ProblemException && error.code === 'store_unavailable';
            if (storeDown && storeRetries > 0) {
              this.defer(
                tenant,
                event,
                eventId,
                firstReceivedAtMs,
                STORE_RETRY_MS,
                storeRetries - 1,
              );
              return;
            }
            throw error;
          },
        )
        // Never an unhandled rejection from a timer: that would end the process.
        .catch((error: unknown) => {
          this.logger.error(
            `Blooio event ${eventId} of tenant ${tenant.id} could not be recorded after waiting for its message record: ${(error as Error).message}`,
          );
        })
        .finally(() => this.rechecking.delete(key));
    }, afterMs);
    // Waiting events must not keep a stopping process alive (shutdown logs what is dropped).
    timer.unref();
    this.pending.set(key, timer);
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
