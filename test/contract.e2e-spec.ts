import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BLOOIO_EFFECTS } from '../src/blooio/blooio.types';
import {
  startPrism,
  startRecordingProxy,
  type PrismMock,
  type RecordingProxy,
  type UpstreamExchange,
} from './contract/prism';
import { bearer, startGateway, type TestGateway } from './support/gateway';
import { describeSkipped } from './support/skip';
import { ACME_SENDERS, GLOBEX_SENDER, KEYS, testTenantsDocument } from './support/tenants.fixture';

/**
 * Contract tests (DESIGN.md §9): every request shape the gateway can send upstream goes through a
 * recording proxy to `prism mock` on Blooio's published OpenAPI document, which reports any
 * request that breaks the document in an `sl-violations` header.
 */

const SPEC_PATH =
  process.env.BLOOIO_OPENAPI_SPEC ??
  path.resolve(__dirname, '../../shared/blooio/blooio-v2.openapi.json');
const SUITE = "Blooio contract: the gateway's upstream requests against Blooio's OpenAPI document";

// ---------------------------------------------------------------------------------------------
// A second, stricter check: Blooio's schemas are open (no additionalProperties: false), so Prism
// accepts a misspelt field without a word. Every member the gateway sends must be one the
// document declares.

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

interface OpenApiDocument {
  servers?: { url: string }[];
  paths: Record<string, Record<string, { requestBody?: { $ref?: string } & RequestBody }>>;
  components: { schemas: Record<string, Schema> };
}
interface RequestBody {
  content?: Record<string, { schema?: Schema }>;
}

function deref(schema: Schema, spec: OpenApiDocument): Schema {
  let current = schema;
  while (current.$ref) {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = spec.components.schemas[name];
    if (!target) throw new Error(`unresolved $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

const jsonType = (value: unknown): string =>
  Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;

/** Paths of members of `value` that `schema` does not declare (empty when all are declared). */
function undeclaredMembers(
  value: unknown,
  schema: Schema,
  spec: OpenApiDocument,
  at = '',
): string[] {
  const own = deref(schema, spec);
  const merged: Schema = { ...own, properties: { ...own.properties } };
  for (const member of own.allOf ?? []) {
    const part = deref(member, spec);
    Object.assign(merged.properties!, part.properties);
    merged.type ??= part.type;
    merged.items ??= part.items;
    merged.additionalProperties ??= part.additionalProperties;
  }
  const branches = [...(own.oneOf ?? []), ...(own.anyOf ?? [])];
  if (branches.length > 0) {
    const fitting = branches
      .map((branch) => deref(branch, spec))
      .filter((branch) => branch.type === undefined || branch.type === jsonType(value));
    const results = fitting.map((branch) => undeclaredMembers(value, branch, spec, at));
    return results.find((found) => found.length === 0) ?? results[0] ?? [];
  }
  if (Array.isArray(value)) {
    return merged.items
      ? value.flatMap((item, index) =>
          undeclaredMembers(item, merged.items!, spec, `${at}[${index}]`),
        )
      : [];
  }
  if (jsonType(value) !== 'object' || merged.additionalProperties) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([name, member]) => {
    const declared = merged.properties![name];
    const where = at ? `${at}.${name}` : name;
    return declared ? undeclaredMembers(member, declared, spec, where) : [where];
  });
}

function sendMessageRequestSchema(spec: OpenApiDocument): Schema {
  const schema =
    spec.paths['/chats/{chatId}/messages']?.post?.requestBody?.content?.['application/json']
      ?.schema;
  if (!schema) throw new Error('the document has no JSON body for POST /chats/{chatId}/messages');
  return schema;
}

// ---------------------------------------------------------------------------------------------
// Every request shape the gateway can produce (DESIGN.md §2).

interface Shape {
  name: string;
  /** Body of POST /v1/messages. */
  body: Record<string, unknown>;
  /** Gateway key; acme's orders-service key when absent. */
  key?: string;
  /** Caller's Idempotency-Key header, when the shape sends one. */
  idempotencyKey?: string;
  /** The percent-encoded chatId path segment the gateway must use. */
  chatId: string;
  /** The exact upstream JSON body. */
  wire: Record<string, unknown>;
}

const PHONE = '+15551234567';
const PHONE_2 = '+15559876543';
const PHONE_SEGMENT = '%2B15551234567';
const ACME_DEFAULT = ACME_SENDERS[0];
const HTTPS_IMAGE = 'https://example.com/hero.png';

const SHAPES: Shape[] = [
  {
    name: 'one E.164 phone number',
    body: { recipients: [PHONE], text: 'hello' },
    chatId: PHONE_SEGMENT,
    wire: { text: 'hello', from_number: ACME_DEFAULT },
  },
  {
    name: "a national-format number (tenant's defaultCountry)",
    body: { recipients: ['(555) 123-4567'], text: 'hello' },
    chatId: PHONE_SEGMENT,
    wire: { text: 'hello', from_number: ACME_DEFAULT },
  },
  {
    name: 'one email address',
    body: { recipients: ['Jane.Doe@Example.com'], text: 'hello' },
    chatId: 'jane.doe%40example.com',
    wire: { text: 'hello', from_number: ACME_DEFAULT },
  },
  {
    name: 'a group id',
    body: { recipients: ['grp_abc123'], text: 'hello group' },
    chatId: 'grp_abc123',
    wire: { text: 'hello group', from_number: ACME_DEFAULT },
  },
  {
    name: 'several phones and emails',
    body: { recipients: [PHONE, 'jane@example.com', PHONE_2], text: 'hi all' },
    chatId: '%2B15551234567%2Cjane%40example.com%2C%2B15559876543',
    wire: { text: 'hi all', from_number: ACME_DEFAULT },
  },
  {
    name: 'text as a string (tenant without an allow-list)',
    key: KEYS.globex,
    body: { recipients: [PHONE], text: 'Your order has shipped' },
    chatId: PHONE_SEGMENT,
    wire: { text: 'Your order has shipped', from_number: GLOBEX_SENDER },
  },
  {
    name: 'text as an array',
    body: { recipients: [PHONE], text: ['first', 'second', 'third'] },
    chatId: PHONE_SEGMENT,
    wire: { text: ['first', 'second', 'third'], from_number: ACME_DEFAULT },
  },
  {
    name: 'attachments only: URL strings, {url, name} and {url}',
    body: {
      recipients: [PHONE],
      attachments: [
        'https://example.com/receipt.png',
        { url: 'https://example.com/invoice.pdf', name: 'invoice.pdf' },
        { url: 'https://example.com/photo.jpg' },
      ],
    },
    chatId: PHONE_SEGMENT,
    wire: {
      attachments: [
        'https://example.com/receipt.png',
        { url: 'https://example.com/invoice.pdf', name: 'invoice.pdf' },
        { url: 'https://example.com/photo.jpg' },
      ],
      from_number: ACME_DEFAULT,
    },
  },
  {
    name: 'text with attachments',
    body: { recipients: [PHONE], text: 'receipt', attachments: ['https://example.com/r.png'] },
    chatId: PHONE_SEGMENT,
    wire: {
      text: 'receipt',
      attachments: ['https://example.com/r.png'],
      from_number: ACME_DEFAULT,
    },
  },
  {
    name: 'multipart parts: text, text with mention, url with name, url alone',
    body: {
      recipients: [PHONE, PHONE_2],
      parts: [
        { text: 'Jane', mention: PHONE_2 },
        { text: 'see the invoice' },
        { url: 'https://example.com/invoice.pdf', name: 'invoice.pdf' },
        { url: 'https://example.com/photo.jpg' },
      ],
    },
    chatId: '%2B15551234567%2C%2B15559876543',
    wire: {
      parts: [
        { text: 'Jane', mention: PHONE_2 },
        { text: 'see the invoice' },
        { url: 'https://example.com/invoice.pdf', name: 'invoice.pdf' },
        { url: 'https://example.com/photo.jpg' },
      ],
      from_number: ACME_DEFAULT,
    },
  },
  {
    name: 'URL-balloon parts with linkPreview (imageUrl and title, title only, none)',
    body: {
      recipients: [PHONE],
      parts: [
        { text: 'https://example.com/a', linkPreview: { imageUrl: HTTPS_IMAGE, title: 'A' } },
        { text: 'https://example.com/b', linkPreview: { title: 'B' } },
        { text: 'https://example.com/c', linkPreview: { imageUrl: HTTPS_IMAGE } },
        { text: 'https://example.com/d' },
      ],
    },
    chatId: PHONE_SEGMENT,
    wire: {
      parts: [
        { text: 'https://example.com/a', link_preview: { image_url: HTTPS_IMAGE, title: 'A' } },
        { text: 'https://example.com/b', link_preview: { title: 'B' } },
        { text: 'https://example.com/c', link_preview: { image_url: HTTPS_IMAGE } },
        { text: 'https://example.com/d' },
      ],
      from_number: ACME_DEFAULT,
    },
  },
  ...BLOOIO_EFFECTS.map((effect): Shape => ({
    name: `effect "${effect}"`,
    body: { recipients: [PHONE], text: 'surprise', effect },
    chatId: PHONE_SEGMENT,
    wire: { text: 'surprise', effect, from_number: ACME_DEFAULT },
  })),
  {
    name: 'replyTo {messageId}',
    body: { recipients: [PHONE], text: 'yes', replyTo: { messageId: 'msg_abc123def456' } },
    chatId: PHONE_SEGMENT,
    wire: { text: 'yes', reply_to: { message_id: 'msg_abc123def456' }, from_number: ACME_DEFAULT },
  },
  {
    name: 'replyTo {guid, partIndex}',
    body: {
      recipients: [PHONE],
      text: 'yes',
      replyTo: { guid: '5F3C1E2A-0B7D-4F7A-9C55-2B1E5D0A9F11', partIndex: 2 },
    },
    chatId: PHONE_SEGMENT,
    wire: {
      text: 'yes',
      reply_to: { guid: '5F3C1E2A-0B7D-4F7A-9C55-2B1E5D0A9F11', part_index: 2 },
      from_number: ACME_DEFAULT,
    },
  },
  {
    name: 'replyTo {guid} without partIndex',
    body: { recipients: [PHONE], text: 'yes', replyTo: { guid: 'p:0/ABC-123' } },
    chatId: PHONE_SEGMENT,
    wire: { text: 'yes', reply_to: { guid: 'p:0/ABC-123' }, from_number: ACME_DEFAULT },
  },
  {
    name: 'typingIndicator true',
    body: { recipients: [PHONE], text: 'typing…', typingIndicator: true },
    chatId: PHONE_SEGMENT,
    wire: { text: 'typing…', use_typing_indicator: true, from_number: ACME_DEFAULT },
  },
  {
    name: 'typingIndicator false',
    body: { recipients: [PHONE], text: 'no typing', typingIndicator: false },
    chatId: PHONE_SEGMENT,
    wire: { text: 'no typing', use_typing_indicator: false, from_number: ACME_DEFAULT },
  },
  {
    name: 'linkPreview {imageUrl, title}',
    body: {
      recipients: [PHONE],
      text: 'https://example.com/article',
      linkPreview: { imageUrl: HTTPS_IMAGE, title: 'Your order has shipped' },
    },
    chatId: PHONE_SEGMENT,
    wire: {
      text: 'https://example.com/article',
      link_preview: { image_url: HTTPS_IMAGE, title: 'Your order has shipped' },
      from_number: ACME_DEFAULT,
    },
  },
  {
    name: 'shareContact true',
    body: { recipients: [PHONE], text: "it's me", shareContact: true },
    chatId: PHONE_SEGMENT,
    wire: { text: "it's me", share_contact: true, from_number: ACME_DEFAULT },
  },
  {
    name: 'explicit sender from the allow-list',
    body: { recipients: [PHONE], text: 'from line 2', sender: ACME_SENDERS[1] },
    chatId: PHONE_SEGMENT,
    wire: { text: 'from line 2', from_number: ACME_SENDERS[1] },
  },
  {
    name: 'no sender at all (tenant without a default sender)',
    key: KEYS.initech,
    body: { recipients: [PHONE], text: 'Blooio picks the line' },
    chatId: PHONE_SEGMENT,
    wire: { text: 'Blooio picks the line' },
  },
  {
    name: "with the caller's Idempotency-Key",
    idempotencyKey: 'contract-order-1234',
    body: { recipients: [PHONE], text: 'once only' },
    chatId: PHONE_SEGMENT,
    wire: { text: 'once only', from_number: ACME_DEFAULT },
  },
  {
    name: 'every compatible field together (text form)',
    idempotencyKey: 'contract-everything-text',
    body: {
      recipients: [PHONE, 'jane@example.com'],
      sender: ACME_SENDERS[1],
      text: 'https://example.com/offer',
      attachments: ['https://example.com/a.png', { url: 'https://example.com/b.pdf', name: 'b' }],
      effect: 'confetti',
      replyTo: { guid: 'ABC-DEF', partIndex: 0 },
      typingIndicator: true,
      linkPreview: { imageUrl: HTTPS_IMAGE, title: 'Offer' },
      shareContact: false,
    },
    chatId: '%2B15551234567%2Cjane%40example.com',
    wire: {
      text: 'https://example.com/offer',
      attachments: ['https://example.com/a.png', { url: 'https://example.com/b.pdf', name: 'b' }],
      from_number: ACME_SENDERS[1],
      use_typing_indicator: true,
      share_contact: false,
      effect: 'confetti',
      reply_to: { guid: 'ABC-DEF', part_index: 0 },
      link_preview: { image_url: HTTPS_IMAGE, title: 'Offer' },
    },
  },
  {
    name: 'every compatible field together (parts form)',
    idempotencyKey: 'contract-everything-parts',
    body: {
      recipients: ['grp_abc123'],
      sender: ACME_SENDERS[0],
      parts: [
        { text: 'Jane', mention: 'jane@example.com' },
        { url: 'https://example.com/invoice.pdf', name: 'invoice.pdf' },
      ],
      effect: 'none',
      replyTo: { messageId: 'msg_parent' },
      typingIndicator: false,
      shareContact: true,
    },
    chatId: 'grp_abc123',
    wire: {
      parts: [
        { text: 'Jane', mention: 'jane@example.com' },
        { url: 'https://example.com/invoice.pdf', name: 'invoice.pdf' },
      ],
      from_number: ACME_SENDERS[0],
      use_typing_indicator: false,
      share_contact: true,
      effect: 'none',
      reply_to: { message_id: 'msg_parent' },
    },
  },
];

/** Every body field of DESIGN.md §2 appears in at least one shape. */
const GATEWAY_FIELDS = [
  'recipients',
  'sender',
  'text',
  'attachments',
  'parts',
  'effect',
  'replyTo',
  'typingIndicator',
  'linkPreview',
  'shareContact',
];

const describeViolations = (exchange: UpstreamExchange) =>
  `${exchange.method} ${exchange.path} → ${exchange.status}\n` +
  `body: ${JSON.stringify(exchange.body)}\n` +
  `sl-violations: ${JSON.stringify(exchange.violations, null, 2)}`;

function contractSuite() {
  let spec: OpenApiDocument;
  let prism: PrismMock | undefined;
  let proxy: RecordingProxy | undefined;
  let gateway: TestGateway | undefined;
  const conforming = new Set<string>();

  beforeAll(async () => {
    spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as OpenApiDocument;
    // The gateway calls <base URL>/chats/…; Prism serves the spec's paths without the server's
    // base path, so the proxy strips it.
    const basePath = new URL(spec.servers?.[0]?.url ?? 'https://api.blooio.com/v2/api').pathname;
    prism = await startPrism(SPEC_PATH);
    proxy = await startRecordingProxy(prism.origin, basePath.replace(/\/$/, ''));
    gateway = await startGateway({
      tenants: testTenantsDocument(),
      env: { BLOOIO_BASE_URL: proxy.baseUrl },
    });
  }, 60_000);

  afterAll(async () => {
    try {
      await gateway?.close();
    } finally {
      try {
        await proxy?.close();
      } finally {
        await prism?.close();
      }
    }
  }, 30_000);

  beforeEach(() => proxy?.clear());

  it('covers every body field of POST /v1/messages', () => {
    const used = new Set(SHAPES.flatMap((shape) => Object.keys(shape.body)));
    expect([...used].sort()).toEqual([...GATEWAY_FIELDS].sort());
    expect(new Set(SHAPES.map((shape) => shape.name)).size).toBe(SHAPES.length);
  });

  it.each(SHAPES.map((shape) => [shape.name, shape] as const))(
    'sends %s in a shape the document accepts',
    async (_name, shape) => {
      const response = await gateway!
        .http()
        .post('/v1/messages')
        .set({
          ...bearer(shape.key ?? KEYS.acmeOrders),
          ...(shape.idempotencyKey && { 'Idempotency-Key': shape.idempotencyKey }),
        })
        .send(shape.body);

      expect(proxy!.exchanges).toHaveLength(1);
      const [exchange] = proxy!.exchanges;
      // Prism's verdict first, decoded: a violation is the most useful failure message.
      if (exchange.violations !== undefined) {
        throw new Error(`Prism reported a violation:\n${describeViolations(exchange)}`);
      }
      expect(exchange.violations).toBeUndefined();
      expect(exchange.status).toBeGreaterThanOrEqual(200);
      expect(exchange.status).toBeLessThan(300);
      expect(exchange.method).toBe('POST');
      expect(exchange.prismPath).toBe(`/chats/${shape.chatId}/messages`);
      expect(exchange.body).toEqual(shape.wire);
      expect(undeclaredMembers(exchange.body, sendMessageRequestSchema(spec), spec)).toEqual([]);
      expect([200, 202]).toContain(response.status);
      conforming.add(shape.name);
    },
  );

  it(`sent all ${SHAPES.length} request shapes, and every one conformed`, () => {
    expect([...conforming].sort()).toEqual(SHAPES.map((shape) => shape.name).sort());
  });

  describe('negative controls (the checks can fail)', () => {
    it('Prism reports a request without Authorization and with text: 42', async () => {
      const response = await fetch(
        `${proxy!.baseUrl}/chats/${encodeURIComponent(PHONE)}/messages`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: 42 }),
        },
      );
      await response.arrayBuffer();

      expect(proxy!.exchanges).toHaveLength(1);
      const [exchange] = proxy!.exchanges;
      expect(exchange.status).toBeGreaterThanOrEqual(400);
      expect(exchange.status).toBeLessThan(500);
      expect(exchange.violations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ location: ['request'], code: 401 }),
          expect.objectContaining({ location: ['request', 'body', 'text'], code: 'oneOf' }),
        ]),
      );
    });

    it('the declared-members check reports a misspelt field', () => {
      const body = { text: 'x', typing_indicator: true, reply_to: { messageId: 'm' } };
      expect(undeclaredMembers(body, sendMessageRequestSchema(spec), spec)).toEqual([
        'typing_indicator',
        'reply_to.messageId',
      ]);
    });
  });
}

if (existsSync(SPEC_PATH)) {
  describe(SUITE, contractSuite);
} else {
  const reason =
    `Blooio's OpenAPI document is not at ${SPEC_PATH} ` +
    '(set BLOOIO_OPENAPI_SPEC to its path, or check it out beside the repository as ../shared/blooio/)';
  if (process.env.REQUIRE_CONTRACT === '1') {
    describe(SUITE, () => {
      it('has the Blooio OpenAPI document (REQUIRE_CONTRACT=1)', () => {
        throw new Error(`${reason}; REQUIRE_CONTRACT=1 makes the contract tests mandatory`);
      });
    });
  } else {
    describeSkipped(
      SUITE,
      `${reason}. Set REQUIRE_CONTRACT=1 to make it a failure.`,
      contractSuite,
    );
  }
}
