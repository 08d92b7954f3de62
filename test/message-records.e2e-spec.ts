import type { MessageRecord } from '../src/message-records/message-record';
import {
  MESSAGE_RECORD_STORE,
  type MessageRecordStore,
} from '../src/message-records/message-record-store.interface';
import { bearer, startGatewayWithSimulator } from './support/gateway';
import { expectProblem } from './support/problem';
import { blooioKeyIdOf } from '../src/tenants/tenant';
import { ACME_SENDERS, BLOOIO_KEYS, KEYS } from './support/tenants.fixture';

type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;

/** The records a send left, read from the store the gateway writes. */
describe('message records of sends (e2e)', () => {
  let gateway: Gateway;
  let store: MessageRecordStore;

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator();
    store = gateway.app.get<MessageRecordStore>(MESSAGE_RECORD_STORE);
  });
  afterAll(() => gateway.close());
  beforeEach(() => gateway.simulator.clear());

  const send = (
    body: object,
    headers: Record<string, string> = {},
    key: string = KEYS.acmeOrders,
  ) =>
    gateway
      .http()
      .post('/v1/messages')
      .set({ ...bearer(key), ...headers })
      .send(body);

  const acmeKeyId = blooioKeyIdOf(BLOOIO_KEYS.acme);

  it('records a single send with its chat, sender, metadata and key, never sending the metadata', async () => {
    const before = new Date().toISOString();
    const response = await send(
      { recipients: ['(555) 123-4567'], text: 'hi', metadata: { orderId: 'A-17', 'b.c-d_e': '' } },
      { 'idempotency-key': 'records-single-1' },
    ).expect(202);
    const upstream = gateway.simulator.requests.at(-1)!;
    expect(upstream.body).not.toHaveProperty('metadata');
    expect(JSON.stringify(upstream.body)).not.toContain('A-17');

    const record = await store.find('acme', response.body.messageId as string);
    expect(record).toEqual<MessageRecord>({
      tenantId: 'acme',
      messageId: response.body.messageId,
      direction: 'outbound',
      blooioKeyId: acmeKeyId,
      chatId: '+15551234567',
      recipients: ['+15551234567'],
      sender: ACME_SENDERS[0],
      metadata: { orderId: 'A-17', 'b.c-d_e': '' },
      idempotencyKey: 'records-single-1',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      status: 'queued',
    });
    expect(record!.createdAt >= before).toBe(true);
    // Another tenant on the same Blooio key holds nothing of it.
    expect(await store.find('umbrella', response.body.messageId as string)).toBeUndefined();
    expect(await store.holders(acmeKeyId, response.body.messageId as string)).toEqual(['acme']);
  });

  it('records a group send with its group id and participants', async () => {
    const response = await send({
      recipients: ['+15551234567', '+15559876543'],
      text: 'hi all',
    }).expect(202);
    const record = await store.find('acme', response.body.messageId as string);
    expect(record).toMatchObject({
      chatId: '+15551234567,+15559876543',
      groupId: response.body.groupId,
      recipients: expect.arrayContaining(['+15551234567', '+15559876543']),
    });
    expect(record).not.toHaveProperty('metadata');
    expect(record).not.toHaveProperty('idempotencyKey');
  });

  it('records every message of a text array', async () => {
    const response = await send({
      recipients: ['+15551234567'],
      text: ['one', 'two', 'three'],
    }).expect(202);
    const ids = response.body.messageIds as string[];
    expect(ids).toHaveLength(3);
    const records = await Promise.all(ids.map((id) => store.find('acme', id)));
    expect(records.map((record) => record?.messageId)).toEqual(ids);
    expect(records.every((record) => record?.status === 'queued')).toBe(true);
  });

  it('writes once: a replay neither calls Blooio nor writes again', async () => {
    const body = { recipients: ['+15551234567'], text: 'once', metadata: { run: '1' } };
    const headers = { 'idempotency-key': 'records-replay-1' };
    const first = await send(body, headers).expect(202);
    const id = first.body.messageId as string;
    // Moved on in the meantime: a second write would not change that, but would reset updatedAt.
    const moved = await store.update('acme', id, {
      status: 'delivered',
      at: '2999-01-01T00:00:00.000Z',
    });
    const replay = await send(body, headers).expect(200);
    expect(replay.body.messageId).toBe(id);
    expect(gateway.simulator.requests).toHaveLength(1);
    expect(await store.find('acme', id)).toEqual(moved);
  });

  it('makes metadata part of the request: the same key with other metadata is refused', async () => {
    const headers = { 'idempotency-key': 'records-fingerprint-1' };
    await send({ recipients: ['+15551234567'], text: 'x', metadata: { a: '1' } }, headers).expect(
      202,
    );
    const reused = await send(
      { recipients: ['+15551234567'], text: 'x', metadata: { a: '2' } },
      headers,
    );
    expectProblem(reused, 422, 'idempotency_key_reused');
    // Key order does not count.
    const h2 = { 'idempotency-key': 'records-fingerprint-2' };
    await send(
      { recipients: ['+15551234567'], text: 'x', metadata: { a: '1', b: '2' } },
      h2,
    ).expect(202);
    await send(
      { recipients: ['+15551234567'], text: 'x', metadata: { b: '2', a: '1' } },
      h2,
    ).expect(200);
  });

  it.each([
    ['a key with a space', { 'bad key': 'v' }, 'metadata.bad key'],
    ['a number', { orderId: 17 }, 'metadata.orderId'],
    ['501 characters', { note: 'x'.repeat(501) }, 'metadata.note'],
    ['an array', ['a'], 'metadata'],
    ['a string', 'text', 'metadata'],
    [
      '21 keys',
      Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])),
      'metadata',
    ],
  ])(
    'refuses metadata with %s: a 400 naming its path, nothing sent',
    async (_what, metadata, path) => {
      const response = await send({ recipients: ['+15551234567'], text: 'x', metadata });
      expectProblem(response, 400, 'validation_failed');
      expect(response.body.errors).toEqual([{ path, message: expect.any(String) }]);
      expect(gateway.simulator.requests).toHaveLength(0);
    },
  );

  it('answers 202 when the record cannot be written, and logs and counts it', async () => {
    const save = jest.spyOn(store, 'save').mockRejectedValueOnce(new Error('store is down'));
    try {
      const response = await send({ recipients: ['+15551234567'], text: 'hi' }).expect(202);
      expect(response.body.messageId).toEqual(expect.any(String));
      const line = gateway.logs
        .records()
        .find((record) => String(record.msg).includes('message record not written'));
      expect(line).toMatchObject({
        level: 'warn',
        tenant: 'acme',
        messageId: response.body.messageId,
        error: 'store is down',
      });
      const metrics = await gateway.http().get('/metrics').expect(200);
      expect(metrics.text).toContain('bgw_message_records_failed_total{tenant="acme"} 1');
    } finally {
      save.mockRestore();
    }
  });
});
