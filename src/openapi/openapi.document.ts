import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { SANE_REQUEST_ID } from '../http/request-id';
import { GATEWAY_KEY_SECURITY } from '../tenants/authenticated.decorator';

const DESCRIPTION = [
  'One REST API for sending iMessages through Blooio on behalf of several tenants.',
  '',
  'Authenticate with `Authorization: Bearer <gateway API key>` (use **Authorize**). Each key belongs',
  "to one tenant; the gateway sends with that tenant's own Blooio key.",
  'Every error is `application/problem+json` (RFC 9457) with a stable `code`.',
].join('\n');

/** Every answer carries it (DESIGN.md §2), whatever the route or status. */
export const REQUEST_ID_RESPONSE_HEADER = {
  description: "The request id: the caller's X-Request-Id when it sent a sane one, else a new UUID",
  schema: { type: 'string', maxLength: 128, pattern: SANE_REQUEST_ID.source },
} as const;

/** The gateway's OpenAPI document, keys sorted so the committed copy diffs cleanly. */
export function createOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('blooio-gateway')
    .setDescription(DESCRIPTION)
    .setVersion(version)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'bgw_ key',
        description: 'Gateway API key (bgw_…) of one tenant',
      },
      GATEWAY_KEY_SECURITY,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations as Record<string, OperationLike>)) {
      for (const response of Object.values(operation.responses ?? {})) {
        response.headers = { 'X-Request-Id': REQUEST_ID_RESPONSE_HEADER, ...response.headers };
      }
    }
  }
  return sortDocumentKeys(document);
}

interface OperationLike {
  responses?: Record<string, { headers?: Record<string, unknown> }>;
}

/**
 * The served and committed form, byte for byte: sorted, two-space indented, newline at the end.
 * GET /docs/openapi.json answers exactly these bytes; `npm run openapi` writes them to openapi.json.
 */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(sortDocumentKeys(document), null, 2)}\n`;
}

/**
 * Object keys in code-point order, except inside `example` and `examples`: there the order is what
 * Swagger UI shows (the examples dropdown starts with the first; a body lists `recipients` first).
 */
function sortDocumentKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => sortDocumentKeys(item)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [
        key,
        key === 'example' || key === 'examples' ? record[key] : sortDocumentKeys(record[key]),
      ]),
  ) as T;
}
