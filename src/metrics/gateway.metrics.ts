import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CircuitState, UpstreamOutcome, WebhookOutcome } from './metric-labels';

const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Blooio answers in hundreds of milliseconds (a device is behind it); the gateway in a few. */
const UPSTREAM_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A tenant endpoint answers in milliseconds when healthy; after retries, hours (up to 10 h waits). */
const EVENT_DELIVERY_BUCKETS = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1_800, 3_600, 7_200, 21_600, 43_200, 86_400,
];

/** How a delivery attempt to a tenant endpoint ended, as `bgw_event_deliveries_total` counts it. */
export type EventDeliveryOutcome = 'delivered' | 'retried' | 'failed' | 'disabled';

/** Jobs of one endpoint's lane in one state, as the delivery queue counts them. */
export interface EventQueueCount {
  tenantId: string;
  endpointId: string;
  state: string;
  count: number;
}

/**
 * Every Prometheus metric of the gateway, on a registry of its own (so that two gateways in one
 * process, as in the tests, never share counters). Tenant labels are tenant ids from the tenant
 * file, a bounded set; never keys. Route labels are route patterns, never raw URLs.
 */
@Injectable()
export class GatewayMetrics {
  readonly registry = new Registry();
  private circuitStates: () => Iterable<[string, CircuitState]> = () => [];
  private eventQueueCounts: () => Promise<readonly EventQueueCount[]> = () => Promise.resolve([]);

  readonly httpRequests = new Counter({
    name: 'bgw_http_requests_total',
    help: 'HTTP requests answered, by route pattern, status and tenant ("none" before auth)',
    labelNames: ['method', 'route', 'status', 'tenant'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'bgw_http_request_duration_seconds',
    help: 'Time from request to answer, by route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  readonly problems = new Counter({
    name: 'bgw_http_problems_total',
    help: 'Error answers by problem code and tenant',
    labelNames: ['code', 'tenant'] as const,
    registers: [this.registry],
  });

  readonly rateLimitRejections = new Counter({
    name: 'bgw_rate_limit_rejections_total',
    help: "Requests refused by a tenant's own rate limit (429 rate_limited)",
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  readonly idempotencyReplays = new Counter({
    name: 'bgw_idempotency_replays_total',
    help: 'Requests answered from an idempotency record, without calling Blooio',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  readonly idempotencyConflicts = new Counter({
    name: 'bgw_idempotency_conflicts_total',
    help: 'Idempotency-Key conflicts: in_use (409, first still running) or reused (422)',
    labelNames: ['tenant', 'reason'] as const,
    registers: [this.registry],
  });

  readonly messageRecordsFailed = new Counter({
    name: 'bgw_message_records_failed_total',
    help: 'Messages Blooio accepted whose record could not be written (the send still answered 202)',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  readonly upstreamDuration = new Histogram({
    name: 'bgw_upstream_request_duration_seconds',
    help: 'One HTTP call to Blooio, by tenant and outcome',
    labelNames: ['tenant', 'outcome'] as const,
    buckets: UPSTREAM_BUCKETS,
    registers: [this.registry],
  });

  readonly upstreamRetries = new Counter({
    name: 'bgw_upstream_retries_total',
    help: 'Calls to Blooio repeated after a retryable failure',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  readonly circuitRejections = new Counter({
    name: 'bgw_upstream_circuit_rejections_total',
    help: "Sends refused at once because the tenant's circuit to Blooio was open",
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  readonly webhooksReceived = new Counter({
    name: 'bgw_webhooks_received_total',
    help: 'Blooio webhook deliveries by path tenant ("unknown" if none), Blooio event ("other" if not one the gateway uses) and outcome',
    labelNames: ['tenant', 'event', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly eventDeliveries = new Counter({
    name: 'bgw_event_deliveries_total',
    help: 'Delivery attempts to tenant webhook endpoints by outcome: delivered (2xx), retried (to be tried again), failed (the last attempt failed), disabled (410)',
    labelNames: ['tenant', 'endpoint', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly eventDeliverySeconds = new Histogram({
    name: 'bgw_event_delivery_seconds',
    help: "From the gateway receiving an event to the tenant endpoint's 2xx, retries included (first deliveries, not replays)",
    labelNames: ['tenant', 'endpoint'] as const,
    buckets: EVENT_DELIVERY_BUCKETS,
    registers: [this.registry],
  });

  readonly eventQueueJobs = new Gauge({
    name: 'bgw_event_queue_jobs',
    help: 'Delivery jobs per tenant endpoint by state (waiting, delayed, active, paused), read from the queue at scrape time',
    labelNames: ['tenant', 'endpoint', 'state'] as const,
    registers: [this.registry],
    collect: async () => {
      let counts: readonly EventQueueCount[];
      try {
        counts = await this.eventQueueCounts();
      } catch {
        // The queue's store does not answer: no numbers rather than a failed scrape (bgw_redis_up says why).
        this.eventQueueJobs.reset();
        return;
      }
      this.eventQueueJobs.reset();
      for (const { tenantId, endpointId, state, count } of counts) {
        this.eventQueueJobs.set({ tenant: tenantId, endpoint: endpointId, state }, count);
      }
    },
  });

  readonly circuitState = new Gauge({
    name: 'bgw_upstream_circuit_state',
    help: 'Circuit breaker to Blooio per tenant: 0 closed, 1 half-open, 2 open',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
    collect: () => {
      this.circuitState.reset();
      for (const [tenant, state] of this.circuitStates()) {
        this.circuitState.set({ tenant }, CIRCUIT_STATE_VALUE[state]);
      }
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** One HTTP call to Blooio, as long as it took. */
  observeUpstream(tenant: string, outcome: UpstreamOutcome, seconds: number): void {
    this.upstreamDuration.observe({ tenant, outcome }, seconds);
  }

  /** One Blooio webhook delivery, once its outcome is known (a re-checked one when decided). */
  countWebhook(tenant: string, event: string, outcome: WebhookOutcome): void {
    this.webhooksReceived.inc({ tenant, event, outcome });
  }

  /** One attempt to a tenant endpoint, by how it ended. */
  countEventDelivery(tenant: string, endpoint: string, outcome: EventDeliveryOutcome): void {
    this.eventDeliveries.inc({ tenant, endpoint, outcome });
  }

  /** An event delivered: from its receipt to the endpoint's 2xx. */
  observeEventDelivered(tenant: string, endpoint: string, seconds: number): void {
    this.eventDeliverySeconds.observe({ tenant, endpoint }, Math.max(0, seconds));
  }

  /** The delivery queue lives in events/; the gauge asks it for its counts when scraped. */
  observeEventQueue(counts: () => Promise<readonly EventQueueCount[]>): void {
    this.eventQueueCounts = counts;
  }

  /** The breakers live in the sender; the gauge reads their states when scraped. */
  observeCircuits(states: () => Iterable<[string, CircuitState]>): void {
    this.circuitStates = states;
  }

  /**
   * Only a gateway configured with Redis has this gauge (absent is not the same as down). Each
   * scrape pings: a hung Redis keeps its connection "ready" but answers nothing.
   */
  observeRedis(ping: () => Promise<boolean>): void {
    new Gauge({
      name: 'bgw_redis_up',
      help: '1 when Redis answered a PING at scrape time (only when REDIS_URL is set)',
      registers: [this.registry],
      async collect() {
        this.set((await ping()) ? 1 : 0);
      },
    });
  }

  /** Prometheus text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
