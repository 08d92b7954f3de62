import { BlooioSimulator, SIMULATOR_MAGIC_NUMBERS } from './blooio-simulator';

const KEY = 'test-blooio-key';
const PHONE = '+15551234567';
const OTHER_PHONE = '+15559876543';
const MESSAGE_ID = /^msg_[A-Za-z0-9]{16,}$/;
const GROUP_ID = /^grp_[A-Za-z0-9]+$/;

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

interface SendOptions {
  key?: string | null;
  headers?: Record<string, string>;
  rawBody?: string;
  signal?: AbortSignal;
}

async function read(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

function authHeaders(key: string | null | undefined): Record<string, string> {
  const value = key === undefined ? KEY : key;
  return value === null ? {} : { authorization: `Bearer ${value}` };
}

async function send(
  sim: BlooioSimulator,
  chatId: string,
  body: unknown,
  options: SendOptions = {},
): Promise<Answer> {
  const response = await fetch(`${sim.baseUrl}/chats/${encodeURIComponent(chatId)}/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...authHeaders(options.key),
      ...options.headers,
    },
    body: options.rawBody ?? JSON.stringify(body),
    signal: options.signal,
  });
  return read(response);
}

async function status(
  sim: BlooioSimulator,
  chatId: string,
  messageId: string,
  key: string = KEY,
): Promise<Answer> {
  const url = `${sim.baseUrl}/chats/${encodeURIComponent(chatId)}/messages/${messageId}/status`;
  return read(await fetch(url, { headers: authHeaders(key) }));
}

function apiError(statusCode: number, message?: string, code?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { error: 'ApiError', status: statusCode };
  body.message = message ?? expect.any(String);
  if (code !== undefined) body.code = code;
  return body;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 'settled' when the promise settles within ms, else 'timed out'; leaves no timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), ms);
  });
  try {
    return await Promise.race([promise.then(() => 'settled'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('BlooioSimulator', () => {
  let sim: BlooioSimulator;

  beforeAll(async () => {
    sim = await BlooioSimulator.start({
      statusTimeline: { sentAfterMs: 100, deliveredAfterMs: 300 },
    });
  });
  afterEach(() => sim.clear());
  afterAll(() => sim.close());

  it('listens on a random loopback port and exposes the v2 base URL', () => {
    expect(sim.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/api$/);
    expect(sim.baseUrl).not.toMatch(/:0\//);
  });

  describe('authentication', () => {
    it('answers 401 without an Authorization header', async () => {
      const answer = await send(sim, PHONE, { text: 'hi' }, { key: null });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({
        error: 'ApiError',
        message: expect.stringContaining('Missing API key'),
        status: 401,
        code: 'missing_api_key',
      });
    });

    it('answers 401 for an empty Bearer key', async () => {
      const answer = await send(
        sim,
        PHONE,
        { text: 'hi' },
        { headers: { authorization: 'Bearer ' } },
      );
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual(apiError(401, undefined, 'missing_api_key'));
    });

    it('answers 401 for a key outside apiKeys, without echoing it, and accepts a listed key', async () => {
      const strict = await BlooioSimulator.start({ apiKeys: ['good-key'] });
      try {
        const refused = await send(strict, PHONE, { text: 'hi' }, { key: 'secret-bad-key' });
        expect(refused.status).toBe(401);
        expect(refused.body).toEqual(apiError(401, 'Invalid API key', 'invalid_api_key'));
        expect(refused.text).not.toContain('secret-bad-key');
        const statusRefused = await status(strict, PHONE, 'msg_x', 'secret-bad-key');
        expect(statusRefused.status).toBe(401);

        const accepted = await send(strict, PHONE, { text: 'hi' }, { key: 'good-key' });
        expect(accepted.status).toBe(202);
      } finally {
        await strict.close();
      }
    });

    it('answers 401 invalid_api_key for the keyRefused recipient, even with a good key, alone or among others', async () => {
      const refused = SIMULATOR_MAGIC_NUMBERS.keyRefused;
      for (const chatId of [refused, `${PHONE},${refused}`]) {
        const answer = await send(sim, chatId, { text: 'hi' });
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual(apiError(401, 'Invalid API key', 'invalid_api_key'));
      }
      expect((await send(sim, PHONE, { text: 'hi' })).status).toBe(202);
    });
  });

  describe('routing', () => {
    it('answers 404 error JSON for an unknown path', async () => {
      const answer = await read(await fetch(`${sim.baseUrl}/me`, { headers: authHeaders(KEY) }));
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual(apiError(404));
    });

    it('answers 404 for a method the simulator does not serve', async () => {
      const url = `${sim.baseUrl}/chats/${encodeURIComponent(PHONE)}/messages`;
      const answer = await read(await fetch(url, { headers: authHeaders(KEY) }));
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual(apiError(404));
    });
  });

  describe('chatId validation', () => {
    it.each([
      ['a national number', '5551234567'],
      ['a number with a leading zero', '+05551234567'],
      ['something that is not an email', 'not-an-email'],
      ['a path traversal', '../+15551234567'],
      ['a list with an empty entry', `${PHONE},`],
      ['a list with a duplicate', `${PHONE},${PHONE}`],
    ])('answers 400 without code for %s', async (_label, chatId) => {
      const answer = await send(sim, chatId, { text: 'hi' });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(apiError(400));
      expect(answer.body).not.toHaveProperty('code');
    });

    it('answers 404 "Chat not found" without code for a group it never created', async () => {
      const answer = await send(sim, 'grp_doesnotexist', { text: 'hi' });
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: 'ApiError', message: 'Chat not found', status: 404 });
    });

    it('accepts an email chatId', async () => {
      const answer = await send(sim, 'Someone@Example.com', { text: 'hi' });
      expect(answer.status).toBe(202);
    });
  });

  describe('body validation', () => {
    it.each([
      ['no content', { use_typing_indicator: true }],
      ['an empty text', { text: '' }],
      ['empty attachments and parts', { attachments: [], parts: [] }],
    ])('answers 400 for %s', async (_label, body) => {
      const answer = await send(sim, PHONE, body);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(apiError(400, 'Message must have text, attachments or parts'));
    });

    it('answers 400 for a body that is not JSON, and records its raw text', async () => {
      const answer = await send(sim, PHONE, undefined, { rawBody: '{not json' });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(apiError(400));
      expect(sim.requests[0].body).toBe('{not json');
    });

    it('answers 400 for a JSON body that is not an object', async () => {
      const answer = await send(sim, PHONE, ['hi']);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(apiError(400));
    });

    it('accepts attachments only and parts only', async () => {
      const withAttachments = await send(sim, PHONE, {
        attachments: ['https://example.com/a.png', { url: 'https://example.com/b.png' }],
      });
      const withParts = await send(sim, PHONE, {
        parts: [{ text: 'look' }, { url: 'https://example.com/c.png', name: 'c.png' }],
      });
      expect(withAttachments.status).toBe(202);
      expect(withParts.status).toBe(202);
    });

    it('answers 400 for a from_number that is not E.164', async () => {
      const answer = await send(sim, PHONE, { text: 'hi', from_number: '5550001111' });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(apiError(400));
    });

    it('answers 400 when X-From-Number and from_number differ, 202 when they agree', async () => {
      const differ = await send(
        sim,
        PHONE,
        { text: 'hi', from_number: '+15550001111' },
        { headers: { 'x-from-number': '+15550002222' } },
      );
      const agree = await send(
        sim,
        PHONE,
        { text: 'hi', from_number: '+15550001111' },
        { headers: { 'x-from-number': '+15550001111' } },
      );
      expect(differ.status).toBe(400);
      expect(differ.body).toEqual(apiError(400));
      expect(agree.status).toBe(202);
    });
  });

  describe('sending', () => {
    it('answers 202 with a new message id and status queued', async () => {
      const first = await send(sim, PHONE, { text: 'hi' });
      const second = await send(sim, PHONE, { text: 'hi' });
      expect(first.status).toBe(202);
      expect(first.body).toEqual({
        message_id: expect.stringMatching(MESSAGE_ID),
        status: 'queued',
      });
      expect(second.body).not.toEqual(first.body);
    });

    it('answers message_ids for a text array, one id per string, as the spec does', async () => {
      const answer = await send(sim, PHONE, { text: ['one', 'two', 'three'] });
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({
        message_ids: [
          expect.stringMatching(MESSAGE_ID),
          expect.stringMatching(MESSAGE_ID),
          expect.stringMatching(MESSAGE_ID),
        ],
        status: 'queued',
      });
      expect(new Set((answer.body as { message_ids: string[] }).message_ids).size).toBe(3);
    });

    it('answers message_ids and count for a URL-balloon batch (count only there)', async () => {
      const preview = { title: 'T', image_url: 'https://cdn.example.com/p.png' };
      const answer = await send(sim, PHONE, {
        parts: [
          { text: 'https://example.com/a', link_preview: preview },
          { text: 'https://example.com/b', link_preview: preview },
        ],
      });
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({
        message_ids: [expect.stringMatching(MESSAGE_ID), expect.stringMatching(MESSAGE_ID)],
        count: 2,
        status: 'queued',
      });
    });

    it('creates a group for a new participant set and reuses it in any order', async () => {
      const created = await send(sim, `${PHONE},Bob@Example.com`, { text: 'hi' });
      expect(created.status).toBe(202);
      expect(created.body).toEqual({
        message_id: expect.stringMatching(MESSAGE_ID),
        status: 'queued',
        group_id: expect.stringMatching(GROUP_ID),
        group_created: true,
        participants: [PHONE, 'bob@example.com'],
      });
      const groupId = (created.body as { group_id: string }).group_id;

      const reused = await send(sim, `bob@example.com,${PHONE}`, { text: 'again' });
      expect(reused.body).toMatchObject({
        group_id: groupId,
        group_created: false,
        participants: ['bob@example.com', PHONE],
      });

      const other = await send(sim, `${PHONE},${OTHER_PHONE}`, { text: 'hi' });
      expect(other.body).toMatchObject({ group_created: true });
      expect((other.body as { group_id: string }).group_id).not.toBe(groupId);
    });

    it('sends to a group id it created', async () => {
      const created = await send(sim, `${PHONE},${OTHER_PHONE}`, { text: 'hi' });
      const groupId = (created.body as { group_id: string }).group_id;
      const answer = await send(sim, groupId, { text: 'to the group' });
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({
        message_id: expect.stringMatching(MESSAGE_ID),
        status: 'queued',
      });
    });
  });

  describe('idempotency', () => {
    it('answers 200 with exactly the first body for a repeated Idempotency-Key', async () => {
      const headers = { 'idempotency-key': 'key-1' };
      const first = await send(sim, `${PHONE},${OTHER_PHONE}`, { text: ['a', 'b'] }, { headers });
      const replay = await send(sim, `${PHONE},${OTHER_PHONE}`, { text: ['a', 'b'] }, { headers });
      expect(first.status).toBe(202);
      expect(replay.status).toBe(200);
      expect(replay.text).toBe(first.text);
    });

    it('keeps a separate namespace per API key', async () => {
      const headers = { 'idempotency-key': 'shared-key' };
      const fromA = await send(sim, PHONE, { text: 'hi' }, { headers, key: 'key-a' });
      const fromB = await send(sim, PHONE, { text: 'hi' }, { headers, key: 'key-b' });
      const againA = await send(sim, PHONE, { text: 'hi' }, { headers, key: 'key-a' });
      expect(fromA.status).toBe(202);
      expect(fromB.status).toBe(202);
      expect(fromB.body).not.toEqual(fromA.body);
      expect(againA.status).toBe(200);
      expect(againA.body).toEqual(fromA.body);
    });

    it('answers 202 for each send without an Idempotency-Key', async () => {
      const first = await send(sim, PHONE, { text: 'hi' });
      const second = await send(sim, PHONE, { text: 'hi' });
      expect([first.status, second.status]).toEqual([202, 202]);
    });
  });

  describe('reply_to', () => {
    it('answers 404 reply_target_not_found for an unknown message_id', async () => {
      const answer = await send(sim, PHONE, {
        text: 'hi',
        reply_to: { message_id: 'msg_unknown' },
      });
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual(apiError(404, undefined, 'reply_target_not_found'));
    });

    it('replies to a known message in the same chat', async () => {
      const parent = await send(sim, PHONE, { text: 'parent' });
      const parentId = (parent.body as { message_id: string }).message_id;
      const answer = await send(sim, PHONE, { text: 'child', reply_to: { message_id: parentId } });
      expect(answer.status).toBe(202);
      expect(answer.body).not.toHaveProperty('parent_unresolved');
    });

    it('answers parent_unresolved: true for a guid without message_id', async () => {
      const answer = await send(sim, PHONE, {
        text: 'hi',
        reply_to: { guid: 'p:0/ABC', part_index: 0 },
      });
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({ status: 'queued', parent_unresolved: true });
    });

    it('answers 400 reply_target_not_supported with a text array', async () => {
      const answer = await send(sim, PHONE, { text: ['a', 'b'], reply_to: { guid: 'p:0/ABC' } });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(apiError(400, undefined, 'reply_target_not_supported'));
    });

    it('answers 400 reply_target_invalid without message_id and guid', async () => {
      const answer = await send(sim, PHONE, { text: 'hi', reply_to: {} });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(apiError(400, undefined, 'reply_target_invalid'));
    });
  });

  describe('message status', () => {
    it('moves queued → sent → delivered on the configured timeline', async () => {
      const sent = await send(sim, PHONE, { text: 'hi' });
      const messageId = (sent.body as { message_id: string }).message_id;
      const seen: string[] = [];
      for (let i = 0; i < 100 && seen.at(-1) !== 'delivered'; i++) {
        const answer = await status(sim, PHONE, messageId);
        expect(answer.status).toBe(200);
        const state = (answer.body as { status: string }).status;
        if (seen.at(-1) !== state) seen.push(state);
        await sleep(20);
      }
      expect(seen).toEqual(['queued', 'sent', 'delivered']);
    });

    it('answers the MessageStatus shape', async () => {
      const sent = await send(sim, PHONE, { text: 'hi' });
      const messageId = (sent.body as { message_id: string }).message_id;
      const answer = await status(sim, PHONE, messageId);
      expect(answer.body).toEqual({
        message_id: messageId,
        chat_id: PHONE,
        direction: 'outbound',
        status: 'queued',
        protocol: 'pending',
        time_sent: expect.any(Number),
        time_delivered: null,
        error: null,
      });
    });

    it('answers 404 for an unknown message, another chat or another API key', async () => {
      const sent = await send(sim, PHONE, { text: 'hi' });
      const messageId = (sent.body as { message_id: string }).message_id;
      const unknown = await status(sim, PHONE, 'msg_unknown');
      const otherChat = await status(sim, OTHER_PHONE, messageId);
      const otherKey = await status(sim, PHONE, messageId, 'another-key');
      for (const answer of [unknown, otherChat, otherKey]) {
        expect(answer.status).toBe(404);
        expect(answer.body).toEqual(apiError(404));
      }
    });

    it('finds a group message by group id and by participant list', async () => {
      const sent = await send(sim, `${PHONE},${OTHER_PHONE}`, { text: 'hi' });
      const { message_id: messageId, group_id: groupId } = sent.body as Record<string, string>;
      const byGroup = await status(sim, groupId, messageId);
      const byList = await status(sim, `${OTHER_PHONE},${PHONE}`, messageId);
      expect(byGroup.body).toMatchObject({ message_id: messageId, chat_id: groupId });
      expect(byList.status).toBe(200);
    });
  });

  describe('magic recipients', () => {
    it.each([
      [SIMULATOR_MAGIC_NUMBERS.inboundOnly, 403, 'inbound_only_no_prior_inbound'],
      [SIMULATOR_MAGIC_NUMBERS.outboundLimitReached, 429, 'outbound_limit_reached'],
      [SIMULATOR_MAGIC_NUMBERS.rateLimited, 429, undefined],
      [SIMULATOR_MAGIC_NUMBERS.noActiveNumber, 503, undefined],
      [SIMULATOR_MAGIC_NUMBERS.attachmentFirstMessage, 400, 'attachment_first_message_not_allowed'],
    ])('%s answers %d with code %s', async (number, statusCode, code) => {
      const answer = await send(sim, number, { text: 'hi' });
      expect(answer.status).toBe(statusCode);
      expect(answer.body).toEqual(apiError(statusCode, undefined, code));
    });

    it('sends Retry-After: 1 only with the plain 429', async () => {
      const plain = await send(sim, SIMULATOR_MAGIC_NUMBERS.rateLimited, { text: 'hi' });
      const quota = await send(sim, SIMULATOR_MAGIC_NUMBERS.outboundLimitReached, { text: 'hi' });
      expect(plain.headers.get('retry-after')).toBe('1');
      expect(quota.headers.get('retry-after')).toBeNull();
    });

    it('answers 503 "No active number available"', async () => {
      const answer = await send(sim, SIMULATOR_MAGIC_NUMBERS.noActiveNumber, { text: 'hi' });
      expect(answer.body).toEqual(apiError(503, 'No active number available'));
    });

    it('answers 202 with status failed, and the status endpoint agrees', async () => {
      const chatId = SIMULATOR_MAGIC_NUMBERS.sendFailed;
      const answer = await send(sim, chatId, { text: 'hi' });
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({
        message_id: expect.stringMatching(MESSAGE_ID),
        status: 'failed',
      });
      const messageId = (answer.body as { message_id: string }).message_id;
      const current = await status(sim, chatId, messageId);
      expect(current.body).toMatchObject({ status: 'failed', error: expect.any(String) });
    });

    it('triggers when the number is one of several recipients', async () => {
      const answer = await send(sim, `${PHONE},${SIMULATOR_MAGIC_NUMBERS.inboundOnly}`, {
        text: 'hi',
      });
      expect(answer.status).toBe(403);
    });
  });

  describe('faults', () => {
    it('answers a queued status and body, then goes back to normal (FIFO)', async () => {
      sim.enqueueFault({ status: 502, body: { oops: true } }, { status: 504 });
      const first = await send(sim, PHONE, { text: 'hi' });
      const second = await send(sim, PHONE, { text: 'hi' });
      const third = await send(sim, PHONE, { text: 'hi' });
      expect(first.status).toBe(502);
      expect(first.body).toEqual({ oops: true });
      expect(second.status).toBe(504);
      expect(second.body).toEqual(apiError(504));
      expect(third.status).toBe(202);
      expect(sim.requests).toHaveLength(3);
    });

    it('answers a raw non-JSON body as text/plain with status 500 by default', async () => {
      sim.enqueueFault({ raw: '<html>bad gateway</html>' });
      const answer = await send(sim, PHONE, { text: 'hi' });
      expect(answer.status).toBe(500);
      expect(answer.text).toBe('<html>bad gateway</html>');
      expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    });

    it('defaults to 500 for a body without status', async () => {
      sim.enqueueFault({ body: { error: 'Boom' } });
      const answer = await send(sim, PHONE, { text: 'hi' });
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({ error: 'Boom' });
    });

    it('adds fault headers to the answer', async () => {
      sim.enqueueFault({
        status: 429,
        body: apiError(429, 'slow down'),
        headers: { 'retry-after': '2' },
      });
      const answer = await send(sim, PHONE, { text: 'hi' });
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBe('2');
    });

    it('delays a normal answer by delayMs', async () => {
      sim.enqueueFault({ delayMs: 150 });
      const started = performance.now();
      const answer = await send(sim, PHONE, { text: 'hi' });
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      expect(answer.status).toBe(202);
    });

    it('resets the connection: fetch rejects', async () => {
      sim.enqueueFault({ reset: true });
      await expect(send(sim, PHONE, { text: 'hi' })).rejects.toThrow();
      expect(sim.requests).toHaveLength(1);
    });

    it('hangs until the caller gives up', async () => {
      sim.enqueueFault({ hang: true });
      const attempt = send(sim, PHONE, { text: 'hi' }, { signal: AbortSignal.timeout(200) });
      await expect(attempt).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(sim.requests).toHaveLength(1);
    });

    it('takes precedence over authentication and validation', async () => {
      sim.enqueueFault({ status: 503, body: { down: true } });
      const answer = await send(sim, 'not a chat', {}, { key: null });
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ down: true });
    });
  });

  describe('recorded requests', () => {
    it('records method, percent-encoded rawUrl, decoded chatId, lower-cased headers and body', async () => {
      const before = Date.now();
      await send(
        sim,
        PHONE,
        { text: 'hi' },
        { headers: { 'Idempotency-Key': 'abc', 'X-From-Number': '+15550001111' } },
      );
      expect(sim.requests).toEqual([
        {
          method: 'POST',
          rawUrl: '/v2/api/chats/%2B15551234567/messages',
          chatId: PHONE,
          headers: expect.objectContaining({
            authorization: `Bearer ${KEY}`,
            'idempotency-key': 'abc',
            'x-from-number': '+15550001111',
            'content-type': 'application/json',
          }),
          body: { text: 'hi' },
          receivedAt: expect.any(Number),
        },
      ]);
      expect(sim.requests[0].receivedAt).toBeGreaterThanOrEqual(before);
    });

    it('keeps a multi-recipient chatId encoded in rawUrl', async () => {
      await send(sim, `${PHONE},bob@example.com`, { text: 'hi' });
      expect(sim.requests[0].rawUrl).toBe(
        '/v2/api/chats/%2B15551234567%2Cbob%40example.com/messages',
      );
      expect(sim.requests[0].chatId).toBe(`${PHONE},bob@example.com`);
    });

    it('records requests to unknown routes without a chatId', async () => {
      await fetch(`${sim.baseUrl}/nowhere`);
      expect(sim.requests).toHaveLength(1);
      expect(sim.requests[0]).toMatchObject({ method: 'GET', rawUrl: '/v2/api/nowhere' });
      expect(sim.requests[0]).not.toHaveProperty('chatId');
      expect(sim.requests[0].body).toBeUndefined();
    });
  });

  describe('limits and options', () => {
    it('answers 413 error JSON for a body over 1 MiB', async () => {
      const answer = await send(sim, PHONE, { text: 'x'.repeat(1024 * 1024 + 1) });
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual(apiError(413));
    });

    it('adds latencyMs to every normal answer', async () => {
      const slow = await BlooioSimulator.start({ latencyMs: 120 });
      try {
        const started = performance.now();
        const answer = await send(slow, PHONE, { text: 'hi' });
        expect(performance.now() - started).toBeGreaterThanOrEqual(110);
        expect(answer.status).toBe(202);
      } finally {
        await slow.close();
      }
    });

    it('rejects a statusTimeline that delivers before it sends', async () => {
      await expect(
        BlooioSimulator.start({ statusTimeline: { sentAfterMs: 100, deliveredAfterMs: 50 } }),
      ).rejects.toThrow(RangeError);
    });

    it.each([
      { statusTimeline: { sentAfterMs: 10, deliveredAfterMs: 50, readAfterMs: 40 } },
      { statusTimeline: { sentAfterMs: 10, deliveredAfterMs: 50, replyAfterMs: 5 } },
      { webhooks: { retryDelaysMs: [10, -1] } },
      { webhooks: { attemptTimeoutMs: 0 } },
    ])('rejects inconsistent webhook timings %j', async (options) => {
      await expect(BlooioSimulator.start(options)).rejects.toThrow(RangeError);
    });
  });

  describe('clear()', () => {
    it('forgets requests, faults, idempotency records, groups and messages', async () => {
      const headers = { 'idempotency-key': 'to-forget' };
      const first = await send(sim, `${PHONE},${OTHER_PHONE}`, { text: 'hi' }, { headers });
      const { message_id: messageId, group_id: groupId } = first.body as Record<string, string>;
      sim.enqueueFault({ status: 500 });

      sim.clear();

      expect(sim.requests).toEqual([]);
      const again = await send(sim, `${PHONE},${OTHER_PHONE}`, { text: 'hi' }, { headers });
      expect(again.status).toBe(202); // no fault, no replay
      expect(again.body).toMatchObject({ group_created: true });
      expect((again.body as { group_id: string }).group_id).not.toBe(groupId);
      expect((await send(sim, groupId, { text: 'hi' })).status).toBe(404);
      expect((await status(sim, groupId, messageId)).status).toBe(404);
    });
  });

  describe('close()', () => {
    it('resolves while a request hangs, and the hanging request fails', async () => {
      const own = await BlooioSimulator.start();
      own.enqueueFault({ hang: true });
      const hanging = send(own, PHONE, { text: 'hi' });
      const outcome = hanging.then(
        () => 'answered',
        () => 'failed',
      );
      while (own.requests.length === 0) await sleep(10);

      await expect(within(own.close(), 2000)).resolves.toBe('settled');
      await expect(outcome).resolves.toBe('failed');
    });

    it('resolves while a delayed answer is pending', async () => {
      const own = await BlooioSimulator.start();
      own.enqueueFault({ delayMs: 60_000 });
      const outcome = send(own, PHONE, { text: 'hi' }).then(
        () => 'answered',
        () => 'failed',
      );
      while (own.requests.length === 0) await sleep(10);
      await expect(within(own.close(), 2000)).resolves.toBe('settled');
      await expect(outcome).resolves.toBe('failed');
    });
  });
});
