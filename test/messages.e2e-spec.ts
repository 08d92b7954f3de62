import { bearer, startGateway, startGatewayWithSimulator } from './support/gateway';
import {
  ACME_SENDERS,
  BLOOIO_KEYS,
  GLOBEX_SENDER,
  KEYS,
  testTenantsDocument,
} from './support/tenants.fixture';

type Gateway = Awaited<ReturnType<typeof startGatewayWithSimulator>>;

describe('POST /v1/messages (e2e)', () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startGatewayWithSimulator();
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

  const lastUpstream = () => {
    const requests = gateway.simulator.requests;
    expect(requests.length).toBeGreaterThan(0);
    return requests[requests.length - 1];
  };

  describe('recipients → chatId', () => {
    it.each([
      [['+15551234567'], '%2B15551234567', '+15551234567'],
      [['(555) 123-4567'], '%2B15551234567', '+15551234567'],
      [['Jane.Doe@Example.com'], 'jane.doe%40example.com', 'jane.doe@example.com'],
      [
        ['+15551234567', 'jane@example.com', '+1 555 123 4567'],
        '%2B15551234567%2Cjane%40example.com',
        '+15551234567,jane@example.com',
      ],
    ])('sends %j to the chat %s', async (recipients, encoded, chatId) => {
      const response = await send({ recipients, text: 'hello' }).expect(202);
      expect(response.body.chatId).toBe(chatId);
      expect(lastUpstream().rawUrl).toBe(`/v2/api/chats/${encoded}/messages`);
    });

    it('sends to an existing group id as it is', async () => {
      const first = await send({
        recipients: ['+15551234567', '+15559876543'],
        text: 'hi all',
      }).expect(202);
      expect(first.body).toMatchObject({
        groupCreated: true,
        participants: ['+15551234567', '+15559876543'],
      });
      const groupId = first.body.groupId as string;
      expect(groupId).toMatch(/^grp_/);

      const second = await send({ recipients: [groupId], text: 'again' }).expect(202);
      expect(second.body.chatId).toBe(groupId);
      expect(lastUpstream().rawUrl).toBe(`/v2/api/chats/${groupId}/messages`);
    });

    it('reuses the group of the same set of people', async () => {
      const a = await send({ recipients: ['+15551234567', '+15559876543'], text: '1' }).expect(202);
      const b = await send({ recipients: ['+15559876543', '+15551234567'], text: '2' }).expect(202);
      expect(b.body).toMatchObject({ groupId: a.body.groupId, groupCreated: false });
    });
  });

  it("sends with the tenant's Blooio key, headers and a derived idempotency key", async () => {
    const response = await send(
      { recipients: ['+15551234567'], text: 'hi' },
      { 'Idempotency-Key': 'order-1', 'X-Request-Id': 'req-abc' },
    );
    expect(response.status).toBe(202);
    expect(response.headers['x-request-id']).toBe('req-abc');
    expect(response.headers['idempotency-key']).toBe('order-1');
    expect(response.body).toEqual({
      messageId: expect.stringMatching(/^msg_/),
      status: 'queued',
      chatId: '+15551234567',
      sender: ACME_SENDERS[0],
      idempotencyKey: 'order-1',
    });

    const upstream = lastUpstream();
    expect(upstream.method).toBe('POST');
    expect(upstream.headers.authorization).toBe(`Bearer ${BLOOIO_KEYS.acme}`);
    expect(upstream.headers['content-type']).toMatch(/^application\/json/);
    expect(upstream.headers['x-request-id']).toBe('req-abc');
    expect(upstream.headers['x-from-number']).toBe(ACME_SENDERS[0]);
    expect(upstream.headers['idempotency-key']).toMatch(/^[0-9a-f]{64}$/);
    expect(upstream.headers['idempotency-key']).not.toContain('order-1');
    expect(upstream.body).toEqual({ text: 'hi', from_number: ACME_SENDERS[0] });
  });

  it('makes a fresh UUID upstream key when the caller sends none', async () => {
    await send({ recipients: ['+15551234567'], text: 'a' }).expect(202);
    await send({ recipients: ['+15551234567'], text: 'a' }).expect(202);
    const [first, second] = gateway.simulator.requests.map((r) => r.headers['idempotency-key']);
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second).not.toBe(first);
  });

  it('replays a repeated key from its own record: 200, the same body, no second send', async () => {
    const first = await send(
      { recipients: ['+15551234567'], text: 'once' },
      { 'Idempotency-Key': 'replay-1' },
    ).expect(202);
    const second = await send(
      { recipients: ['+15551234567'], text: 'once' },
      { 'Idempotency-Key': 'replay-1' },
    ).expect(200);
    expect(second.text).toBe(first.text);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(gateway.simulator.requests).toHaveLength(1);
  });

  it("answers Blooio's own 200 when the gateway has no record of the key (another replica, a restart)", async () => {
    const other = await startGatewayWithSimulator();
    try {
      // Both gateways talk to the same simulator: the second has no record of the first's send.
      const replicaB = await startGateway({
        tenants: testTenantsDocument(),
        env: { BLOOIO_BASE_URL: other.simulator.baseUrl },
      });
      try {
        const body = { recipients: ['+15551234567'], text: 'once' };
        const first = await other
          .http()
          .post('/v1/messages')
          .set({ ...bearer(KEYS.acmeOrders), 'Idempotency-Key': 'k' })
          .send(body)
          .expect(202);
        const second = await replicaB
          .http()
          .post('/v1/messages')
          .set({ ...bearer(KEYS.acmeOrders), 'Idempotency-Key': 'k' })
          .send(body)
          .expect(200);
        expect(second.body.messageId).toBe(first.body.messageId);
        expect(second.headers['idempotent-replayed']).toBeUndefined();
        expect(other.simulator.requests).toHaveLength(2);

        // A different message under that key, on a replica with no record: a new message at
        // Blooio (the upstream key includes the request's fingerprint), never the old one replayed.
        const replicaC = await startGateway({
          tenants: testTenantsDocument(),
          env: { BLOOIO_BASE_URL: other.simulator.baseUrl },
        });
        try {
          const changed = await replicaC
            .http()
            .post('/v1/messages')
            .set({ ...bearer(KEYS.acmeOrders), 'Idempotency-Key': 'k' })
            .send({ ...body, text: 'a different message' })
            .expect(202);
          expect(changed.body.messageId).not.toBe(first.body.messageId);
        } finally {
          await replicaC.close();
        }
      } finally {
        await replicaB.close();
      }
    } finally {
      await other.close();
    }
  });

  it('derives different upstream keys for two tenants using the same caller key', async () => {
    await send({ recipients: ['+15551234567'], text: 'a' }, { 'Idempotency-Key': 'shared' }).expect(
      202,
    );
    await send(
      { recipients: ['+15551234567'], text: 'a' },
      { 'Idempotency-Key': 'shared' },
      KEYS.globex,
    ).expect(202);
    const [acme, globex] = gateway.simulator.requests;
    expect(acme.headers['idempotency-key']).not.toBe(globex.headers['idempotency-key']);
  });

  it('maps every optional field to its Blooio name', async () => {
    const response = await send({
      recipients: ['+15551234567'],
      sender: ACME_SENDERS[1],
      text: ['first', 'second'],
      attachments: [
        'https://cdn.example.com/a.png',
        { url: 'https://cdn.example.com/b.pdf', name: 'b.pdf' },
      ],
      effect: 'confetti',
      typingIndicator: true,
      linkPreview: { imageUrl: 'https://cdn.example.com/hero.png', title: 'Hero' },
      shareContact: false,
    }).expect(202);
    expect(response.body).toMatchObject({
      messageIds: [expect.any(String), expect.any(String)],
      sender: ACME_SENDERS[1],
    });
    const upstream = lastUpstream();
    expect(upstream.headers['x-from-number']).toBe(ACME_SENDERS[1]);
    expect(upstream.body).toEqual({
      text: ['first', 'second'],
      attachments: [
        'https://cdn.example.com/a.png',
        { url: 'https://cdn.example.com/b.pdf', name: 'b.pdf' },
      ],
      from_number: ACME_SENDERS[1],
      effect: 'confetti',
      use_typing_indicator: true,
      link_preview: { image_url: 'https://cdn.example.com/hero.png', title: 'Hero' },
      share_contact: false,
    });
  });

  it('takes a null attachment name as absent, like any other null optional field', async () => {
    await send({
      recipients: ['+15551234567'],
      attachments: [{ url: 'https://cdn.example.com/b.pdf', name: null }],
    }).expect(202);
    expect(lastUpstream().body).toEqual({
      attachments: [{ url: 'https://cdn.example.com/b.pdf' }],
      from_number: ACME_SENDERS[0],
    });
  });

  it('normalises a mention like a recipient: E.164 for phones, lower case for emails', async () => {
    await send({
      recipients: ['(555) 123-4567', 'Jane@Example.com'],
      parts: [
        { text: 'Hi', mention: '(555) 123-4567' },
        { text: 'and you', mention: 'Jane@Example.com' },
      ],
    }).expect(202);
    expect(lastUpstream().body).toMatchObject({
      parts: [
        { text: 'Hi', mention: '+15551234567' },
        { text: 'and you', mention: 'jane@example.com' },
      ],
    });
  });

  it.each([
    ['a group id', 'grp_abc123', 'must be an E.164 number or an email'],
    ['a path', '../../x', 'must be an E.164 number or an email'],
    ['a number too short to be one', '+1555', 'must be an E.164 number or an email'],
  ])('refuses a mention that is %s, naming the part', async (_name, mention, message) => {
    const response = await send({
      recipients: ['+15551234567'],
      parts: [{ text: 'ok' }, { text: 'Hi', mention }],
    }).expect(400);
    expect(response.body.errors).toEqual([{ path: 'parts.1.mention', message }]);
    expect(gateway.simulator.requests).toHaveLength(0);
  });

  it('maps parts and replies', async () => {
    await send({
      recipients: ['+15551234567'],
      parts: [
        { text: 'Hi', mention: '+15551234567' },
        { url: 'https://cdn.example.com/c.png', name: 'c.png' },
      ],
    }).expect(202);
    expect(lastUpstream().body).toMatchObject({
      parts: [
        { text: 'Hi', mention: '+15551234567' },
        { url: 'https://cdn.example.com/c.png', name: 'c.png' },
      ],
    });

    const parent = await send({ recipients: ['+15551234567'], text: 'parent' }).expect(202);
    await send({
      recipients: ['+15551234567'],
      text: 'child',
      replyTo: { messageId: parent.body.messageId },
    }).expect(202);
    expect(lastUpstream().body).toMatchObject({ reply_to: { message_id: parent.body.messageId } });

    const byGuid = await send({
      recipients: ['+15551234567'],
      text: 'child',
      replyTo: { guid: 'ABC-123', partIndex: 1 },
    }).expect(202);
    expect(lastUpstream().body).toMatchObject({ reply_to: { guid: 'ABC-123', part_index: 1 } });
    expect(byGuid.body.parentUnresolved).toBe(true);
  });

  it('maps URL-balloon batch parts with their link previews', async () => {
    await send({
      recipients: ['+15551234567'],
      parts: [
        { text: 'https://example.com/a', linkPreview: { title: 'A' } },
        { text: 'https://example.com/b', linkPreview: { imageUrl: 'https://example.com/b.png' } },
      ],
    }).expect(202);
    expect(lastUpstream().body).toEqual({
      parts: [
        { text: 'https://example.com/a', link_preview: { title: 'A' } },
        { text: 'https://example.com/b', link_preview: { image_url: 'https://example.com/b.png' } },
      ],
      from_number: ACME_SENDERS[0],
    });
  });

  describe('sender', () => {
    it("uses the tenant's default sender when none is given", async () => {
      await send({ recipients: ['+15551234567'], text: 'x' }, {}, KEYS.globex).expect(202);
      expect(lastUpstream().headers['x-from-number']).toBe(GLOBEX_SENDER);
    });

    it('lets a tenant without a list send from any number', async () => {
      await send(
        { recipients: ['+15551234567'], text: 'x', sender: '+15553334444' },
        {},
        KEYS.globex,
      ).expect(202);
      expect(lastUpstream().body).toMatchObject({ from_number: '+15553334444' });
    });

    it('refuses a sender outside the allow-list with 403 sender_not_allowed, before Blooio', async () => {
      const response = await send({
        recipients: ['+15551234567'],
        text: 'x',
        sender: '+15553334444',
      }).expect(403);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ code: 'sender_not_allowed', status: 403 });
      expect(gateway.simulator.requests).toHaveLength(0);
    });
  });

  it('answers 422 message_failed with the id when Blooio says failed', async () => {
    const response = await send({ recipients: ['+15005550005'], text: 'x' }).expect(422);
    expect(response.body).toMatchObject({
      code: 'message_failed',
      messageId: expect.stringMatching(/^msg_/),
    });
  });

  describe('tenant isolation', () => {
    it("never sends one tenant's message with another tenant's Blooio key or sender", async () => {
      await send({ recipients: ['+15551234567'], text: 'acme' }).expect(202);
      await send({ recipients: ['+15551234567'], text: 'globex' }, {}, KEYS.globex).expect(202);
      const [acme, globex] = gateway.simulator.requests;
      expect(acme.headers.authorization).toBe(`Bearer ${BLOOIO_KEYS.acme}`);
      expect(acme.headers['x-from-number']).toBe(ACME_SENDERS[0]);
      expect(globex.headers.authorization).toBe(`Bearer ${BLOOIO_KEYS.globex}`);
      expect(globex.headers['x-from-number']).toBe(GLOBEX_SENDER);
    });

    it("refuses the other tenant's sender", async () => {
      await send({ recipients: ['+15551234567'], text: 'x', sender: GLOBEX_SENDER }).expect(403);
      expect(gateway.simulator.requests).toHaveLength(0);
    });
  });
});
