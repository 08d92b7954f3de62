import type { RateLimitConfig } from '../config/rate-limit.config';
import { hashApiKey } from '../common/api-key';
import type { TenantRegistry } from './tenant-registry';
import { parseTenantsDocument } from './tenants-file.parser';

export const SANDBOX_TENANT_ID = 'demo';
/** The demo tenant's Blooio key: the sandbox simulator accepts the tenants' keys only. */
export const SANDBOX_BLOOIO_KEY = 'sandbox-blooio-key';
export const SANDBOX_SENDERS = ['+15550001111', '+15550002222'];

/** The id of the demo tenant's endpoint that SANDBOX_WEBHOOK_URL gives it. */
export const SANDBOX_ENDPOINT_ID = 'sandbox-listener';

export interface SandboxTenantOptions {
  /** The secrets of the demo tenant's Blooio webhook, when it has one. */
  webhookSigningSecrets?: readonly string[];
  /** SANDBOX_WEBHOOK_URL and its secret: the demo tenant's one endpoint, every event type. */
  listener?: { url: string; secret: string };
}

/** The one tenant of a sandbox started without a tenant file, validated like any other. */
export function createSandboxRegistry(
  demoApiKey: string,
  rateLimitDefaults: RateLimitConfig,
  { webhookSigningSecrets = [], listener }: SandboxTenantOptions = {},
): TenantRegistry {
  return parseTenantsDocument(
    {
      tenants: [
        {
          id: SANDBOX_TENANT_ID,
          name: 'Sandbox demo tenant',
          blooio: {
            apiKey: SANDBOX_BLOOIO_KEY,
            senders: SANDBOX_SENDERS,
            defaultSender: SANDBOX_SENDERS[0],
            ...(webhookSigningSecrets.length > 0 && {
              webhook: { signingSecrets: [...webhookSigningSecrets] },
            }),
          },
          defaultCountry: 'US',
          apiKeys: [{ id: 'sandbox', sha256: hashApiKey(demoApiKey) }],
          ...(listener && {
            webhooks: [{ id: SANDBOX_ENDPOINT_ID, url: listener.url, secrets: [listener.secret] }],
          }),
        },
      ],
    },
    { env: {}, rateLimitDefaults, baseDir: process.cwd() },
  );
}
