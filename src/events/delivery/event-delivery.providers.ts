import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { appConfig, type AppConfig } from '../../config/app.config';
import { eventsConfig, type EventsConfig } from '../../config/events.config';
import { GatewayMetrics } from '../../metrics/gateway.metrics';
import { RedisConnection } from '../../redis/redis.connection';
import { TenantRegistry } from '../../tenants/tenant-registry';
import { EVENT_LOG_STORE, type EventLogStore } from '../event-log-store.interface';
import { DELIVERY_STORE, type DeliveryStore } from './delivery-store.interface';
import { EndpointClient } from './endpoint.client';
import { EVENT_DELIVERIES } from './event-deliveries.interface';
import { EVENT_DELIVERY_QUEUE, type EventDeliveryQueue } from './event-delivery-queue.interface';
import { EventDeliveryService } from './event-delivery.service';
import { MemoryDeliveryStore } from './memory-delivery.store';
import { RedisDeliveryStore } from './redis-delivery.store';
import { RetryPolicy } from './retry-policy';

/**
 * Starts every endpoint's lane once the app is up, and is the one owner of the queue's close
 * (EventDeliveryQueueModule's EVENT_DELIVERY_QUEUE): at application shutdown, that is after the
 * HTTP listener has closed and its requests drained (nothing enqueues any more, so no webhook is
 * answered 503 for a closed queue), and before the global RedisModule's own shutdown hook (global
 * modules' hooks run last), so that attempts finishing within the grace still record into Redis.
 */
@Injectable()
export class EventDeliveryLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(EVENT_DELIVERIES) private readonly deliveries: EventDeliveryService,
    @Inject(eventsConfig.KEY) private readonly events: EventsConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.deliveries.start();
  }

  /** Running attempts get min(EVENT_DELIVERY_TIMEOUT_MS, SHUTDOWN_GRACE_MS) to finish. */
  onApplicationShutdown(): Promise<void> {
    return this.deliveries.stop(Math.min(this.events.deliveryTimeoutMs, this.app.shutdownGraceMs));
  }
}

/** What EventsModule needs to push events to tenant endpoints (DESIGN §11). */
export const EVENT_DELIVERY_PROVIDERS: Provider[] = [
  {
    provide: DELIVERY_STORE,
    inject: [eventsConfig.KEY, RedisConnection],
    useFactory: (config: EventsConfig, redis: RedisConnection): DeliveryStore => {
      const ttlMs = config.eventRetentionSeconds * 1_000;
      return redis.client
        ? new RedisDeliveryStore(redis.client, ttlMs)
        : new MemoryDeliveryStore(config.eventLogMaxEntries, ttlMs);
    },
  },
  {
    provide: EVENT_DELIVERIES,
    inject: [
      eventsConfig.KEY,
      TenantRegistry,
      EVENT_DELIVERY_QUEUE,
      DELIVERY_STORE,
      EVENT_LOG_STORE,
      GatewayMetrics,
    ],
    useFactory: (
      config: EventsConfig,
      tenants: TenantRegistry,
      queue: EventDeliveryQueue,
      store: DeliveryStore,
      log: EventLogStore,
      metrics: GatewayMetrics,
    ) =>
      new EventDeliveryService({
        tenants,
        queue,
        store,
        log,
        metrics,
        client: new EndpointClient({ timeoutMs: config.deliveryTimeoutMs }),
        policy: new RetryPolicy(config.retryScheduleMs),
        concurrency: config.deliveryConcurrency,
        maxJobsPerLane: config.eventLogMaxEntries,
        retentionMs: config.eventRetentionSeconds * 1_000,
      }),
  },
  EventDeliveryLifecycle,
];
