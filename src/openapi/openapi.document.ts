import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { sortKeysDeep } from '../common/canonical-json';
import { GATEWAY_KEY_SECURITY } from '../tenants/authenticated.decorator';

const DESCRIPTION = [
  'One REST API for sending iMessages through Blooio on behalf of several tenants.',
  '',
  'Authenticate with `Authorization: Bearer <gateway API key>` (use **Authorize**). Each key belongs',
  "to one tenant; the gateway sends with that tenant's own Blooio key.",
  'Every error is `application/problem+json` (RFC 9457) with a stable `code`.',
].join('\n');

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
  return sortKeysDeep(SwaggerModule.createDocument(app, config));
}

/** The committed form: sorted, two-space indented, newline at the end. */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(sortKeysDeep(document), null, 2)}\n`;
}
