import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { AppModule } from '../../src/app.module';
import { createFastifyAdapter, NEST_APPLICATION_OPTIONS, setupApp } from '../../src/app.setup';
import { createLogger } from '../../src/logging/logger';
import { PinoNestLogger } from '../../src/logging/pino-nest.logger';
import { BlooioSimulator, type BlooioSimulatorOptions } from '../../src/sandbox/blooio-simulator';
import { LogCapture } from './log-capture';
import { BLOOIO_KEYS, TEST_TENANT_ENV, testTenantsDocument } from './tenants.fixture';

export interface TestGateway {
  app: NestFastifyApplication;
  http: () => TestAgent;
  logs: LogCapture;
  close: () => Promise<void>;
}

export interface GatewayOptions {
  /**
   * Tenant document written to a temporary TENANTS_FILE; omit for none (sandbox tests: then
   * TENANTS_FILE is unset and the default file is looked for in an empty folder).
   */
  tenants?: unknown;
  /** Extra environment for this gateway (BLOOIO_BASE_URL, limits…). */
  env?: Record<string, string>;
  logLevel?: string;
  /** Providers replaced by test doubles: `[token, value]` (e.g. a fake EVENT_DELIVERIES). */
  overrides?: readonly (readonly [token: string | symbol, value: unknown])[];
}

/**
 * Boots the real AppModule through the same setupApp() as main.ts, with the environment set only
 * while Nest reads it, and every log line captured.
 */
export async function startGateway(options: GatewayOptions = {}): Promise<TestGateway> {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    SANDBOX: 'false',
    LOG_LEVEL: options.logLevel ?? 'debug',
    BLOOIO_TIMEOUT_MS: '3000',
    // Suites fire many requests a second; the rate-limit suite sets its own limits.
    RATE_LIMIT_PER_SECOND: '100000',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_READS_PER_SECOND: '100000',
    ...TEST_TENANT_ENV,
    ...options.env,
  };
  if (options.tenants !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'bgw-e2e-'));
    env.TENANTS_FILE = join(dir, 'tenants.yaml');
    writeFileSync(env.TENANTS_FILE, JSON.stringify(options.tenants));
  }
  const logs = new LogCapture();
  const logger = createLogger((env.LOG_LEVEL ?? 'debug') as 'debug', logs);

  // No tenant file, as on a fresh clone: a developer's own config/tenants.yaml must not count.
  const noTenantsFile = env.TENANTS_FILE === undefined;
  const saved = new Map(
    [...Object.keys(env), 'TENANTS_FILE'].map((name) => [name, process.env[name]]),
  );
  Object.assign(process.env, env);
  if (noTenantsFile) delete process.env.TENANTS_FILE;
  const cwd = process.cwd();
  if (noTenantsFile) process.chdir(mkdtempSync(join(tmpdir(), 'bgw-no-tenants-')));
  let app: NestFastifyApplication;
  try {
    let builder = Test.createTestingModule({ imports: [AppModule] });
    for (const [token, value] of options.overrides ?? []) {
      builder = builder.overrideProvider(token).useValue(value);
    }
    const moduleRef = await builder.compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(
      createFastifyAdapter({
        bodyLimitBytes: Number(env.BODY_LIMIT_BYTES ?? 262_144),
        ...(env.REQUEST_TIMEOUT_MS && { requestTimeoutMs: Number(env.REQUEST_TIMEOUT_MS) }),
        ...(env.KEEP_ALIVE_TIMEOUT_MS && { keepAliveTimeoutMs: Number(env.KEEP_ALIVE_TIMEOUT_MS) }),
        logger,
      }),
      { ...NEST_APPLICATION_OPTIONS, logger: new PinoNestLogger(logger) },
    );
    await setupApp(app);
    await app.getHttpAdapter().getInstance().ready();
  } finally {
    process.chdir(cwd);
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  return {
    app,
    http: () => request(app.getHttpServer()),
    logs,
    close: () => app.close(),
  };
}

/** The usual e2e pair: a simulator that knows the fixture's Blooio keys, and a gateway on it. */
export async function startGatewayWithSimulator(
  options: GatewayOptions & { simulator?: BlooioSimulatorOptions } = {},
): Promise<TestGateway & { simulator: BlooioSimulator }> {
  const simulator = await BlooioSimulator.start({
    apiKeys: [BLOOIO_KEYS.acme, BLOOIO_KEYS.globex],
    statusTimeline: { sentAfterMs: 50, deliveredAfterMs: 100 },
    ...options.simulator,
  });
  const gateway = await startGateway({
    tenants: testTenantsDocument(),
    ...options,
    env: { BLOOIO_BASE_URL: simulator.baseUrl, ...options.env },
  });
  return {
    ...gateway,
    simulator,
    close: async () => {
      await gateway.close();
      await simulator.close();
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
