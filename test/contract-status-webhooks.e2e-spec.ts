import { Agent } from 'undici';
import { AttemptDeadline } from '../src/blooio/attempt-deadline';
import { createBlooioClient } from '../src/blooio/blooio-client.factory';
import type { BlooioClient } from '../src/blooio/blooio.client';
import { Secret } from '../src/common/secret';
import {
  BLOOIO_SPEC_PATH,
  BlooioSchemas,
  describeWithBlooioSpec,
  readBlooioSpec,
  schemaErrors,
} from './contract/blooio-spec';
import {
  startPrism,
  startRecordingProxy,
  type PrismMock,
  type RecordingProxy,
  type UpstreamExchange,
} from './contract/prism';

/**
 * Contract (DESIGN.md §9, issue 18 item 8): the client's status and webhook-registration calls
 * go through `prism mock` on Blooio's OpenAPI document, which reports any request that breaks it.
 */

const KEY = new Secret('bl_live_contract_key_0001');

describeWithBlooioSpec("Blooio contract: the client's status and POST /webhooks calls", () => {
  let prism: PrismMock | undefined;
  let proxy: RecordingProxy | undefined;
  let agent: Agent;
  let client: BlooioClient;
  let schemas: BlooioSchemas;
  const deadlines: AttemptDeadline[] = [];
  const deadline = () => {
    const created = new AttemptDeadline(10_000);
    deadlines.push(created);
    return created;
  };

  const only = (): UpstreamExchange => {
    expect(proxy!.exchanges).toHaveLength(1);
    const [exchange] = proxy!.exchanges;
    if (exchange.violations !== undefined) {
      throw new Error(
        `Prism reported a violation for ${exchange.method} ${exchange.path}:\n` +
          JSON.stringify(exchange.violations, null, 2),
      );
    }
    return exchange;
  };

  beforeAll(async () => {
    const spec = readBlooioSpec();
    schemas = new BlooioSchemas(spec);
    const basePath = new URL(spec.servers?.[0]?.url ?? 'https://api.blooio.com/v2/api').pathname;
    prism = await startPrism(BLOOIO_SPEC_PATH);
    proxy = await startRecordingProxy(prism.origin, basePath.replace(/\/$/, ''));
    agent = new Agent();
    client = createBlooioClient(proxy.baseUrl, agent);
  }, 60_000);

  afterAll(async () => {
    try {
      await agent?.close();
      await proxy?.close();
    } finally {
      await prism?.close();
    }
  }, 30_000);

  beforeEach(() => proxy?.clear());
  afterEach(() => {
    for (const created of deadlines.splice(0)) created.clear();
  });

  it.each([
    ['a phone number', '+15551234567', '%2B15551234567'],
    ['an email', 'jane@example.com', 'jane%40example.com'],
    ['a group id', 'grp_abc123', 'grp_abc123'],
    ['several recipients', '+15551234567,jane@example.com', '%2B15551234567%2Cjane%40example.com'],
  ])(
    'getMessageStatus for %s: 0 violations, and the answer is a MessageStatus',
    async (_name, chatId, segment) => {
      const result = await client.getMessageStatus(chatId, 'msg_abc123def456', KEY, deadline());
      const exchange = only();
      expect(exchange.method).toBe('GET');
      expect(exchange.prismPath).toBe(`/chats/${segment}/messages/msg_abc123def456/status`);
      expect(exchange.status).toBe(200);
      expect(result.status).toBe(200);
      expect(schemaErrors(schemas.component('MessageStatus'), result.body)).toEqual([]);
    },
  );

  it('createWebhook: 0 violations, a body with only declared members, and the 201 answer read', async () => {
    const url = 'https://gateway.example/webhooks/blooio/acme';
    const result = await client.createWebhook(url, KEY, deadline());
    const exchange = only();
    expect(exchange.method).toBe('POST');
    expect(exchange.prismPath).toBe('/webhooks');
    expect(exchange.body).toEqual({ webhook_url: url, webhook_type: 'all' });
    expect(schemaErrors(schemas.requestBody('/webhooks', 'post'), exchange.body)).toEqual([]);
    expect([200, 201]).toContain(exchange.status);
    expect(result.status).toBe(exchange.status);
  });

  describe('negative controls (the checks can fail)', () => {
    it('Prism reports POST /webhooks without a key, with an unknown webhook_type', async () => {
      const response = await fetch(`${proxy!.baseUrl}/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ webhook_url: 'https://x.example/h', webhook_type: 'everything' }),
      });
      await response.arrayBuffer();
      const [exchange] = proxy!.exchanges;
      expect(exchange.violations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ location: ['request'], code: 401 }),
          expect.objectContaining({ location: ['request', 'body', 'webhook_type'] }),
        ]),
      );
    });

    it('the closed request schema reports a misspelt member', () => {
      expect(
        schemaErrors(schemas.requestBody('/webhooks', 'post'), {
          webhook_url: 'https://x.example/h',
          webhookType: 'all',
        }),
      ).not.toEqual([]);
    });
  });
});
