import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { registerAs } from '@nestjs/config';
import { API_KEY_SYNTAX } from '../common/api-key';
import { Secret } from '../common/secret';
import { isWebhookSecret, WEBHOOK_SECRET_FORMAT } from '../common/webhook-secret';
import { webhookUrlProblem } from '../common/webhook-url';
import { EnvReader } from './env';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_TENANTS_FILE = 'config/tenants.yaml';
/** Defaults of the HTTP edge's timeouts (REQUEST_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
// Longer than the usual load balancer's idle timeout (60 s), as Fastify's own default.
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 72_000;

export interface AppConfig {
  port: number;
  host: string;
  production: boolean;
  /** Built-in Blooio simulator as the upstream, with a demo tenant when there is no tenant file. */
  sandbox: boolean;
  tenantsFile: string;
  tenantsFileExists: boolean;
  sandboxApiKey?: string;
  /**
   * SANDBOX_WEBHOOK_URL: an endpoint of the sandbox's demo tenant (`sandbox-listener`, every event
   * type), such as `npm run webhooks:listen`; checked like a tenant file's endpoint URL.
   */
  sandboxWebhookUrl?: string;
  /** SANDBOX_WEBHOOK_SECRET: that endpoint's secret; without it, one is made at boot and printed. */
  sandboxWebhookSecret?: Secret;
  bodyLimitBytes: number;
  /**
   * Longest a client may take to send a whole request, headers and body (slow clients are cut,
   * 408); also the bound on receiving the headers alone.
   */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  logLevel: LogLevel;
  docsEnabled: boolean;
  /** After SIGTERM, how long in-flight requests may take before their connections are cut. */
  shutdownGraceMs: number;
  /**
   * After SIGTERM, how long to keep serving (readiness already 503) before closing the listener, so
   * that load balancers see the 503 and stop sending first.
   */
  shutdownDelayMs: number;
}

export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const read = new EnvReader(env);
  const production = env.NODE_ENV === 'production';
  const tenantsFileSetting = read.optionalString('TENANTS_FILE');
  const tenantsFile = resolve(tenantsFileSetting ?? DEFAULT_TENANTS_FILE);
  const tenantsFileExists = existsSync(tenantsFile);
  // A file named on purpose that is not there is a mistake in every mode, never a quiet sandbox.
  if (tenantsFileSetting !== undefined) {
    const unreadable = whyUnreadable(tenantsFile);
    if (unreadable) read.problem(`TENANTS_FILE: cannot read ${tenantsFile} (${unreadable})`);
  }
  // SANDBOX=true forces it, SANDBOX=false forbids it, unset: sandbox when a dev machine has no
  // TENANTS_FILE and no default file.
  const sandbox = read.bool('SANDBOX') ?? (!tenantsFileExists && !production);
  const sandboxWebhook = readSandboxWebhook(read, sandbox && !tenantsFileExists);
  return read.done({
    port: read.int('PORT', 3000, 0, 65535),
    host: read.string('HOST', sandbox ? '127.0.0.1' : '0.0.0.0'),
    production,
    sandbox,
    tenantsFile,
    tenantsFileExists,
    sandboxApiKey: read.optionalSecretMatching(
      'SANDBOX_API_KEY',
      API_KEY_SYNTAX,
      'a bearer token: 1 to 512 letters, digits or -._~+/ (then = padding)',
    ),
    ...sandboxWebhook,
    bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 262_144, 1_024, 10_485_760),
    requestTimeoutMs: read.int('REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS, 100, 300_000),
    keepAliveTimeoutMs: read.int(
      'KEEP_ALIVE_TIMEOUT_MS',
      DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      100,
      600_000,
    ),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    docsEnabled: read.bool('DOCS_ENABLED') ?? true,
    shutdownGraceMs: read.int('SHUTDOWN_GRACE_MS', 10_000, 0, 3_600_000),
    shutdownDelayMs: read.int('SHUTDOWN_DELAY_MS', 2_000, 0, 600_000),
  });
}

/**
 * SANDBOX_WEBHOOK_URL and SANDBOX_WEBHOOK_SECRET. They subscribe the demo tenant only, so either
 * set where there is none (a tenant file, or not in sandbox mode) is a mistake, said at boot.
 */
function readSandboxWebhook(
  read: EnvReader,
  demoTenant: boolean,
): Pick<AppConfig, 'sandboxWebhookUrl' | 'sandboxWebhookSecret'> {
  const url = read.optionalString('SANDBOX_WEBHOOK_URL');
  const secret = read.optionalSecretMatching(
    'SANDBOX_WEBHOOK_SECRET',
    isWebhookSecret,
    WEBHOOK_SECRET_FORMAT,
  );
  if (url !== undefined) {
    const problem = webhookUrlProblem(url);
    if (problem) read.problem(`SANDBOX_WEBHOOK_URL: ${problem}`);
    if (!demoTenant) {
      read.problem(
        "SANDBOX_WEBHOOK_URL: subscribes the sandbox's demo tenant, which exists only in sandbox " +
          "mode without a tenant file; list the endpoint under a tenant's webhooks instead",
      );
    }
  } else if (read.optionalString('SANDBOX_WEBHOOK_SECRET') !== undefined) {
    read.problem('SANDBOX_WEBHOOK_SECRET: is set but SANDBOX_WEBHOOK_URL is not');
  }
  return {
    ...(url !== undefined && { sandboxWebhookUrl: url }),
    ...(url !== undefined && secret !== undefined && { sandboxWebhookSecret: new Secret(secret) }),
  };
}

/** Why a tenant file cannot be read, or undefined when it can. */
function whyUnreadable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'not a file';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export const appConfig = registerAs('app', () => loadAppConfig());
