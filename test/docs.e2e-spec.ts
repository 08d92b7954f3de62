import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, startGatewayWithSimulator } from './support/gateway';
import {
  acmeTestEndpoints,
  secretsNeverShown,
  testTenantsDocument,
} from './support/tenants.fixture';

type Schema = {
  properties?: Record<string, Schema & { description?: string; example?: unknown }>;
  $ref?: string;
};
type Operation = {
  security?: unknown[];
  responses: Record<string, { content?: Record<string, unknown> }>;
};

describe('API documentation (e2e)', () => {
  let gateway: Awaited<ReturnType<typeof startGatewayWithSimulator>>;
  let served: {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> };
  };

  beforeAll(async () => {
    // acme has endpoints: the document must hold none of their secrets.
    gateway = await startGatewayWithSimulator({
      tenants: testTenantsDocument({ acmeWebhooks: acmeTestEndpoints() }),
    });
    served = (await gateway.http().get('/docs/openapi.json').expect(200)).body;
  });
  afterAll(() => gateway.close());

  it('serves Swagger UI at /docs', async () => {
    const response = await gateway.http().get('/docs').redirects(1).expect(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.text).toContain('swagger-ui');
  });

  it('serves the committed openapi.json byte for byte (run `npm run openapi` after changing a DTO or controller)', async () => {
    const committed = readFileSync(join(__dirname, '..', 'openapi.json'));
    const response = await gateway
      .http()
      .get('/docs/openapi.json')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const bytes = response.body as Buffer;
    // Compare as text first for a readable diff, then the bytes themselves.
    expect(bytes.toString('utf8')).toBe(committed.toString('utf8'));
    expect(bytes.equals(committed)).toBe(true);
  });

  it("documents Blooio's webhook receiver: no bearer key, its signature header, its answers", () => {
    const operation = served.paths['/webhooks/blooio/{tenantId}'].post as unknown as {
      tags: string[];
      security?: unknown;
      parameters: { name: string; in: string; required?: boolean }[];
      responses: Record<string, { headers?: Record<string, unknown> }>;
    };
    expect(operation.tags).toEqual(['blooio-webhooks']);
    expect(operation.security).toBeUndefined();
    expect(operation.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'tenantId', in: 'path' }),
        expect.objectContaining({ name: 'X-Blooio-Signature', in: 'header', required: true }),
      ]),
    );
    expect(Object.keys(operation.responses)).toEqual(
      expect.arrayContaining(['204', '400', '401', '503']),
    );
    // Its 401 is not a bearer challenge.
    expect(operation.responses['401'].headers?.['WWW-Authenticate']).toBeUndefined();
  });

  it('never pre-fills Idempotency-Key: Swagger UI would reuse one key for every example', () => {
    const operation = served.paths['/v1/messages'].post as unknown as {
      parameters: {
        name: string;
        description: string;
        example?: unknown;
        examples?: unknown;
        schema: Record<string, unknown>;
      }[];
    };
    const header = operation.parameters.find((p) => p.name === 'Idempotency-Key');
    expect(header).toBeDefined();
    expect(header).not.toHaveProperty('example');
    expect(header).not.toHaveProperty('examples');
    expect(header?.schema).not.toHaveProperty('example');
    expect(header?.schema).not.toHaveProperty('default');
    // Still documented, with a sample to copy.
    expect(header?.description).toMatch(/for example `[^`]+`/);
  });

  it('starts the request examples with the simplest, each body listing recipients first', () => {
    const operation = served.paths['/v1/messages'].post as unknown as {
      requestBody: {
        content: {
          'application/json': { examples: Record<string, { summary: string; value: object }> };
        };
      };
    };
    const examples = Object.values(operation.requestBody.content['application/json'].examples);
    expect(examples[0].summary).toBe('Text to one phone number');
    expect(examples[0].value).toEqual({
      recipients: [expect.any(String)],
      text: expect.any(String),
    });
    for (const { summary, value } of examples) {
      expect({ summary, first: Object.keys(value)[0] }).toEqual({ summary, first: 'recipients' });
    }
  });

  it('shows success answers that can happen: one message, a group, a text array, never all at once', () => {
    const { responses } = served.paths['/v1/messages'].post as unknown as {
      responses: Record<
        string,
        {
          content: Record<string, { examples: Record<string, { value: Record<string, unknown> }> }>;
        }
      >;
    };
    const examples = responses['202'].content['application/json'].examples;
    expect(Object.keys(examples)).toEqual(['single', 'group', 'textArray']);
    for (const [name, { value }] of Object.entries(examples)) {
      // Blooio answers message_id or message_ids, never both.
      expect({ name, both: 'messageId' in value && 'messageIds' in value }).toEqual({
        name,
        both: false,
      });
    }
    expect(examples.group.value).toHaveProperty('groupId');
    expect(examples.textArray.value).toHaveProperty('messageIds');
  });

  it('types status as an integer and documents X-Request-Id on every response', () => {
    for (const name of ['ProblemDetailsDto', 'UpstreamErrorDto']) {
      expect(served.components.schemas[name].properties?.status).toMatchObject({ type: 'integer' });
    }
    const operations = Object.values(served.paths).flatMap((ops) => Object.values(ops));
    expect(operations.length).toBeGreaterThan(3);
    for (const operation of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const headers = (response as { headers?: Record<string, unknown> }).headers ?? {};
        expect({ status, requestId: 'X-Request-Id' in headers }).toEqual({
          status,
          requestId: true,
        });
      }
    }
  });

  it('documents bearer auth on every /v1 operation', () => {
    expect(served.components.securitySchemes['gateway-key']).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    const operation = served.paths['/v1/messages'].post;
    expect(operation.security).toEqual([{ 'gateway-key': [] }]);
  });

  it('documents every error status of the send route as problem+json', () => {
    const { responses } = served.paths['/v1/messages'].post;
    for (const status of [
      '400',
      '401',
      '403',
      '404',
      '409',
      '413',
      '415',
      '422',
      '429',
      '502',
      '503',
      '504',
    ]) {
      expect(responses[status]?.content?.['application/problem+json']).toMatchObject({
        schema: { $ref: '#/components/schemas/ProblemDetailsDto' },
      });
    }
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(['200', '202']));
  });

  it('describes every request and response field, with an example', () => {
    for (const name of [
      'SendMessageDto',
      'MessagePartDto',
      'ReplyToDto',
      'LinkPreviewDto',
      'SendMessageResponseDto',
      'ProblemDetailsDto',
      'FieldErrorDto',
      'UpstreamErrorDto',
    ]) {
      const properties = served.components.schemas[name].properties ?? {};
      expect(Object.keys(properties).length).toBeGreaterThan(0);
      for (const [field, schema] of Object.entries(properties)) {
        const documented = schema.description !== undefined || schema.$ref !== undefined;
        expect({ field: `${name}.${field}`, documented }).toEqual({
          field: `${name}.${field}`,
          documented: true,
        });
        const hasExample =
          schema.example !== undefined ||
          schema.$ref !== undefined ||
          'allOf' in schema ||
          'items' in schema;
        expect({ field: `${name}.${field}`, hasExample }).toEqual({
          field: `${name}.${field}`,
          hasExample: true,
        });
      }
    }
  });

  it('holds no secret', () => {
    const text = JSON.stringify(served);
    // No key or webhook secret of any tenant, either way, nor a whsec_ made up as an example.
    const secrets = secretsNeverShown();
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain(gateway.simulator.baseUrl);
  });

  it('can be switched off with DOCS_ENABLED=false', async () => {
    const quiet = await startGateway({
      tenants: testTenantsDocument(),
      env: { DOCS_ENABLED: 'false' },
    });
    try {
      const response = await quiet.http().get('/docs/openapi.json').expect(404);
      expect(response.body).toMatchObject({ code: 'not_found' });
    } finally {
      await quiet.close();
    }
  });
});
