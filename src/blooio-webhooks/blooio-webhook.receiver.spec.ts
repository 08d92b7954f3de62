import { Logger } from '@nestjs/common';
import { outboundRecord } from '../../test/support/message-record.fixture';
import { receiverTenant } from '../../test/support/tenants.fixture';
import type { EventDeliveries } from '../events/delivery/event-deliveries.interface';
import type { GatewayEvent } from '../events/gateway-event';
import { MemoryEventLogStore } from '../events/memory-event-log.store';
import { MemoryMessageRecordStore } from '../message-records/memory-message-record.store';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import { ProblemException } from '../problems/problem.exception';
import { StoreUnavailableError } from '../redis/store-unavailable.error';
import { TenantRegistry } from '../tenants/tenant-registry';
import { BlooioEventRouter } from './blooio-event.router';
import { blooioSignatureHeader } from './blooio-signature';
import { BlooioSignatureVerifier } from './blooio-signature.verifier';
import { BlooioWebhookReceiver, MAX_PENDING_RECHECKS } from './blooio-webhook.receiver';
import { WebhookSigningSecrets } from './webhook-signing-secrets';

const SECRET = 'whsec_receiverSpecSecret0000000000';

const solo = receiverTenant('solo', {
  apiKey: 'bl_solo',
  keyId: 'key-solo',
  signingSecret: SECRET,
});

function setUp() {
  const records = new MemoryMessageRecordStore(100_000, 60_000);
  const events = new MemoryEventLogStore(100_000, 60_000);
  const metrics = new GatewayMetrics();
  const deliveries = {
    dispatch: jest.fn<Promise<void>, [GatewayEvent, number]>(() => Promise.resolve()),
  };
  const receiver = new BlooioWebhookReceiver(
    new TenantRegistry([solo], new Map()),
    new BlooioSignatureVerifier({ webhookToleranceSeconds: 300 } as never),
    new BlooioEventRouter(records),
    new WebhookSigningSecrets(),
    metrics,
    records,
    events,
    deliveries as unknown as EventDeliveries,
  );
  const deliver = (messageId: string, nowMs = Date.now(), extra: Record<string, unknown> = {}) => {
    const body = { event: 'message.sent', message_id: messageId, is_group: false, ...extra };
    const rawBody = Buffer.from(JSON.stringify(body));
    return receiver.receive(
      {
        tenantId: 'solo',
        signature: blooioSignatureHeader(SECRET, Math.floor(nowMs / 1000), rawBody),
        rawBody,
        readBody: () => body,
      },
      nowMs,
    );
  };
  return { receiver, records, events, metrics, deliveries, deliver };
}

describe('BlooioWebhookReceiver: events that wait for their record', () => {
  afterEach(() => jest.useRealTimers());

  it('waits once per event however often it is delivered, then records it when the record appears', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const { receiver, records, events, deliver } = setUp();
    await expect(deliver('msg_late')).resolves.toMatchObject({ outcome: 'deferred' });
    await expect(deliver('msg_late')).resolves.toMatchObject({ outcome: 'deferred' });
    expect(await receiver.pendingCount()).toBe(1);

    await records.save(
      outboundRecord({ tenantId: 'solo', messageId: 'msg_late', blooioKeyId: 'key-solo' }),
    );
    await jest.advanceTimersByTimeAsync(2_000);
    expect(await receiver.pendingCount()).toBe(0);
    expect((await events.list('solo', { limit: 10 })).data.map((e) => e.type)).toEqual([
      'message.sent',
    ]);
    expect((await records.find('solo', 'msg_late'))?.status).toBe('sent');
  });

  it('answers 503 past MAX_PENDING_RECHECKS, so that Blooio keeps the event and retries', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const { receiver, deliver } = setUp();
    const now = Date.now();
    for (let i = 0; i < MAX_PENDING_RECHECKS; i += 1) await deliver(`msg_w${i}`, now);
    expect(await receiver.pendingCount()).toBe(MAX_PENDING_RECHECKS);
    const refused = await deliver('msg_one_too_many', now).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProblemException);
    expect(refused).toMatchObject({ code: 'store_unavailable' });
    // Answered 204 already, so Blooio will not resend them: a shutdown says what it drops.
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await receiver.onApplicationShutdown();
    expect(await receiver.pendingCount()).toBe(0);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(
        new RegExp(`^${MAX_PENDING_RECHECKS} Blooio event\\(s\\) .* solo/evt_`),
      ),
    );
    warn.mockRestore();
  });

  it('tries again when the store is down at the re-check, and counts the outcome once', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const { receiver, records, events, metrics, deliver } = setUp();
    await deliver('msg_retry');
    const holders = jest
      .spyOn(records, 'holders')
      .mockRejectedValueOnce(new StoreUnavailableError('down'));
    await records.save(
      outboundRecord({ tenantId: 'solo', messageId: 'msg_retry', blooioKeyId: 'key-solo' }),
    );
    await jest.advanceTimersByTimeAsync(2_000);
    expect(holders).toHaveBeenCalledTimes(1);
    expect(await receiver.pendingCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(await receiver.pendingCount()).toBe(0);
    expect((await events.list('solo', { limit: 10 })).data).toHaveLength(1);
    const counted = await metrics.registry.getSingleMetricAsString('bgw_webhooks_received_total');
    expect(counted).toContain(
      'bgw_webhooks_received_total{tenant="solo",event="message.sent",outcome="accepted"} 1',
    );
  });

  it('says "recorded, not pushed" with the event id, and counts it, when only the dispatch keeps failing', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const { receiver, records, events, metrics, deliveries, deliver } = setUp();
    await deliver('msg_unpushed');
    deliveries.dispatch.mockRejectedValue(new StoreUnavailableError('down'));
    const error = jest.spyOn(receiver['logger'], 'error').mockImplementation(() => undefined);
    await records.save(
      outboundRecord({ tenantId: 'solo', messageId: 'msg_unpushed', blooioKeyId: 'key-solo' }),
    );
    await jest.advanceTimersByTimeAsync(2_000 + 13 * 5_000);
    expect(await receiver.pendingCount()).toBe(0);
    const [event] = (await events.list('solo', { limit: 10 })).data;
    expect(event).toBeDefined();
    const lines = error.mock.calls.map(([line]) => String(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${event.id} of tenant solo was recorded, not pushed`);
    expect(lines[0]).not.toMatch(/could not be recorded/);
    const counted = await metrics.registry.getSingleMetricAsString('bgw_webhooks_received_total');
    expect(counted).toContain(
      'bgw_webhooks_received_total{tenant="solo",event="message.sent",outcome="not_pushed"} 1',
    );
  });

  it('delivers an event of a key no one shares after the 60 s window, with no record', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const { receiver, events, deliver } = setUp();
    await deliver('msg_dashboard');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(await receiver.pendingCount()).toBe(0);
    expect((await events.list('solo', { limit: 10 })).data).toHaveLength(1);
  });
});

describe("BlooioWebhookReceiver: Blooio's error text", () => {
  it("keeps a failure's code and message bounded, on one line, without the tenant's Blooio key", async () => {
    const { records, events, deliver } = setUp();
    await records.save(
      outboundRecord({ tenantId: 'solo', messageId: 'msg_failed', blooioKeyId: 'key-solo' }),
    );
    const verdict = await deliver('msg_failed', Date.now(), {
      event: 'message.failed',
      error_code: 'auth\r\nfailed',
      error_message: `Key bl_solo refused\n\u001b[2J${'x'.repeat(5_000)}`,
    });
    expect(verdict).toMatchObject({ outcome: 'accepted' });
    const expected = {
      code: 'auth failed',
      message: `Key [redacted] refused [2J${'x'.repeat(474)}`,
    };
    expect(expected.message).toHaveLength(500);
    expect((await records.find('solo', 'msg_failed'))?.error).toEqual(expected);
    const [event] = (await events.list('solo', { limit: 10 })).data;
    expect(event.data).toMatchObject({ status: 'failed', error: expected });
  });
});

describe('BlooioWebhookReceiver: pushing to the tenant endpoints', () => {
  const recorded = async (setup: ReturnType<typeof setUp>, messageId: string) => {
    await setup.records.save(
      outboundRecord({ tenantId: 'solo', messageId, blooioKeyId: 'key-solo' }),
    );
  };

  it('dispatches a new event once it is in the log, and a duplicate as the log has it', async () => {
    const setup = setUp();
    await recorded(setup, 'msg_push');
    const t0 = Date.now();
    const first = await setup.deliver('msg_push', t0);
    expect(first.outcome).toBe('accepted');
    expect(setup.deliveries.dispatch).toHaveBeenCalledTimes(1);
    const [event, receivedAtMs] = setup.deliveries.dispatch.mock.calls[0];
    expect(event).toEqual(await setup.events.get('solo', first.eventId!));
    expect(receivedAtMs).toBe(t0);
    const again = await setup.deliver('msg_push', t0 + 9_000);
    expect(again.outcome).toBe('duplicate');
    expect(setup.deliveries.dispatch).toHaveBeenCalledTimes(2);
    // The first delivery's event (its timestamp), not one rebuilt from the retry.
    expect(setup.deliveries.dispatch.mock.calls[1][0]).toBe(
      await setup.events.get('solo', first.eventId!),
    );
  });

  it('answers 503 when the dispatch cannot be stored, and dispatches on the retry', async () => {
    const setup = setUp();
    await recorded(setup, 'msg_down');
    setup.deliveries.dispatch.mockRejectedValueOnce(new StoreUnavailableError('down'));
    const refused = await setup.deliver('msg_down').then(
      () => undefined,
      (error: ProblemException) => error,
    );
    expect(refused).toMatchObject({
      code: 'store_unavailable',
    } satisfies Partial<ProblemException>);
    // The event is in the log by then: the detail must not say it was not recorded.
    expect(refused!.problem.detail).toMatch(/retry it/);
    expect(refused!.problem.detail).not.toMatch(/not recorded/);
    const retried = await setup.deliver('msg_down');
    expect(retried.outcome).toBe('duplicate');
    expect(setup.deliveries.dispatch).toHaveBeenCalledTimes(2);
  });
});
