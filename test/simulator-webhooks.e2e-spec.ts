import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ValidateFunction } from 'ajv';
import {
  BlooioSimulator,
  SIMULATOR_DEFAULT_LINE,
  SIMULATOR_MAGIC_NUMBERS,
  type BlooioSimulatorOptions,
} from '../src/sandbox/blooio-simulator';
import {
  BlooioSchemas,
  describeWithBlooioSpec,
  readBlooioSpec,
  schemaErrors,
} from './contract/blooio-spec';

/**
 * The simulator's Blooio webhooks (DESIGN.md §7, issue 18 item 6): POST /webhooks, the signed
 * events after each send, their retries, and the status route agreeing with them. Every payload
 * and answer is checked against Blooio's published schemas, every signature recomputed here.
 */

const KEY = 'bl_test_webhooks_key';
const OTHER_KEY = 'bl_test_other_key';
const PHONE = '+15551234567';
const PHONE_2 = '+15559876543';
const LINE = '+15550001111';

interface Delivery {
  headers: IncomingHttpHeaders;
  raw: string;
  payload: Record<string, unknown>;
  receivedAt: number;
}

/** A local webhook receiver: answers each POST with the next queued status (default 204). */
class Receiver {
  readonly deliveries: Delivery[] = [];
  readonly answers: (number | 'hang')[] = [];
  url = '';
  private readonly server: Server;

  constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.deliveries.push({
          headers: request.headers,
          raw,
          payload: JSON.parse(raw) as Record<string, unknown>,
          receivedAt: Date.now(),
        });
        const answer = this.answers.shift() ?? 204;
        if (answer === 'hang') return;
        response.writeHead(answer).end();
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  events(): string[] {
    return this.deliveries.map((delivery) => String(delivery.payload.event));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Blooio's check, written out here independently of the simulator's signer. */
function signatureValid(secret: string, delivery: Delivery, nowSeconds: number): boolean {
  const header = String(delivery.headers['x-blooio-signature'] ?? '');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const [, t, v1] = match;
  if (Math.abs(nowSeconds - Number(t)) > 300) return false;
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${t}.${delivery.raw}`)
    .digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const FAST: BlooioSimulatorOptions = {
  apiKeys: [KEY, OTHER_KEY],
  statusTimeline: { sentAfterMs: 30, deliveredAfterMs: 60, readAfterMs: 90, replyAfterMs: 120 },
  webhooks: { retryDelaysMs: [20, 40], attemptTimeoutMs: 500 },
};

describeWithBlooioSpec("the simulator's Blooio webhooks (POST /webhooks, signed events)", () => {
  let schemas: BlooioSchemas;
  let payloadSchema: ValidateFunction;
  let statusSchema: ValidateFunction;
  let sim: BlooioSimulator;
  let receiver: Receiver;

  const api = async (
    method: string,
    path: string,
    body?: unknown,
    key: string | null = KEY,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${sim.baseUrl}${path}`, {
      method,
      headers: {
        ...(key !== null && { authorization: `Bearer ${key}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const register = async (url: string, type = 'all', key = KEY) => {
    const answer = await api('POST', '/webhooks', { webhook_url: url, webhook_type: type }, key);
    expect(answer.status).toBe(201);
    return String(answer.body.signing_secret);
  };
  const sendTo = (chatId: string, body: Record<string, unknown>, key = KEY) =>
    api('POST', `/chats/${encodeURIComponent(chatId)}/messages`, body, key);
  const statusOf = (chatId: string, messageId: string) =>
    api('GET', `/chats/${encodeURIComponent(chatId)}/messages/${messageId}/status`);

  /** Every delivery so far: valid per the spec's schema, signed with `secret`. */
  const expectConforming = (secret: string) => {
    const now = Math.floor(Date.now() / 1000);
    for (const delivery of receiver.deliveries) {
      expect({
        event: delivery.payload.event,
        errors: schemaErrors(payloadSchema, delivery.payload),
      }).toEqual({ event: delivery.payload.event, errors: [] });
      expect(signatureValid(secret, delivery, now)).toBe(true);
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers['x-blooio-event']).toBe(delivery.payload.event);
      expect(delivery.headers['x-blooio-message-id']).toBe(delivery.payload.message_id);
    }
  };

  beforeAll(() => {
    schemas = new BlooioSchemas(readBlooioSpec());
    payloadSchema = schemas.component('WebhookEventPayload');
    statusSchema = schemas.component('MessageStatus');
  });

  beforeEach(async () => {
    sim = await BlooioSimulator.start(FAST);
    receiver = await new Receiver().start();
  });

  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  describe('POST /webhooks', () => {
    it("answers 201 with a one-time whsec_ secret in the spec's shape, then 200 without one for the same URL", async () => {
      const created = await api('POST', '/webhooks', {
        webhook_url: receiver.url,
        webhook_type: 'all',
      });
      expect(created.status).toBe(201);
      expect(schemaErrors(schemas.response('/webhooks', 'post', '201'), created.body)).toEqual([]);
      expect(created.body).toEqual({
        webhook_id: expect.stringMatching(/^wh_[a-zA-Z0-9]+$/),
        webhook_url: receiver.url,
        webhook_type: 'all',
        scope: 'api_key',
        created_at: expect.any(Number),
        signing_secret: expect.stringMatching(/^whsec_[A-Za-z0-9]{32}$/),
      });

      const again = await api('POST', '/webhooks', { webhook_url: receiver.url });
      expect(again.status).toBe(200);
      expect(schemaErrors(schemas.response('/webhooks', 'post', '200'), again.body)).toEqual([]);
      expect(again.body).toEqual({
        webhook_id: created.body.webhook_id,
        webhook_url: receiver.url,
        scope: 'api_key',
        message: expect.stringContaining('already exists'),
      });
      expect(JSON.stringify(again.body)).not.toContain('whsec_');

      // Another key has its own webhooks: the same URL is new there, with another secret.
      const other = await api('POST', '/webhooks', { webhook_url: receiver.url }, OTHER_KEY);
      expect(other.status).toBe(201);
      expect(other.body.signing_secret).not.toBe(created.body.signing_secret);
      expect(other.body.webhook_type).toBe('message'); // the spec's default
    });

    it.each([
      [{}, 'webhook_url is required'],
      [{ webhook_url: 'not a url' }, 'webhook_url must be an absolute URL'],
      [{ webhook_url: 'ftp://example.com/x' }, 'webhook_url must be an http(s) URL'],
      [{ webhook_url: 'https://example.com/x', webhook_type: 'poll' }, 'webhook_type'],
      [{ webhook_url: 'https://example.com/x', valid_until: 'soon' }, 'valid_until'],
    ])('answers 400 in Blooio error shape for %j', async (body, message) => {
      const answer = await api('POST', '/webhooks', body);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: 'ApiError',
        status: 400,
        message: expect.stringContaining(message),
      });
      expect(schemaErrors(schemas.component('Error'), answer.body)).toEqual([]);
    });

    it('answers 401 without a key or with an unknown one', async () => {
      const body = { webhook_url: receiver.url };
      expect((await api('POST', '/webhooks', body, null)).status).toBe(401);
      expect((await api('POST', '/webhooks', body, 'bl_unknown')).status).toBe(401);
    });

    it('answers 409 past 64 webhooks for one key', async () => {
      for (let i = 0; i < 64; i += 1) {
        await register(`https://example.com/hook/${i}`);
      }
      const answer = await api('POST', '/webhooks', { webhook_url: 'https://example.com/65' });
      expect(answer.status).toBe(409);
      expect(answer.body.message).toContain('max 64');
    });
  });

  describe('events after a send', () => {
    it("posts sent, delivered, read, then the contact's reply, signed and in the spec's shape; the status route agrees", async () => {
      const secret = await register(receiver.url);
      const sent = await sendTo(PHONE, { text: 'hello', from_number: LINE });
      expect(sent.status).toBe(202);
      const messageId = String(sent.body.message_id);

      // The status route and the events tell the same story at each step.
      await waitFor(() => receiver.events().includes('message.sent'));
      expect(['sent', 'delivered']).toContain((await statusOf(PHONE, messageId)).body.status);
      await waitFor(() => receiver.events().includes('message.delivered'));
      const delivered = await statusOf(PHONE, messageId);
      expect(delivered.body).toMatchObject({ status: 'delivered', protocol: 'imessage' });
      expect(schemaErrors(statusSchema, delivered.body)).toEqual([]);
      await waitFor(() => receiver.deliveries.length >= 4);

      expect(receiver.events()).toEqual([
        'message.sent',
        'message.delivered',
        'message.read',
        'message.received',
      ]);
      expectConforming(secret);
      const [sentEvent, deliveredEvent, readEvent, reply] = receiver.deliveries.map(
        (d) => d.payload,
      );
      const outbound = {
        message_id: messageId,
        external_id: PHONE,
        protocol: 'imessage',
        internal_id: LINE,
        is_group: false,
        timestamp: expect.any(Number),
      };
      expect(sentEvent).toEqual({
        ...outbound,
        event: 'message.sent',
        status: 'sent',
        sent_at: expect.any(Number),
      });
      expect(deliveredEvent).toEqual({
        ...outbound,
        event: 'message.delivered',
        status: 'delivered',
        delivered_at: expect.any(Number),
      });
      expect(readEvent).toEqual({
        ...outbound,
        event: 'message.read',
        status: 'read',
        read_at: expect.any(Number),
      });
      expect(Number(readEvent.read_at)).toBeGreaterThanOrEqual(Number(deliveredEvent.delivered_at));
      expect(Number(deliveredEvent.delivered_at)).toBeGreaterThanOrEqual(Number(sentEvent.sent_at));
      // The reply: from the recipient, to the line that sent.
      expect(reply).toEqual({
        event: 'message.received',
        status: 'received',
        message_id: expect.stringMatching(/^msg_[A-Za-z0-9]+$/),
        external_id: PHONE,
        sender: PHONE,
        internal_id: LINE,
        protocol: 'imessage',
        is_group: false,
        text: expect.any(String),
        attachments: [],
        timestamp: expect.any(Number),
      });
      expect(reply.message_id).not.toBe(messageId);
      const inbound = await statusOf(PHONE, String(reply.message_id));
      expect(inbound.body).toMatchObject({ direction: 'inbound' });
      expect(schemaErrors(statusSchema, inbound.body)).toEqual([]);
      // Read is not a MessageStatus state: the route still says delivered.
      expect((await statusOf(PHONE, messageId)).body.status).toBe('delivered');
    });

    it('posts message.failed (and no reply) for the failing number, and the status route says failed', async () => {
      const secret = await register(receiver.url);
      const sent = await sendTo(SIMULATOR_MAGIC_NUMBERS.sendFailed, { text: 'x' });
      expect(sent.body.status).toBe('failed');
      await waitFor(() => receiver.deliveries.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 200)); // past the reply's time
      expect(receiver.events()).toEqual(['message.failed']);
      expectConforming(secret);
      expect(receiver.deliveries[0].payload).toMatchObject({
        message_id: sent.body.message_id,
        status: 'failed',
        error_code: expect.any(String),
        error_message: expect.any(String),
        internal_id: SIMULATOR_DEFAULT_LINE,
      });
      const status = await statusOf(
        SIMULATOR_MAGIC_NUMBERS.sendFailed,
        String(sent.body.message_id),
      );
      expect(status.body.status).toBe('failed');
      expect(schemaErrors(statusSchema, status.body)).toEqual([]);
    });

    it('describes a group chat (is_group, group_id, participants) and posts events for every id of a text array', async () => {
      const secret = await register(receiver.url);
      const sent = await sendTo(`${PHONE},${PHONE_2}`, { text: ['one', 'two'] });
      const ids = sent.body.message_ids as string[];
      expect(ids).toHaveLength(2);
      await waitFor(() => receiver.deliveries.length >= 7);
      expectConforming(secret);
      for (const id of ids) {
        expect(
          receiver.deliveries
            .filter((d) => d.payload.message_id === id)
            .map((d) => d.payload.event),
        ).toEqual(['message.sent', 'message.delivered', 'message.read']);
      }
      const reply = receiver.deliveries.find(
        (d) => d.payload.event === 'message.received',
      )!.payload;
      expect(reply).toMatchObject({
        external_id: sent.body.group_id,
        is_group: true,
        group_id: sent.body.group_id,
        sender: PHONE,
        participants: [
          expect.objectContaining({ identifier: PHONE }),
          expect.objectContaining({ identifier: PHONE_2 }),
        ],
      });
      expect(receiver.deliveries).toHaveLength(7);
    });

    it('posts to every webhook of the sending key only, by webhook_type: status gets status events, message the reply', async () => {
      const statusHook = await new Receiver().start();
      const messageHook = await new Receiver().start();
      const otherKeyHook = await new Receiver().start();
      try {
        const allSecret = await register(receiver.url, 'all');
        await register(statusHook.url, 'status');
        await register(messageHook.url, 'message');
        await register(otherKeyHook.url, 'all', OTHER_KEY);
        await sendTo(PHONE, { text: 'hi' });
        await waitFor(
          () =>
            receiver.deliveries.length >= 4 &&
            statusHook.deliveries.length >= 3 &&
            messageHook.deliveries.length >= 1,
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        expectConforming(allSecret);
        expect(statusHook.events()).toEqual(['message.sent', 'message.delivered', 'message.read']);
        expect(messageHook.events()).toEqual(['message.received']);
        expect(otherKeyHook.deliveries).toHaveLength(0);
      } finally {
        await Promise.all([statusHook.close(), messageHook.close(), otherKeyHook.close()]);
      }
    });

    it('simulates nothing for a key without webhooks, and nothing for an idempotent replay', async () => {
      await sendTo(PHONE, { text: 'no hooks yet' });
      await register(receiver.url);
      const first = await api('POST', `/chats/${encodeURIComponent(PHONE)}/messages`, {
        text: 'a',
      });
      expect(first.status).toBe(202);
      await waitFor(() => receiver.deliveries.length >= 4);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(new Set(receiver.deliveries.map((d) => d.payload.message_id)).size).toBe(2); // a + its reply
      expect(sim.webhookAttempts).toHaveLength(4);
    });
  });

  describe('delivery: retries and never blocking', () => {
    it('retries a non-2xx with the same body, each attempt freshly signed, until a 2xx', async () => {
      const secret = await register(receiver.url, 'status');
      receiver.answers.push(500, 503);
      await sendTo(SIMULATOR_MAGIC_NUMBERS.sendFailed, { text: 'x' });
      await waitFor(() => receiver.deliveries.length >= 3);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(receiver.deliveries).toHaveLength(3);
      expect(new Set(receiver.deliveries.map((d) => d.raw)).size).toBe(1);
      expectConforming(secret);
      expect(sim.webhookAttempts.map((a) => [a.attempt, a.status])).toEqual([
        [1, 500],
        [2, 503],
        [3, 204],
      ]);
      // Backoff: the second wait (40 ms) is not shorter than the first (20 ms).
      const [a, b, c] = receiver.deliveries.map((d) => d.receivedAt);
      expect(b - a).toBeGreaterThanOrEqual(15);
      expect(c - b).toBeGreaterThanOrEqual(35);
    });

    it('gives up after the configured retries (bounded), and a receiver that hangs times out', async () => {
      await register(receiver.url, 'status');
      receiver.answers.push('hang', 500, 500, 500);
      await sendTo(SIMULATOR_MAGIC_NUMBERS.sendFailed, { text: 'x' });
      await waitFor(() => sim.webhookAttempts.filter((a) => a.status ?? a.error).length >= 3);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sim.webhookAttempts.map((a) => [a.attempt, a.status ?? a.error])).toEqual([
        [1, 'timeout'],
        [2, 500],
        [3, 500],
      ]);
    });

    it('answers sends at once while a receiver hangs', async () => {
      await register(receiver.url, 'all');
      for (let i = 0; i < 20; i += 1) receiver.answers.push('hang');
      await sendTo(PHONE, { text: 'first' });
      await waitFor(() => receiver.deliveries.length >= 1);
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) => sendTo(PHONE, { text: `more ${i}` })),
      );
      expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);
      // The hung POST is still open (its timeout is 500 ms): the sends did not wait for it.
      expect(sim.webhookAttempts[0].status ?? sim.webhookAttempts[0].error).toBeUndefined();
    });

    it('close() cancels pending events and retries', async () => {
      await register(receiver.url);
      await sendTo(PHONE, { text: 'hi' });
      await sim.close();
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(receiver.deliveries).toHaveLength(0);
      sim = await BlooioSimulator.start(FAST); // for afterEach
    });
  });
});
