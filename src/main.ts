import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { createFastifyAdapter, DOCS_PATH, NEST_APPLICATION_OPTIONS, setupApp } from './app.setup';
import { loadAppConfig } from './config/app.config';
import { ConfigError } from './config/env';
import { createLogger } from './logging/logger';
import { PinoNestLogger } from './logging/pino-nest.logger';
import { SandboxService } from './sandbox/sandbox.service';

async function bootstrap(): Promise<void> {
  const config = loadAppConfig();
  const logger = createLogger(config.logLevel);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    createFastifyAdapter({ bodyLimitBytes: config.bodyLimitBytes, logger }),
    { ...NEST_APPLICATION_OPTIONS, logger: new PinoNestLogger(logger) },
  );
  await setupApp(app);
  if (process.env.REDIS_URL) {
    logger.warn(
      'REDIS_URL is set, but this release keeps rate limits and idempotency records in memory',
    );
  }
  closeOnSignals(app, logger);
  await app.listen({ port: config.port, host: config.host });

  const sandbox = app.get(SandboxService);
  if (sandbox.enabled) printSandboxBanner(await app.getUrl(), sandbox, config.docsEnabled);
}

/** SIGTERM/SIGINT: stop accepting, finish what is in flight, close sockets, exit 0. */
function closeOnSignals(app: NestFastifyApplication, logger: Logger): void {
  const close = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

/** Sandbox only: the demo key is meant to be seen, so it goes to the terminal, not the JSON log. */
function printSandboxBanner(url: string, sandbox: SandboxService, docs: boolean): void {
  const base = url.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  const lines = [
    '',
    'blooio-gateway is running in SANDBOX mode: messages go to the built-in Blooio simulator.',
    docs ? `  Swagger UI:  ${base}/${DOCS_PATH}` : `  API:         ${base}/v1/messages`,
    sandbox.usesDemoTenant
      ? sandbox.demoApiKeyGenerated
        ? `  Demo key:    ${sandbox.demoApiKey}   (tenant "demo"; set SANDBOX_API_KEY to keep one)`
        : '  Demo key:    the value of SANDBOX_API_KEY (tenant "demo")'
      : '  Tenants:     from TENANTS_FILE',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(
      `blooio-gateway: invalid configuration\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`,
    );
  } else {
    process.stderr.write(
      `blooio-gateway: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
  process.exit(1);
});
