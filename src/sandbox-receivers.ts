import type { INestApplicationContext } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { AttemptDeadline } from './blooio/attempt-deadline';
import { BlooioClient } from './blooio/blooio.client';
import { WebhookSigningSecrets } from './blooio-webhooks/webhook-signing-secrets';
import { blooioConfig, type BlooioConfig } from './config/blooio.config';
import { SandboxService } from './sandbox/sandbox.service';
import { TenantRegistry } from './tenants/tenant-registry';

/**
 * The gateway's own base URL as the in-process simulator reaches it: the listening address, with
 * an unspecified one (0.0.0.0, ::) replaced by loopback.
 */
export function loopbackUrlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  if (address.family === 'IPv6') {
    const host = address.address === '::' ? '::1' : address.address;
    return `http://[${host}]:${address.port}`;
  }
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Sandbox mode closes the loop of DESIGN §7: each tenant's receiver
 * (`<baseUrl>/webhooks/blooio/<tenant>`) is registered with the simulator's `POST /webhooks`
 * through the Blooio client with the tenant's own Blooio key, exactly as an operator does with
 * `npm run webhooks:register`, and the one-time signing secret is kept in memory (never a file):
 * the simulator's signed events then reach the event log. Called once the gateway listens. A
 * tenant that cannot be registered is logged and skipped; the gateway serves either way.
 */
export async function registerSandboxReceivers(
  app: INestApplicationContext,
  baseUrl: string,
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<string[]> {
  if (!app.get(SandboxService).enabled) return [];
  const client = app.get(BlooioClient);
  const secrets = app.get(WebhookSigningSecrets);
  const { timeoutMs } = app.get<BlooioConfig>(blooioConfig.KEY);
  const registered: string[] = [];
  for (const tenant of app.get(TenantRegistry).tenants) {
    const url = `${baseUrl}/webhooks/blooio/${tenant.id}`;
    const deadline = new AttemptDeadline(timeoutMs);
    try {
      const result = await client.createWebhook(url, tenant.blooio.apiKey, deadline);
      if (result.signingSecret) {
        secrets.add(tenant.id, result.signingSecret);
        registered.push(tenant.id);
      } else {
        logger.warn(
          { tenant: tenant.id, url },
          'sandbox: the simulator knew this receiver already; no new secret',
        );
      }
    } catch (error) {
      logger.warn(
        { tenant: tenant.id, url, err: { message: (error as Error).message } },
        "sandbox: could not register the tenant's receiver with the simulator",
      );
    } finally {
      deadline.clear();
    }
  }
  logger.info(
    { tenants: registered },
    "sandbox: the simulator posts its webhooks to the gateway's receiver",
  );
  return registered;
}
