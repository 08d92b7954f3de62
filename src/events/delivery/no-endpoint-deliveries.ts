import type {
  EndpointStatus,
  EventDeliveries,
  EventDelivery,
  ReplayResult,
  TestDeliveryResult,
} from './event-deliveries.interface';

/**
 * EVENT_DELIVERIES until the delivery engine is bound in its place: a gateway that pushes to no
 * endpoint. Nothing is queued, so no event has deliveries, no tenant has an endpoint, and a replay
 * queues the event for none. (Only the routes' wiring depends on it; the engine replaces it.)
 */
export class NoEndpointDeliveries implements EventDeliveries {
  dispatch(): Promise<void> {
    return Promise.resolve();
  }

  deliveriesOf(): Promise<EventDelivery[]> {
    return Promise.resolve([]);
  }

  replay(_tenantId: string, eventId: string): Promise<ReplayResult | undefined> {
    return Promise.resolve({ eventId, endpointIds: [] });
  }

  endpoints(): Promise<EndpointStatus[]> {
    return Promise.resolve([]);
  }

  endpoint(): Promise<EndpointStatus | undefined> {
    return Promise.resolve(undefined);
  }

  test(): Promise<TestDeliveryResult | undefined> {
    return Promise.resolve(undefined);
  }

  enable(): Promise<EndpointStatus | undefined> {
    return Promise.resolve(undefined);
  }
}
