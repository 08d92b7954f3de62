import type { EventDeliveries } from '../src/events/delivery/event-deliveries.interface';
import type Redis from 'ioredis';
import { BlooioEventRouter } from '../src/blooio-webhooks/blooio-event.router';
import { blooioSignatureHeader } from '../src/blooio-webhooks/blooio-signature';
import { BlooioSignatureVerifier } from '../src/blooio-webhooks/blooio-signature.verifier';
import { BlooioWebhookReceiver } from '../src/blooio-webhooks/blooio-webhook.receiver';
import { MemoryWaitingEvents } from '../src/blooio-webhooks/waiting-events';
import { WebhookSigningSecrets } from '../src/blooio-webhooks/webhook-signing-secrets';
import { RedisEventLogStore } from '../src/events/redis-event-log.store';
import { RedisMessageRecordStore } from '../src/message-records/redis-message-record.store';
import { GatewayMetrics } from '../src/metrics/gateway.metrics';
import { TenantRegistry } from '../src/tenants/tenant-registry';
import { outboundRecord } from './support/message-record.fixture';
import { deleteKeys, describeWithRedis, replicaConnection, uniqueKeyPrefix } from './support/redis';
import { receiverTenant } from './support/tenants.fixture';

const SECRET = 'whsec_roundTripsSpecSecret000000000';
const tenant = (id: string) =>
  receiverTenant(id, {
    apiKey: 'bl_shared_round_trips',
    keyId: 'key-shared',
    signingSecret: SECRET,
  });

/**
 * What one status event costs in Redis on the receiver path, counted as the commands the client
 * sends (none of them pipelined, so each is a round trip): the holders of the message id, the
 * record's read and its compare-and-set, the event's insert. It was 5 round trips (7 commands)
 * when the holders took two (SMEMBERS, then EXISTS of each holder's record in a MULTI).
 */
describeWithRedis("the receiver's Redis round trips per status event (e2e, real Redis)", () => {
  const prefix = uniqueKeyPrefix();
  let client: Redis;

  afterAll(async () => {
    client?.disconnect();
    await deleteKeys(prefix);
  });

  it('takes 4 round trips for a new status event on a shared key, 4 for a duplicate (its logged event read back)', async () => {
    client = await replicaConnection(prefix);
    const records = new RedisMessageRecordStore(client, 60_000);
    const receiver = new BlooioWebhookReceiver(
      new TenantRegistry([tenant('acme'), tenant('globex')], new Map()),
      new BlooioSignatureVerifier({ webhookToleranceSeconds: 300 } as never),
      new BlooioEventRouter(records),
      new WebhookSigningSecrets(),
      new GatewayMetrics(),
      records,
      new RedisEventLogStore(client, 60_000),
      // Pushing to endpoints is not this count's subject (it has its own store and round trips).
      { dispatch: () => Promise.resolve() } as unknown as EventDeliveries,
      new MemoryWaitingEvents(),
    );
    for (const id of ['msg_warm', 'msg_counted']) {
      await records.save(
        outboundRecord({ tenantId: 'acme', messageId: id, blooioKeyId: 'key-shared' }),
      );
    }
    const deliver = (messageId: string, event = 'message.delivered') => {
      const rawBody = Buffer.from(
        JSON.stringify({ event, message_id: messageId, is_group: false }),
      );
      const now = Date.now();
      return receiver.receive(
        {
          tenantId: 'acme',
          signature: blooioSignatureHeader(SECRET, Math.floor(now / 1000), rawBody),
          rawBody,
          readBody: () => JSON.parse(rawBody.toString()) as unknown,
        },
        now,
      );
    };
    // Loads the scripts (a first EVALSHA answered NOSCRIPT is followed by an EVAL).
    await deliver('msg_warm');
    const sent: string[] = [];
    const send = client.sendCommand.bind(client);
    const spy = jest.spyOn(client, 'sendCommand').mockImplementation((command, stream) => {
      sent.push(command.name);
      return send(command, stream);
    });
    try {
      await expect(deliver('msg_counted')).resolves.toMatchObject({ outcome: 'accepted' });
      expect(sent).toEqual(['evalsha', 'get', 'evalsha', 'evalsha']);
      sent.length = 0;
      await expect(deliver('msg_counted')).resolves.toMatchObject({ outcome: 'duplicate' });
      // The last GET reads the logged event back, so that its push carries the first one's bytes.
      expect(sent).toEqual(['evalsha', 'get', 'evalsha', 'get']);
    } finally {
      spy.mockRestore();
    }
  });
});
