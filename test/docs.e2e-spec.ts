import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashApiKey } from '../src/common/api-key';
import { startGateway, startGatewayWithSimulator } from './support/gateway';
import { BLOOIO_KEYS, KEYS, testTenantsDocument } from './support/tenants.fixture';

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
    gateway = await startGatewayWithSimulator();
    served = (await gateway.http().get('/docs/openapi.json').expect(200)).body;
  });
  afterAll(() => gateway.close());

  it('serves Swagger UI at /docs', async () => {
    const response = await gateway.http().get('/docs').redirects(1).expect(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.text).toContain('swagger-ui');
  });

  it('serves the committed openapi.json (run `npm run openapi` after changing a DTO or controller)', () => {
    const committed: unknown = JSON.parse(
      readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'),
    );
    expect(served).toEqual(committed);
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
      expect(responses[status]?.content?.['application/problem+json']).toEqual({
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
    const secrets = [
      ...Object.values(KEYS),
      ...Object.values(KEYS).map(hashApiKey),
      ...Object.values(BLOOIO_KEYS),
    ];
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
