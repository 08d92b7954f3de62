import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseBlooioEvent } from '../src/blooio-webhooks/blooio-event.parser';
import { toGatewayEvent } from '../src/blooio-webhooks/blooio-event.mapper';

/**
 * The receiver's reader against Blooio's published `WebhookEventPayload` (DESIGN.md §9): a payload
 * with every property the spec declares, each of its declared type, is read without a problem and
 * without losing a field, so a field Blooio documents can never be silently ignored.
 */
const SPEC_PATH =
  process.env.BLOOIO_OPENAPI_SPEC ??
  path.resolve(__dirname, '../../shared/blooio/blooio-v2.openapi.json');
const SUITE = "Blooio contract: the webhook reader against Blooio's WebhookEventPayload";

interface Schema {
  type?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
}

/** Where each spec field lands in the parsed event (camelCase). */
const FIELD_OF: Record<string, string> = {
  event: 'event',
  message_id: 'messageId',
  external_id: 'externalId',
  status: 'status',
  protocol: 'protocol',
  timestamp: 'timestamp',
  internal_id: 'internalId',
  text: 'text',
  attachments: 'attachments',
  is_group: 'isGroup',
  group_id: 'groupId',
  group_name: 'groupName',
  participants: 'participants',
  sender: 'sender',
  sent_at: 'sentAt',
  delivered_at: 'deliveredAt',
  read_at: 'readAt',
  error_code: 'errorCode',
  error_message: 'errorMessage',
};

/** A value of the schema's type: its first enum value, else a plain example. */
function sample(name: string, schema: Schema): unknown {
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case 'string':
      return name === 'event'
        ? 'message.received'
        : name === 'message_id'
          ? 'msg_1'
          : `${name}-value`;
    case 'integer':
      return 1_764_669_600_000;
    case 'boolean':
      return true;
    case 'array':
      return [sample(`${name}-item`, schema.items ?? {})];
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, value]) => [key, sample(key, value)]),
      );
    default:
      throw new Error(`no sample for ${name} of type ${String(schema.type)}`);
  }
}

function suite(): void {
  const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as {
    components: { schemas: Record<string, Schema> };
  };
  const payload = spec.components.schemas.WebhookEventPayload;

  it('knows every field the spec declares', () => {
    expect(Object.keys(payload.properties ?? {}).sort()).toEqual(Object.keys(FIELD_OF).sort());
  });

  it('reads a payload with every field without losing one, and maps it', () => {
    const body = sample('payload', payload) as Record<string, unknown>;
    const event = parseBlooioEvent(body);
    for (const [field, parsed] of Object.entries(FIELD_OF)) {
      expect({ field, value: (event as unknown as Record<string, unknown>)[parsed] }).toEqual({
        field,
        value: expect.anything(),
      });
    }
    expect(toGatewayEvent('acme', event, Date.now())).toMatchObject({ type: 'message.received' });
  });

  it('reads every status the spec lists, null in every nullable field', () => {
    const nullable = Object.entries(payload.properties ?? {})
      .filter(([, schema]) => (schema as { nullable?: boolean }).nullable)
      .map(([name]) => name);
    expect(nullable.length).toBeGreaterThan(5);
    for (const status of payload.properties?.status.enum ?? []) {
      const body = {
        event: 'message.sent',
        message_id: 'msg_1',
        status,
        is_group: false,
        ...Object.fromEntries(nullable.map((name) => [name, null])),
      };
      expect(parseBlooioEvent(body)).toMatchObject({ status });
    }
  });
}

if (existsSync(SPEC_PATH)) {
  describe(SUITE, suite);
} else {
  const reason = `Blooio's OpenAPI document is not at ${SPEC_PATH} (set BLOOIO_OPENAPI_SPEC)`;
  if (process.env.REQUIRE_CONTRACT === '1') {
    describe(SUITE, () => {
      it('has the Blooio OpenAPI document (REQUIRE_CONTRACT=1)', () => {
        throw new Error(reason);
      });
    });
  } else {
    console.warn(`Skipping: ${reason}`);
    describe.skip(SUITE, suite);
  }
}
