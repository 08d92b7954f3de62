import { subscribesTo } from '../../src/common/gateway-event-types';
import type {
  EndpointStatus,
  EventDeliveries,
  EventDelivery,
  ReplayResult,
  TestDeliveryResult,
} from '../../src/events/delivery/event-deliveries.interface';
import type { EventLogStore } from '../../src/events/event-log-store.interface';
import type { GatewayEvent } from '../../src/events/gateway-event';
import { endpointNotFound } from '../../src/events/event-routes.problems';

/** A secret the fake's endpoints carry, as the tenant file's would: no answer may ever show it. */
export const FAKE_ENDPOINT_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

type FakeEndpoint = EndpointStatus & { secrets: string[] };

/**
 * EVENT_DELIVERIES for the routes' tests, keeping the contract
 * (src/events/delivery/event-deliveries.interface.ts): scoped per tenant, undefined for another
 * tenant's ids. Its endpoints also carry `secrets` (as an implementation spreading the tenant
 * file's endpoint would), so a test can prove the routes never pass them on. Every call is recorded.
 */
export class FakeEventDeliveries implements EventDeliveries {
  /** The event log the gateway uses: replay knows an event, and its type, from it. */
  events?: EventLogStore;
  readonly calls: { method: string; args: unknown[] }[] = [];
  private readonly endpointsOf = new Map<string, FakeEndpoint[]>();
  private readonly deliveries = new Map<string, EventDelivery[]>();
  private readonly testResults = new Map<string, TestDeliveryResult>();

  setEndpoints(tenantId: string, endpoints: EndpointStatus[]): void {
    this.endpointsOf.set(
      tenantId,
      endpoints.map((endpoint) => ({ ...endpoint, secrets: [FAKE_ENDPOINT_SECRET] })),
    );
  }

  setDeliveries(tenantId: string, eventId: string, deliveries: EventDelivery[]): void {
    this.deliveries.set(`${tenantId}/${eventId}`, deliveries);
  }

  setTestResult(tenantId: string, endpointId: string, result: TestDeliveryResult): void {
    this.testResults.set(`${tenantId}/${endpointId}`, result);
  }

  /** The engine's lifecycle starts and stops whatever is bound to EVENT_DELIVERIES. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  callsOf(method: keyof EventDeliveries): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  dispatch(event: GatewayEvent, receivedAtMs: number): Promise<void> {
    this.calls.push({ method: 'dispatch', args: [event, receivedAtMs] });
    return Promise.resolve();
  }

  deliveriesOf(tenantId: string, eventId: string): Promise<EventDelivery[]> {
    this.calls.push({ method: 'deliveriesOf', args: [tenantId, eventId] });
    return Promise.resolve(this.deliveries.get(`${tenantId}/${eventId}`) ?? []);
  }

  async replay(
    tenantId: string,
    eventId: string,
    endpointIds?: readonly string[],
  ): Promise<ReplayResult | undefined> {
    this.calls.push({ method: 'replay', args: [tenantId, eventId, endpointIds] });
    const event = await this.events?.get(tenantId, eventId);
    if (!event) return undefined;
    const endpoints = this.endpointsOf.get(tenantId) ?? [];
    const unknown = endpointIds?.find((id) => !endpoints.some((endpoint) => endpoint.id === id));
    if (unknown !== undefined) {
      throw endpointNotFound(unknown);
    }
    const chosen =
      endpointIds ??
      endpoints.filter((endpoint) => subscribesTo(endpoint.events, event.type)).map(({ id }) => id);
    return { eventId, endpointIds: [...chosen] };
  }

  endpoints(tenantId: string): Promise<EndpointStatus[]> {
    this.calls.push({ method: 'endpoints', args: [tenantId] });
    return Promise.resolve(this.endpointsOf.get(tenantId) ?? []);
  }

  test(tenantId: string, endpointId: string): Promise<TestDeliveryResult | undefined> {
    this.calls.push({ method: 'test', args: [tenantId, endpointId] });
    if (!this.find(tenantId, endpointId)) return Promise.resolve(undefined);
    return Promise.resolve(
      this.testResults.get(`${tenantId}/${endpointId}`) ?? {
        delivered: true,
        status: 204,
        durationMs: 12,
      },
    );
  }

  enable(tenantId: string, endpointId: string): Promise<EndpointStatus | undefined> {
    this.calls.push({ method: 'enable', args: [tenantId, endpointId] });
    const endpoint = this.find(tenantId, endpointId);
    if (endpoint) endpoint.state = 'enabled';
    return Promise.resolve(endpoint);
  }

  private find(tenantId: string, endpointId: string): FakeEndpoint | undefined {
    return this.endpointsOf.get(tenantId)?.find((endpoint) => endpoint.id === endpointId);
  }
}
