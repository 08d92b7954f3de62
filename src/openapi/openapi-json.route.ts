import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { serializeOpenApiDocument } from './openapi.document';

/**
 * Serves the document as exactly the bytes `npm run openapi` commits (Swagger's own JSON route
 * answers compact JSON), so `curl …/docs/openapi.json | cmp - openapi.json` holds.
 */
export function serveOpenApiJson(app: INestApplication, path: string, document: OpenAPIObject) {
  const bytes = serializeOpenApiDocument(document);
  app.getHttpAdapter().get(`/${path}`, (_request: unknown, reply: OpenApiReply) => {
    reply.type('application/json; charset=utf-8');
    reply.send(bytes);
  });
}

interface OpenApiReply {
  type(contentType: string): void;
  send(body: string): void;
}
