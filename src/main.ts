// First, before any other module loads: V8 flags NODE_OPTIONS refuses (runtime/v8-tuning.ts).
import './runtime/apply-v8-tuning';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { createFastifyAdapter, DOCS_PATH, NEST_APPLICATION_OPTIONS, setupApp } from './app.setup';
import { loadConfiguration } from './config/configuration';
import { ConfigError } from './config/env';
import { closeGracefully, type ShutdownOptions } from './lifecycle/graceful-shutdown';
import { describeBoot } from './boot-summary';
import { createLogger } from './logging/logger';
import { PinoNestLogger } from './logging/pino-nest.logger';
import { SandboxService } from './sandbox/sandbox.service';
import { loopbackUrlOf, registerSandboxReceivers } from './sandbox-receivers';
import { SANDBOX_ENDPOINT_ID } from './tenants/sandbox-tenant';

async function bootstrap(): Promise<void> {
  const { app: config } = loadConfiguration();
  const logger = createLogger(config.logLevel);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    createFastifyAdapter({
      bodyLimitBytes: config.bodyLimitBytes,
      requestTimeoutMs: config.requestTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      logger,
    }),
    { ...NEST_APPLICATION_OPTIONS, logger: new PinoNestLogger(logger) },
  );
  await setupApp(app);
  closeOnSignals(app, { logger, delayMs: config.shutdownDelayMs, graceMs: config.shutdownGraceMs });
  await app.listen({ port: config.port, host: config.host });
  logger.info(describeBoot(app, app.getHttpServer()), 'blooio-gateway started');

  const sandbox = app.get(SandboxService);
  if (sandbox.enabled) {
    // After listen: the simulator posts to the receiver as soon as it is registered.
    await registerSandboxReceivers(app, loopbackUrlOf(app.getHttpServer()), logger);
    printSandboxBanner(
      await app.getUrl(),
      await sandbox.startSimulator(),
      sandbox,
      config.docsEnabled,
    );
  }
}

/**
 * SIGTERM (an orchestrator) or SIGINT (Ctrl-C): readiness 503, stop accepting, finish what is in
 * flight, close, exit 0. A repeated SIGTERM changes nothing; a second SIGINT exits at once.
 */
function closeOnSignals(app: NestFastifyApplication, options: ShutdownOptions): void {
  const { logger } = options;
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) {
      if (signal === 'SIGINT') {
        logger.warn({ signal }, 'second SIGINT: exiting without waiting');
        logger.flush(() => process.exit(130));
      } else {
        logger.info({ signal }, 'already shutting down');
      }
      return;
    }
    closing = true;
    // A person at a terminal has no load balancer to wait for.
    const delayMs = signal === 'SIGINT' ? 0 : options.delayMs;
    logger.info({ signal, delayMs, graceMs: options.graceMs }, 'shutting down');
    closeGracefully(app, { ...options, delayMs }).then(
      (clean) => {
        logger.info({ clean }, 'shut down');
        logger.flush(() => process.exit(0));
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush(() => process.exit(1));
      },
    );
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
}

/** Sandbox only: the demo key is meant to be seen, so it goes to the terminal, not the JSON log. */
function printSandboxBanner(
  url: string,
  simulatorUrl: string,
  sandbox: SandboxService,
  docs: boolean,
): void {
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
    // Blooio's own routes, to watch a message go queued → sent → delivered (README, "Sandbox").
    `  Simulator:   ${simulatorUrl}`,
    ...demoWebhookLines(sandbox),
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/**
 * The demo tenant's endpoint (SANDBOX_WEBHOOK_URL), and its secret when the gateway made it: the
 * one place a webhook secret is printed, as the demo key is, so that a listener can verify.
 */
function demoWebhookLines(sandbox: SandboxService): string[] {
  if (!sandbox.usesDemoTenant) return [];
  const hook = sandbox.demoWebhook;
  if (!hook) {
    return [
      "  Webhooks:    set SANDBOX_WEBHOOK_URL to push the demo tenant's events to a local endpoint",
    ];
  }
  const url = new URL(hook.url);
  const secret = hook.secretGenerated ? hook.secret.reveal() : '"$SANDBOX_WEBHOOK_SECRET"';
  return [
    `  Webhooks:    every event of "demo" is pushed to ${hook.url} (endpoint "${SANDBOX_ENDPOINT_ID}")`,
    hook.secretGenerated
      ? `  Secret:      ${secret}   (set SANDBOX_WEBHOOK_SECRET to keep one)`
      : '  Secret:      the value of SANDBOX_WEBHOOK_SECRET',
    // http: is loopback only: a listener on this machine.
    ...(url.protocol === 'http:'
      ? [`  Listen:      npm run webhooks:listen -- --port ${url.port || '80'} --secret ${secret}`]
      : []),
  ];
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
