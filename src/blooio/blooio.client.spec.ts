import { Agent } from 'undici';
import { Secret } from '../common/secret';
import { BlooioSimulator } from '../sandbox/blooio-simulator';
import { AttemptDeadline } from './attempt-deadline';
import { createBlooioClient } from './blooio-client.factory';
import { retryAfterToPassOn, validRetryAfter, type BlooioClient } from './blooio.client';
import {
  BlooioHttpError,
  BlooioNetworkError,
  BlooioTimeoutError,
  BlooioUnreadableResponseError,
} from './blooio.errors';

const KEY = new Secret('bl_test_client_key_0001');
const PHONE = '+15551234567';

describe('BlooioClient: status and webhooks (against the simulator)', () => {
  let sim: BlooioSimulator;
  let agent: Agent;
  let client: BlooioClient;
  const deadlines: AttemptDeadline[] = [];
  const deadline = (ms = 5_000) => {
    const created = new AttemptDeadline(ms);
    deadlines.push(created);
    return created;
  };

  beforeAll(async () => {
    sim = await BlooioSimulator.start({
      apiKeys: [KEY.reveal()],
      statusTimeline: { sentAfterMs: 10_000, deliveredAfterMs: 20_000 },
    });
    agent = new Agent();
    client = createBlooioClient(sim.baseUrl, agent);
  });
  afterAll(async () => {
    await sim.close();
    await agent.close();
  });
  afterEach(() => {
    for (const created of deadlines.splice(0)) created.clear();
    sim.clear();
  });

  const send = async (chatId: string) => {
    const { body } = await client.sendMessage(
      {
        apiKey: KEY,
        chatId,
        body: { text: 'hi' },
        idempotencyKey: `k-${Math.random()}`,
        requestId: 'r1',
      },
      deadline(),
    );
    return String(body.message_id);
  };

  describe('getMessageStatus', () => {
    it('asks GET /chats/{chatId}/messages/{id}/status, chatId encoded, and answers the MessageStatus', async () => {
      const messageId = await send(PHONE);
      const result = await client.getMessageStatus(PHONE, messageId, KEY, deadline(), 'req-7');
      expect(result).toEqual({
        status: 200,
        body: expect.objectContaining({
          message_id: messageId,
          chat_id: PHONE,
          direction: 'outbound',
          status: 'queued',
        }),
      });
      const request = sim.requests.at(-1)!;
      expect(request.method).toBe('GET');
      expect(request.rawUrl).toBe(`/v2/api/chats/%2B15551234567/messages/${messageId}/status`);
      expect(request.headers).toMatchObject({
        authorization: `Bearer ${KEY.reveal()}`,
        accept: 'application/json',
        'x-request-id': 'req-7',
      });
    });

    it('maps errors as sends do: 404, 401 (code kept, key scrubbed), 5xx with Retry-After', async () => {
      await expect(client.getMessageStatus(PHONE, 'msg_unknown', KEY, deadline())).rejects.toEqual(
        expect.objectContaining({ status: 404, body: { message: 'Message not found' } }),
      );
      const refused = client.getMessageStatus(
        PHONE,
        'msg_x',
        new Secret('bl_wrong_key_123456'),
        deadline(),
      );
      await expect(refused).rejects.toBeInstanceOf(BlooioHttpError);
      await expect(refused).rejects.toMatchObject({
        status: 401,
        body: { code: 'invalid_api_key' },
      });

      sim.enqueueFault({
        status: 503,
        body: { error: 'ApiError', status: 503, message: `down for ${KEY.reveal()}` },
        headers: { 'retry-after': '4' },
      });
      const failure = (await client
        .getMessageStatus(PHONE, 'msg_x', KEY, deadline())
        .catch((error: unknown) => error)) as BlooioHttpError;
      expect(failure).toBeInstanceOf(BlooioHttpError);
      expect(failure.retryAfter).toBe('4');
      expect(failure.body.message).not.toContain(KEY.reveal());
    });

    it('throws a timeout at the deadline, unreadable for a 2xx that is not JSON, network errors as such', async () => {
      sim.enqueueFault({ hang: true });
      await expect(
        client.getMessageStatus(PHONE, 'msg_x', KEY, deadline(100)),
      ).rejects.toBeInstanceOf(BlooioTimeoutError);
      sim.enqueueFault({ status: 200, raw: 'not json' });
      await expect(client.getMessageStatus(PHONE, 'msg_x', KEY, deadline())).rejects.toBeInstanceOf(
        BlooioUnreadableResponseError,
      );
      const closed = await BlooioSimulator.start();
      const url = closed.baseUrl;
      await closed.close();
      await expect(
        createBlooioClient(url, agent).getMessageStatus(PHONE, 'msg_x', KEY, deadline()),
      ).rejects.toBeInstanceOf(BlooioNetworkError);
    });
  });

  describe('createWebhook', () => {
    it('POSTs {webhook_url, webhook_type: all}; a 201 gives the secret as a Secret, out of the body', async () => {
      const url = 'https://gateway.example/webhooks/blooio/acme';
      const created = await client.createWebhook(url, KEY, deadline(), 'req-9');
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        webhook_id: expect.stringMatching(/^wh_/),
        webhook_url: url,
        webhook_type: 'all',
        scope: 'api_key',
        created_at: expect.any(Number),
      });
      expect(created.signingSecret?.reveal()).toMatch(/^whsec_/);
      expect(JSON.stringify(created)).not.toContain('whsec_');
      const request = sim.requests.at(-1)!;
      expect(request).toMatchObject({
        method: 'POST',
        rawUrl: '/v2/api/webhooks',
        body: { webhook_url: url, webhook_type: 'all' },
      });
      expect(request.headers).toMatchObject({
        'content-type': 'application/json',
        'x-request-id': 'req-9',
      });

      const again = await client.createWebhook(url, KEY, deadline());
      expect(again.status).toBe(200);
      expect(again.signingSecret).toBeUndefined();
      expect(again.body.webhook_id).toBe(created.body.webhook_id);
    });

    it('maps a refusal to a BlooioHttpError with the status and message', async () => {
      await expect(client.createWebhook('ftp://x', KEY, deadline())).rejects.toMatchObject({
        status: 400,
        body: { message: 'webhook_url must be an http(s) URL' },
      });
      await expect(
        client.createWebhook('https://x.example', new Secret('bl_nope_nope_nope'), deadline()),
      ).rejects.toMatchObject({ status: 401 });
    });
  });
});

describe('validRetryAfter (what the client passes on)', () => {
  it.each([
    ['7', '7'],
    [' 120 ', '120'],
    ['Wed, 21 Oct 2026 07:28:00 GMT', 'Wed, 21 Oct 2026 07:28:00 GMT'],
    ['-1', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['99999999999', undefined],
    ['Wed, 21 Oct 2026 07:28:00 +0200', undefined],
    ['2026-10-21T07:28:00Z', undefined],
    ['7\r\nSet-Cookie: a=b', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (given, expected) => {
    expect(validRetryAfter(given)).toBe(expected);
  });
});

describe('retryAfterToPassOn', () => {
  it("passes a valid one on, replaces an invalid one with the gateway's, invents none", () => {
    expect(retryAfterToPassOn('7')).toBe('7');
    expect(retryAfterToPassOn('soon')).toBe('1');
    expect(retryAfterToPassOn('')).toBe('1');
    expect(retryAfterToPassOn(undefined)).toBeUndefined();
  });
});
