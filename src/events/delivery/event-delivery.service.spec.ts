import { deliveredEvent, eventId } from '../../../test/support/event-log-store.contract';
import { generateWebhookSecret } from '../../common/webhook-secret';
import { Secret } from '../../common/secret';
import { GatewayMetrics } from '../../metrics/gateway.metrics';
import { ProblemException } from '../../problems/problem.exception';
import { StoreUnavailableError } from '../../redis/store-unavailable.error';
import type { Tenant, WebhookEndpoint } from '../../tenants/tenant';
import { TenantRegistry } from '../../tenants/tenant-registry';
import type { GatewayEvent } from '../gateway-event';
import { MemoryEventLogStore } from '../memory-event-log.store';
import { verifyWebhook } from '../signing/standard-webhooks';
import type { EndpointAnswer, EndpointClient } from './endpoint.client';
import { EventDeliveryService, subscribes } from './event-delivery.service';
import { MemoryDeliveryStore } from './memory-delivery.store';
import { MemoryEventDeliveryQueue } from './memory-event-delivery.queue';
import { RetryPolicy } from './retry-policy';

const SECRET = generateWebhookSecret();
const endpoint = (id: string, events: string[] = []): WebhookEndpoint => ({
  id,
  url: `http://127.0.0.1:9/${id}`,
  events,
  secrets: [new Secret(SECRET)],
});
const tenant = (id: string, webhooks: WebhookEndpoint[]) =>
  ({
    id,
    blooio: {
      apiKey: new Secret('k'),
      keyId: id,
      webhook: { signingSecrets: [], inboundNumbers: [] },
    },
    webhooks,
    maxRecipients: 10,
    rateLimit: { perSecond: 1, perMinute: 1 },
  }) as Tenant;

interface Sent {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** A client whose answers are scripted per endpoint URL; every POST is kept. */
class ScriptedClient {
  readonly sent: Sent[] = [];
  private readonly scripts = new Map<string, Partial<EndpointAnswer>[]>();

  answer(id: string, ...answers: Partial<EndpointAnswer>[]): void {
    this.scripts.set(`http://127.0.0.1:9/${id}`, answers);
  }

  post(url: string, body: string, headers: Record<string, string>): Promise<EndpointAnswer> {
    this.sent.push({ url, body, headers });
    const script = this.scripts.get(url) ?? [];
    const next = script.length > 1 ? script.shift()! : (script[0] ?? { status: 204 });
    const status = next.status;
    const ok = status !== undefined && status >= 200 && status < 300;
    return Promise.resolve({
      ok,
      ...(status !== undefined && { status }),
      ...(!ok && { error: next.error ?? `HTTP ${status}` }),
      durationMs: 3,
      ...(next.retryAfter && { retryAfter: next.retryAfter }),
    });
  }

  to(id: string): Sent[] {
    return this.sent.filter((sent) => sent.url.endsWith(`/${id}`));
  }

  destroy(): Promise<void> {
    return Promise.resolve();
  }
}

function setUp(
  schedule = [10, 20],
  limits: { maxJobsPerLane?: number; retentionMs?: number; now?: () => number } = {},
) {
  const registry = new TenantRegistry(
    [
      tenant('acme', [
        endpoint('crm', ['message.received', 'message.*']),
        endpoint('billing', ['message.delivered']),
        endpoint('audit'),
        endpoint('inbox', ['message.received']),
      ]),
      tenant('globex', [endpoint('crm')]),
    ],
    new Map(),
  );
  const queue = new MemoryEventDeliveryQueue({ finishedRetentionMs: 60_000 });
  const store = new MemoryDeliveryStore(1_000, 60_000);
  const log = new MemoryEventLogStore(1_000, 60_000);
  const client = new ScriptedClient();
  const metrics = new GatewayMetrics();
  const service = new EventDeliveryService({
    tenants: registry,
    queue,
    store,
    log,
    client: client as unknown as EndpointClient,
    policy: new RetryPolicy(schedule, () => 0.5),
    metrics,
    concurrency: 2,
    maxJobsPerLane: limits.maxJobsPerLane ?? 1_000,
    retentionMs: limits.retentionMs ?? 60_000,
    ...(limits.now && { now: limits.now }),
  });
  const receive = async (event: GatewayEvent) => {
    await log.insert(event, Date.now());
    await service.dispatch(event, Date.now());
  };
  return { service, queue, store, log, client, metrics, receive };
}

const EVENT = deliveredEvent('svc', { tenantId: 'acme' });

/** acme's endpoint as GET /v1/webhook-endpoints lists it. */
async function endpointStatus(s: { service: EventDeliveryService }, id: string) {
  return (await s.service.endpoints('acme')).find((endpoint) => endpoint.id === id);
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const stateOf = async (s: ReturnType<typeof setUp>, endpointId: string, id = EVENT.id) =>
  (await s.service.deliveriesOf('acme', id)).find((d) => d.endpointId === endpointId);

describe('subscribes', () => {
  it('takes exact types, message.* for message types, and everything when empty', () => {
    expect(subscribes({ events: [] }, 'message.read')).toBe(true);
    expect(subscribes({ events: ['message.*'] }, 'message.read')).toBe(true);
    expect(subscribes({ events: ['message.*'] }, 'webhook.test')).toBe(false);
    expect(subscribes({ events: [] }, 'webhook.test')).toBe(false);
    expect(subscribes({ events: ['webhook.test'] }, 'webhook.test')).toBe(false);
    expect(subscribes({ events: ['message.sent'] }, 'message.read')).toBe(false);
    expect(subscribes({ events: ['message.sent', 'message.read'] }, 'message.read')).toBe(true);
  });
});

describe('EventDeliveryService', () => {
  let s: ReturnType<typeof setUp>;
  afterEach(async () => {
    await s.service.stop(100);
  });

  it('queues the event for each subscribed endpoint, signed per Standard Webhooks with webhook-id = event id', async () => {
    s = setUp();
    await s.service.start();
    await s.receive(EVENT);
    await until(() => s.client.sent.length === 3);
    expect(s.client.sent.map((sent) => sent.url.split('/').pop()).sort()).toEqual([
      'audit',
      'billing',
      'crm',
    ]);
    for (const sent of s.client.sent) {
      expect(sent.body).toBe(JSON.stringify(EVENT));
      expect(sent.headers['webhook-id']).toBe(EVENT.id);
      expect(verifyWebhook(sent.headers, sent.body, [new Secret(SECRET)])).toMatchObject({
        valid: true,
        id: EVENT.id,
      });
      expect(Math.abs(Number(sent.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(
        5,
      );
    }
    await until(async () => (await stateOf(s, 'crm'))?.state === 'delivered');
    expect((await s.service.deliveriesOf('acme', EVENT.id)).map((d) => d.endpointId)).toEqual([
      'crm',
      'billing',
      'audit',
    ]);
    const crm = await endpointStatus(s, 'crm');
    expect(crm).toMatchObject({ id: 'crm', state: 'enabled', lastSuccessAt: expect.any(String) });
    expect(JSON.stringify(await s.service.endpoints('acme'))).not.toContain(SECRET);
    // The same event dispatched again (Blooio's retry, another replica) queues nothing new.
    await s.service.dispatch(EVENT, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(s.client.sent).toHaveLength(3);
    const metric = await s.metrics.registry.getSingleMetricAsString('bgw_event_deliveries_total');
    expect(metric).toContain('{tenant="acme",endpoint="crm",outcome="delivered"} 1');
    const seconds = await s.metrics.registry.getSingleMetricAsString('bgw_event_delivery_seconds');
    expect(seconds).toContain('bgw_event_delivery_seconds_count{tenant="acme",endpoint="crm"} 1');
  });

  it('retries failures on the schedule with the same bytes and webhook-id, then delivers', async () => {
    s = setUp([10, 20, 30]);
    s.client.answer('audit', { status: 500 }, { error: 'connection refused' }, { status: 204 });
    await s.service.start();
    await s.receive(EVENT);
    await until(async () => (await stateOf(s, 'audit'))?.state === 'delivered');
    const sent = s.client.to('audit');
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((x) => x.body)).size).toBe(1);
    expect(new Set(sent.map((x) => x.headers['webhook-id']))).toEqual(new Set([EVENT.id]));
    const audit = await stateOf(s, 'audit');
    expect(audit!.attempts.map((a) => a.status ?? a.error)).toEqual([
      500,
      'connection refused',
      204,
    ]);
    expect(audit!.attempts[0]).toEqual({
      at: expect.stringMatching(/Z$/),
      status: 500,
      error: 'HTTP 500',
      durationMs: 3,
    });
    expect(audit).not.toHaveProperty('nextAttemptAt');
    const status = await endpointStatus(s, 'audit');
    expect(status).not.toHaveProperty('failingSince');
    const metric = await s.metrics.registry.getSingleMetricAsString('bgw_event_deliveries_total');
    expect(metric).toContain('{tenant="acme",endpoint="audit",outcome="retried"} 2');
  });

  it('shows the next attempt while a retry is scheduled, then fails after the last wait', async () => {
    s = setUp([10, 400]);
    s.client.answer('audit', { status: 503, retryAfter: '0' });
    await s.service.start();
    await s.receive(EVENT);
    await until(async () => (await stateOf(s, 'audit'))?.attempts.length === 2);
    const waiting = await stateOf(s, 'audit');
    expect(waiting!.state).toBe('pending');
    expect(Date.parse(waiting!.nextAttemptAt!) - Date.now()).toBeGreaterThan(200);
    await until(async () => (await stateOf(s, 'audit'))?.state === 'failed');
    const failed = await stateOf(s, 'audit');
    expect(failed!.attempts).toHaveLength(3);
    expect(failed).not.toHaveProperty('nextAttemptAt');
    expect(await endpointStatus(s, 'audit')).toMatchObject({
      state: 'enabled',
      failingSince: failed!.attempts[0].at,
    });
    const metric = await s.metrics.registry.getSingleMetricAsString('bgw_event_deliveries_total');
    expect(metric).toContain('{tenant="acme",endpoint="audit",outcome="failed"} 1');
  });

  it('disables an endpoint on 410 and holds its deliveries until it is enabled', async () => {
    s = setUp();
    s.client.answer('audit', { status: 410 }, { status: 200 });
    await s.service.start();
    await s.receive(EVENT);
    await until(async () => (await endpointStatus(s, 'audit'))?.state === 'disabled');
    const second = deliveredEvent('svc-2', { tenantId: 'acme' });
    await s.receive(second);
    await until(async () => (await stateOf(s, 'crm', second.id))?.state === 'delivered');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(s.client.to('audit')).toHaveLength(1);
    expect((await stateOf(s, 'audit'))!.state).toBe('pending');
    expect((await stateOf(s, 'audit', second.id))!.state).toBe('pending');
    expect(await s.queue.counts()).toContainEqual({
      tenantId: 'acme',
      endpointId: 'audit',
      state: 'paused',
      count: 2,
    });
    expect(await s.service.enable('acme', 'audit')).toMatchObject({ state: 'enabled' });
    await until(async () => (await stateOf(s, 'audit', second.id))?.state === 'delivered');
    await until(async () => (await stateOf(s, 'audit'))?.state === 'delivered');
    expect(s.client.to('audit')).toHaveLength(3);
  });

  it('replays with the same webhook-id, to every subscribed endpoint or to those named', async () => {
    s = setUp([5]);
    s.client.answer('billing', { status: 500 }, { status: 500 }, { status: 200 });
    await s.service.start();
    await s.receive(EVENT);
    await until(async () => (await stateOf(s, 'billing'))?.state === 'failed');
    await expect(s.service.replay('acme', EVENT.id, ['billing'])).resolves.toEqual({
      eventId: EVENT.id,
      endpointIds: ['billing'],
    });
    await until(async () => (await stateOf(s, 'billing'))?.state === 'delivered');
    const billing = s.client.to('billing');
    expect(billing).toHaveLength(3);
    expect(new Set(billing.map((x) => x.headers['webhook-id']))).toEqual(new Set([EVENT.id]));
    expect(new Set(billing.map((x) => x.body)).size).toBe(1);
    const all = await s.service.replay('acme', EVENT.id);
    expect(all!.endpointIds).toEqual(['crm', 'billing', 'audit']);
    await until(() => s.client.sent.length === 3 + 2 + 3);
  });

  it('answers unknown events, endpoints and other tenants like unknown ones', async () => {
    s = setUp();
    await s.service.start();
    await s.receive(EVENT);
    await expect(s.service.replay('globex', EVENT.id)).resolves.toBeUndefined();
    await expect(s.service.replay('acme', eventId('nope'))).resolves.toBeUndefined();
    const sent = s.client.sent.length;
    await expect(s.service.replay('acme', EVENT.id, ['crm', 'nope'])).rejects.toMatchObject({
      code: 'endpoint_not_found',
      problem: { detail: 'No webhook endpoint nope for this tenant' },
    } satisfies Partial<ProblemException>);
    // Nothing queued, not even to the known one.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(s.client.sent).toHaveLength(sent);
    await expect(s.service.deliveriesOf('globex', EVENT.id)).resolves.toEqual([]);
    await expect(s.service.test('globex', 'audit')).resolves.toBeUndefined();
    await expect(s.service.enable('nobody', 'crm')).resolves.toBeUndefined();
    await expect(s.service.endpoints('nobody')).resolves.toEqual([]);
  });

  it('sends a signed webhook.test now, outside the queue, and answers its result', async () => {
    s = setUp();
    s.client.answer('inbox', { status: 500 });
    await s.service.start();
    const result = await s.service.test('acme', 'inbox');
    expect(result).toEqual({ delivered: false, status: 500, error: 'HTTP 500', durationMs: 3 });
    const [sent] = s.client.to('inbox');
    const event = JSON.parse(sent.body) as GatewayEvent;
    expect(event).toMatchObject({
      type: 'webhook.test',
      tenantId: 'acme',
      data: { endpointId: 'inbox' },
    });
    expect(sent.headers['webhook-id']).toBe(event.id);
    expect(verifyWebhook(sent.headers, sent.body, [new Secret(SECRET)]).valid).toBe(true);
    await expect(s.service.deliveriesOf('acme', event.id)).resolves.toEqual([]);
    await expect(s.service.test('acme', 'crm')).resolves.toMatchObject({
      delivered: true,
      status: 204,
    });
  });

  it('rejects a dispatch the queue cannot store with StoreUnavailableError', async () => {
    s = setUp();
    await s.service.start();
    jest.spyOn(s.queue, 'enqueue').mockRejectedValueOnce(new Error('Redis is down'));
    await expect(s.service.dispatch(EVENT, Date.now())).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    // An event no endpoint takes (webhook.test is never dispatched) queues nothing.
    const test = { ...EVENT, type: 'webhook.test', data: { endpointId: 'x' } } as GatewayEvent;
    jest.spyOn(s.queue, 'enqueue').mockRejectedValueOnce(new Error('Redis is down'));
    await s.service.dispatch({ ...test, tenantId: 'globex' }, Date.now());
  });

  it('gauges the queue per endpoint and state at scrape time, and scrapes without it when it fails', async () => {
    s = setUp();
    await s.service.start();
    await s.store.disable('acme', 'audit', new Date().toISOString());
    await s.queue.pause({ tenantId: 'acme', endpointId: 'audit' });
    await s.receive(EVENT);
    const gauge = await s.metrics.registry.getSingleMetricAsString('bgw_event_queue_jobs');
    expect(gauge).toContain(
      'bgw_event_queue_jobs{tenant="acme",endpoint="audit",state="paused"} 1',
    );
    expect(gauge).toContain(
      'bgw_event_queue_jobs{tenant="globex",endpoint="crm",state="waiting"} 0',
    );
    jest.spyOn(s.queue, 'counts').mockRejectedValueOnce(new StoreUnavailableError('down'));
    const scrape = await s.metrics.render();
    expect(scrape).toContain('bgw_event_deliveries_total');
    expect(scrape).not.toMatch(/^bgw_event_queue_jobs\{/m);
  });

  it('holds the lanes of endpoints disabled before the boot', async () => {
    s = setUp();
    await s.store.disable('acme', 'audit', new Date().toISOString());
    await s.service.start();
    await s.receive(EVENT);
    await until(async () => (await stateOf(s, 'crm'))?.state === 'delivered');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(s.client.to('audit')).toHaveLength(0);
    await s.service.enable('acme', 'audit');
    await until(async () => (await stateOf(s, 'audit'))?.state === 'delivered');
  });

  it('fails a delivery at once when its endpoint already holds maxJobsPerLane jobs, logged once and counted', async () => {
    let offsetMs = 0;
    s = setUp([10], { maxJobsPerLane: 2, now: () => Date.now() + offsetMs });
    await s.store.disable('acme', 'audit', new Date().toISOString());
    await s.service.start();
    const warn = jest.spyOn(s.service['logger'], 'warn').mockImplementation(() => undefined);
    const events = ['full-1', 'full-2', 'full-3', 'full-4'].map((id) =>
      deliveredEvent(id, { tenantId: 'acme' }),
    );
    for (const event of events) {
      offsetMs += 2_000; // past the counts' reuse
      await s.receive(event);
    }
    expect(await s.queue.counts()).toContainEqual({
      tenantId: 'acme',
      endpointId: 'audit',
      state: 'paused',
      count: 2,
    });
    for (const event of events.slice(2)) {
      const audit = await stateOf(s, 'audit', event.id);
      expect(audit).toMatchObject({ state: 'failed' });
      expect(audit!.attempts).toEqual([
        { at: expect.any(String), error: expect.stringMatching(/^queue full: 2 /), durationMs: 0 },
      ]);
    }
    expect((await stateOf(s, 'audit', events[1].id))!.state).toBe('pending');
    // The other endpoints' lanes are not full: delivered.
    await until(async () => (await stateOf(s, 'crm', events[3].id))?.state === 'delivered');
    const full = warn.mock.calls.filter(([line]) => String(line).includes('is full'));
    expect(full).toHaveLength(1);
    const metric = await s.metrics.registry.getSingleMetricAsString('bgw_event_deliveries_total');
    expect(metric).toContain('{tenant="acme",endpoint="audit",outcome="failed"} 2');
  });

  it('fails unsent a job older than the retention (since its receipt)', async () => {
    s = setUp([10], { retentionMs: 60_000 });
    await s.service.start();
    await s.log.insert(EVENT, Date.now());
    await s.service.dispatch(EVENT, Date.now() - 61_000);
    await until(async () => (await stateOf(s, 'audit'))?.state === 'failed');
    expect(s.client.to('audit')).toHaveLength(0);
    expect((await stateOf(s, 'audit'))!.attempts[0].error).toMatch(/^expired/);
    const metric = await s.metrics.registry.getSingleMetricAsString('bgw_event_deliveries_total');
    expect(metric).toContain('{tenant="acme",endpoint="audit",outcome="failed"} 1');
  });

  it('records nothing of an attempt the shutdown cuts (the client destroyed under it)', async () => {
    s = setUp([10]);
    let cut: (() => void) | undefined;
    const post = s.client.post.bind(s.client);
    jest.spyOn(s.client, 'post').mockImplementation((url, body, headers) => {
      if (!url.endsWith('/audit')) return post(url, body, headers);
      s.client.sent.push({ url, body, headers });
      // What the real client answers when destroyed mid-request.
      return new Promise((resolve) => {
        cut = () =>
          resolve({ ok: false, error: 'network error (UND_ERR_DESTROYED)', durationMs: 9 });
      });
    });
    jest.spyOn(s.client, 'destroy').mockImplementation(() => {
      cut?.();
      return Promise.resolve();
    });
    await s.service.start();
    await s.receive(EVENT);
    await until(() => s.client.to('audit').length === 1);
    await s.service.stop(20);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await stateOf(s, 'audit')).toMatchObject({ state: 'pending', attempts: [] });
    expect(await s.store.endpointState('acme', 'audit')).toEqual({});
    const metric = await s.metrics.registry.getSingleMetricAsString('bgw_event_deliveries_total');
    expect(metric).not.toContain('endpoint="audit"');
  });

  it('holds a job found with its endpoint disabled without using up an attempt of the schedule', async () => {
    s = setUp([10]); // two attempts
    s.client.answer('audit', { status: 500 }, { status: 200 });
    // Disabled by another replica: this one's lane is not paused yet, so the job runs and holds.
    await s.service.start();
    await s.store.disable('acme', 'audit', new Date().toISOString());
    await s.receive(EVENT);
    await until(async () =>
      (await s.queue.counts()).some(
        (count) => count.endpointId === 'audit' && count.state === 'paused' && count.count === 1,
      ),
    );
    expect(s.client.to('audit')).toHaveLength(0);
    await s.service.enable('acme', 'audit');
    await until(async () => (await stateOf(s, 'audit'))?.state === 'delivered');
    expect((await stateOf(s, 'audit'))!.attempts.map((a) => a.status)).toEqual([500, 200]);
  });
});
