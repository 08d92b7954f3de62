/**
 * `npm run openapi`: writes the OpenAPI document the gateway serves at /docs/openapi.json to
 * openapi.json at the repository root (sorted keys, stable output). A test fails when they drift.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../app.module';
import { createFastifyAdapter, NEST_APPLICATION_OPTIONS } from '../app.setup';
import { PACKAGE_VERSION } from '../common/package-info';
import { createLogger } from '../logging/logger';
import { createOpenApiDocument, serializeOpenApiDocument } from '../openapi/openapi.document';

async function main(): Promise<void> {
  // The document does not depend on tenants: boot the demo sandbox so no configuration is needed.
  // An empty folder holds no default config/tenants.yaml, so the demo tenant is used.
  process.env.SANDBOX = 'true';
  delete process.env.TENANTS_FILE;
  process.chdir(mkdtempSync(join(tmpdir(), 'bgw-openapi-')));
  const logger = createLogger('silent');
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    createFastifyAdapter({ bodyLimitBytes: 1_024, logger }),
    { ...NEST_APPLICATION_OPTIONS, logger: false },
  );
  const target = join(__dirname, '..', '..', 'openapi.json');
  writeFileSync(target, serializeOpenApiDocument(createOpenApiDocument(app, PACKAGE_VERSION)));
  await app.close();
  process.stdout.write(`wrote ${target}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`openapi: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
