import { Logger } from '@nestjs/common';
import { subscribesTo } from '../../common/gateway-event-types';
import type { GatewayMetrics } from '../../metrics/gateway.metrics';
import { StoreUnavailableError } from '../../redis/store-unavailable.error';
import type { TenantRegistry } from '../../tenants/tenant-registry';
import type { Tenant, WebhookEndpoint } from '../../tenants/tenant';
import type { EventLogStore } from '../event-log-store.interface';
import { newEventId } from '../event-id';
import { endpointNotFound } from '../event-routes.problems';
import type { GatewayEvent } from '../gateway-event';
import { webhookHeaders } from '../signing/standard-webhooks';
import type { DeliveryStore, EndpointState } from './delivery-store.interface';
import type { EndpointAnswer, EndpointClient } from './endpoint.client';
import type {
  DeliveryAttempt,
  EndpointStatus,
  EventDeliveries,
  EventDelivery,
  ReplayResult,
  TestDeliveryResult,
} from './event-deliveries.interface';
import type {
  DeliveryAttemptResult,
  DeliveryJob,
  EndpointRef,
  EventDeliveryQueue,
} from './event-delivery-queue.interface';
import type { RetryPolicy } from './retry-policy';

export interface EventDeliveryServiceDeps {
  tenants: TenantRegistry;
  queue: EventDeliveryQueue;
  store: DeliveryStore;
  log: EventLogStore;
  client: EndpointClient;
  policy: RetryPolicy;
  metrics: GatewayMetrics;
  /** Deliveries in flight per endpoint (EVENT_DELIVERY_CONCURRENCY). */
  concurrency: number;
  /**
   * The most jobs one endpoint's lane holds (waiting, delayed, running or held by a 410), the
   * gateway's EVENT_LOG_MAX_ENTRIES: past it a new delivery to that endpoint fails at once
   * (`queue full`) rather than growing memory or Redis without bound.
   */
  maxJobsPerLane: number;
  /** EVENT_RETENTION_SECONDS in ms: a job older than this (since its receipt) fails unsent. */
  retentionMs: number;
  now?: () => number;
}

/** How long the lanes' counts are reused by dispatch before they are read again. */
const LANE_COUNTS_TTL_MS = 1_000;
/** A lane's "queue full" is logged at most once per this. */
const QUEUE_FULL_LOG_EVERY_MS = 60_000;

/** A held lane's job comes back, as the same attempt, when the lane resumes. */
const HELD: DeliveryAttemptResult = { kind: 'hold' };
const DONE: DeliveryAttemptResult = { kind: 'done' };
/** The next attempt, as soon as the (paused) lane resumes. */
const AFTER_ENABLE: DeliveryAttemptResult = { kind: 'retry', delayMs: 0 };

/**
 * Pushing events to tenant endpoints (DESIGN §11): one queue job per subscribed endpoint, each
 * attempt signed at send time (Standard Webhooks, `webhook-id` = the event id on every attempt and
 * replay), POSTed through the one endpoint client, recorded, then retried on the schedule or
 * finished. A 410 disables the endpoint and holds its lane until `enable`.
 */
export class EventDeliveryService implements EventDeliveries {
  private readonly logger = new Logger('EventDeliveries');
  private readonly now: () => number;
  private laneCounts?: { at: number; held: Promise<Map<string, number>> };
  private readonly queueFullLoggedAt = new Map<string, number>();
  /** Set by `stop`: an attempt that fails from then on was cut by the shutdown, not the endpoint. */
  private stopping = false;

  constructor(private readonly deps: EventDeliveryServiceDeps) {
    this.now = deps.now ?? Date.now;
    deps.metrics.observeEventQueue(() => deps.queue.counts());
  }

  /** Holds the lanes of disabled endpoints, then runs every tenant endpoint's lane. */
  async start(): Promise<void> {
    const refs = this.deps.tenants.tenants.flatMap((tenant) =>
      (tenant.webhooks ?? []).map((endpoint) => refOf(tenant.id, endpoint.id)),
    );
    for (const ref of refs) {
      try {
        const state = await this.deps.store.endpointState(ref.tenantId, ref.endpointId);
        if (state.disabledAt) await this.deps.queue.pause(ref);
        else await this.deps.queue.resume(ref);
      } catch (error) {
        // The store is down at boot: the handler checks again before each attempt.
        this.logger.warn(
          `could not read whether endpoint ${ref.tenantId}/${ref.endpointId} is disabled: ${(error as Error).message}`,
        );
      }
    }
    await this.deps.queue.start(
      refs,
      (job, attempt) => this.attempt(job, attempt),
      this.deps.concurrency,
    );
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await this.deps.queue.close(graceMs);
    await this.deps.client.destroy();
  }

  async dispatch(event: GatewayEvent, receivedAtMs: number): Promise<void> {
    const tenant = this.deps.tenants.find(event.tenantId);
    const endpoints = (tenant?.webhooks ?? []).filter((endpoint) =>
      subscribes(endpoint, event.type),
    );
    if (!tenant || endpoints.length === 0) return;
    const ids = endpoints.map((endpoint) => endpoint.id);
    await this.deps.store.open(tenant.id, event.id, ids);
    const payload = JSON.stringify(event);
    await this.enqueue(
      ids.map((endpointId) => ({
        tenantId: tenant.id,
        endpointId,
        eventId: event.id,
        replay: 0,
        payload,
        receivedAtMs,
      })),
    );
  }

  /**
   * The jobs whose lane is full (it holds maxJobsPerLane jobs: an endpoint dead or disabled for
   * long) are failed at once, recorded and counted; the rest are returned to be queued. The lanes'
   * counts are reused for LANE_COUNTS_TTL_MS, so a lane may pass its bound by what arrives meanwhile.
   */
  private async refuseFull(jobs: readonly DeliveryJob[]): Promise<DeliveryJob[]> {
    const held = await this.heldPerLane();
    const accepted: DeliveryJob[] = [];
    for (const job of jobs) {
      const lane = `${job.tenantId}/${job.endpointId}`;
      if ((held.get(lane) ?? 0) < this.deps.maxJobsPerLane) {
        accepted.push(job);
        continue;
      }
      await this.deps.store.recordAttempt(
        {
          tenantId: job.tenantId,
          endpointId: job.endpointId,
          eventId: job.eventId,
          replay: job.replay,
        },
        {
          at: new Date(this.now()).toISOString(),
          error: `queue full: ${this.deps.maxJobsPerLane} deliveries already wait for this endpoint (EVENT_LOG_MAX_ENTRIES)`,
          durationMs: 0,
        },
        { state: 'failed' },
      );
      this.deps.metrics.countEventDelivery(job.tenantId, job.endpointId, 'failed');
      const loggedAt = this.queueFullLoggedAt.get(lane) ?? -Infinity;
      if (this.now() - loggedAt >= QUEUE_FULL_LOG_EVERY_MS) {
        this.queueFullLoggedAt.set(lane, this.now());
        this.logger.warn(
          `delivery queue of endpoint ${lane} is full (${this.deps.maxJobsPerLane} jobs): new deliveries to it fail until it drains (this line at most once a minute)`,
        );
      }
    }
    return accepted;
  }

  /** Jobs held per lane (`tenant/endpoint`), every state; empty when the queue cannot count. */
  private heldPerLane(): Promise<Map<string, number>> {
    const now = this.now();
    if (!this.laneCounts || now - this.laneCounts.at >= LANE_COUNTS_TTL_MS) {
      const held = this.deps.queue.counts().then(
        (counts) => {
          const byLane = new Map<string, number>();
          for (const count of counts) {
            const lane = `${count.tenantId}/${count.endpointId}`;
            byLane.set(lane, (byLane.get(lane) ?? 0) + count.count);
          }
          return byLane;
        },
        // Cannot count (Redis away): the enqueue that follows fails on its own if it must.
        () => new Map<string, number>(),
      );
      this.laneCounts = { at: now, held };
    }
    return this.laneCounts.held;
  }

  async deliveriesOf(tenantId: string, eventId: string): Promise<EventDelivery[]> {
    const tenant = this.deps.tenants.find(tenantId);
    if (!tenant) return [];
    const order = new Map((tenant.webhooks ?? []).map((endpoint, i) => [endpoint.id, i]));
    const rank = (id: string) => order.get(id) ?? order.size;
    const deliveries = await this.deps.store.deliveriesOf(tenantId, eventId);
    return deliveries.sort(
      (a, b) => rank(a.endpointId) - rank(b.endpointId) || a.endpointId.localeCompare(b.endpointId),
    );
  }

  async replay(
    tenantId: string,
    eventId: string,
    endpointIds?: readonly string[],
  ): Promise<ReplayResult | undefined> {
    const tenant = this.deps.tenants.find(tenantId);
    if (!tenant) return undefined;
    const event = await this.deps.log.get(tenantId, eventId);
    if (!event) return undefined;
    const endpoints = tenant.webhooks ?? [];
    let targets: readonly WebhookEndpoint[];
    if (endpointIds === undefined) {
      targets = endpoints.filter((endpoint) => subscribes(endpoint, event.type));
    } else {
      targets = [...new Set(endpointIds)].map((id) => {
        const endpoint = endpoints.find((candidate) => candidate.id === id);
        if (!endpoint) throw endpointNotFound(id);
        return endpoint;
      });
    }
    const payload = JSON.stringify(event);
    const receivedAtMs = this.now();
    const jobs: DeliveryJob[] = [];
    for (const endpoint of targets) {
      const replay = await this.deps.store.nextReplay(tenantId, eventId, endpoint.id);
      jobs.push({ tenantId, endpointId: endpoint.id, eventId, replay, payload, receivedAtMs });
    }
    await this.enqueue(jobs);
    return { eventId, endpointIds: targets.map((endpoint) => endpoint.id) };
  }

  async endpoints(tenantId: string): Promise<EndpointStatus[]> {
    const tenant = this.deps.tenants.find(tenantId);
    const endpoints = tenant?.webhooks ?? [];
    const states = await Promise.all(
      endpoints.map((endpoint) => this.deps.store.endpointState(tenantId, endpoint.id)),
    );
    return endpoints.map((endpoint, i) => statusOf(endpoint, states[i]));
  }

  async test(tenantId: string, endpointId: string): Promise<TestDeliveryResult | undefined> {
    const endpoint = this.find(tenantId, endpointId);
    if (!endpoint) return undefined;
    const event: GatewayEvent = {
      id: newEventId(),
      type: 'webhook.test',
      timestamp: new Date(this.now()).toISOString(),
      tenantId,
      data: { endpointId },
    };
    const answer = await this.send(endpoint, event.id, JSON.stringify(event));
    return {
      delivered: answer.ok,
      ...(answer.status !== undefined && { status: answer.status }),
      ...(answer.error !== undefined && { error: answer.error }),
      durationMs: answer.durationMs,
    };
  }

  async enable(tenantId: string, endpointId: string): Promise<EndpointStatus | undefined> {
    const endpoint = this.find(tenantId, endpointId);
    if (!endpoint) return undefined;
    const state = await this.deps.store.enable(tenantId, endpointId);
    await this.deps.queue.resume(refOf(tenantId, endpointId));
    this.logger.log(`webhook endpoint ${tenantId}/${endpointId} enabled`);
    return statusOf(endpoint, state);
  }

  /** The queue's handler: one attempt of one job, and what comes next. */
  async attempt(job: DeliveryJob, attempt: number): Promise<DeliveryAttemptResult> {
    const endpoint = this.find(job.tenantId, job.endpointId);
    if (!endpoint) {
      // Removed from the tenant file since the job was queued: nobody to deliver to.
      this.logger.warn(
        `dropping delivery of ${job.eventId} to ${job.tenantId}/${job.endpointId}: no such endpoint any more`,
      );
      return DONE;
    }
    const { store, queue, metrics } = this.deps;
    const ref = refOf(job.tenantId, job.endpointId);
    const delivery = { ...ref, eventId: job.eventId, replay: job.replay };
    if (this.now() - job.receivedAtMs > this.deps.retentionMs) {
      // Held (disabled, or retried) past the event's retention: its log entry is gone too.
      await store.recordAttempt(
        delivery,
        {
          at: new Date(this.now()).toISOString(),
          error: 'expired: not delivered within EVENT_RETENTION_SECONDS of its receipt',
          durationMs: 0,
        },
        { state: 'failed' },
      );
      metrics.countEventDelivery(job.tenantId, job.endpointId, 'failed');
      this.logger.warn(
        `delivery of ${job.eventId} to ${job.tenantId}/${job.endpointId} expired unsent (older than EVENT_RETENTION_SECONDS)`,
      );
      return DONE;
    }
    if ((await store.endpointState(job.tenantId, job.endpointId)).disabledAt) {
      // Disabled by another lane or replica while this job waited: hold it with the rest.
      await queue.pause(ref);
      return HELD;
    }
    const at = new Date(this.now()).toISOString();
    const answer = await this.send(endpoint, job.eventId, job.payload);
    if (!answer.ok && this.stopping) {
      // Most likely the shutdown destroying the client under it: nothing of it is the endpoint's.
      // Thrown, so the job is not finished: BullMQ has it run again; memory loses it (logged).
      throw new DeliveryInterruptedError(job);
    }
    const record: DeliveryAttempt = {
      at,
      ...(answer.status !== undefined && { status: answer.status }),
      ...(answer.error !== undefined && { error: answer.error }),
      durationMs: answer.durationMs,
    };
    if (answer.ok) {
      await store.recordAttempt(delivery, record, { state: 'delivered' });
      await store.succeeded(job.tenantId, job.endpointId, at);
      metrics.countEventDelivery(job.tenantId, job.endpointId, 'delivered');
      if (job.replay === 0) {
        metrics.observeEventDelivered(
          job.tenantId,
          job.endpointId,
          (this.now() - job.receivedAtMs) / 1_000,
        );
      }
      return DONE;
    }
    if (answer.status === 410) {
      await store.disable(job.tenantId, job.endpointId, at);
      await store.recordAttempt(delivery, record, { state: 'pending' });
      await queue.pause(ref);
      metrics.countEventDelivery(job.tenantId, job.endpointId, 'disabled');
      this.logger.warn(
        `webhook endpoint ${job.tenantId}/${job.endpointId} answered 410: disabled until POST /v1/webhook-endpoints/${job.endpointId}/enable`,
      );
      // The 410 was a real attempt: it counts as one of the schedule's; the next runs on enable.
      return AFTER_ENABLE;
    }
    await store.failed(job.tenantId, job.endpointId, at);
    const delayMs = this.deps.policy.delayAfter(attempt, answer);
    if (delayMs === undefined) {
      await store.recordAttempt(delivery, record, { state: 'failed' });
      metrics.countEventDelivery(job.tenantId, job.endpointId, 'failed');
      this.logger.warn(
        `delivery of ${job.eventId} to ${job.tenantId}/${job.endpointId} failed after ${attempt} attempt(s): ${answer.error}`,
      );
      return DONE;
    }
    await store.recordAttempt(delivery, record, {
      state: 'pending',
      nextAttemptAt: new Date(this.now() + delayMs).toISOString(),
    });
    metrics.countEventDelivery(job.tenantId, job.endpointId, 'retried');
    return { kind: 'retry', delayMs };
  }

  /** Signed now: the timestamp is the attempt's, the id the event's. */
  private send(
    endpoint: WebhookEndpoint,
    eventId: string,
    payload: string,
  ): Promise<EndpointAnswer> {
    const headers = webhookHeaders(
      eventId,
      Math.floor(this.now() / 1_000),
      payload,
      endpoint.secrets,
    );
    return this.deps.client.post(endpoint.url, payload, headers);
  }

  private find(tenantId: string, endpointId: string): WebhookEndpoint | undefined {
    const tenant: Tenant | undefined = this.deps.tenants.find(tenantId);
    return tenant?.webhooks?.find((endpoint) => endpoint.id === endpointId);
  }

  /** The queue's failure to store jobs is the store's outage: the receiver answers 503. */
  private async enqueue(all: readonly DeliveryJob[]): Promise<void> {
    if (all.length === 0) return;
    const jobs = await this.refuseFull(all);
    if (jobs.length === 0) return;
    try {
      await this.deps.queue.enqueue(jobs);
    } catch (error) {
      throw error instanceof StoreUnavailableError ? error : new StoreUnavailableError(error);
    }
  }
}

/** An attempt that failed while the gateway shuts down: not recorded, not counted, run again. */
export class DeliveryInterruptedError extends Error {
  constructor(job: DeliveryJob) {
    super(
      `delivery of ${job.eventId} to ${job.tenantId}/${job.endpointId} was cut by the shutdown; not recorded`,
    );
    this.name = 'DeliveryInterruptedError';
  }
}

/**
 * Whether an endpoint takes events of this type: listed, `message.*` for message types, or all
 * when it lists none. `webhook.test` is only ever sent by `test`, never dispatched.
 */
export function subscribes(endpoint: Pick<WebhookEndpoint, 'events'>, type: string): boolean {
  if (type === 'webhook.test') return false;
  return endpoint.events.length === 0 || subscribesTo(endpoint.events, type);
}

function refOf(tenantId: string, endpointId: string): EndpointRef {
  return { tenantId, endpointId };
}

function statusOf(endpoint: WebhookEndpoint, state: EndpointState): EndpointStatus {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: [...endpoint.events],
    state: state.disabledAt ? 'disabled' : 'enabled',
    ...(state.lastSuccessAt && { lastSuccessAt: state.lastSuccessAt }),
    ...(state.failingSince && { failingSince: state.failingSince }),
  };
}
