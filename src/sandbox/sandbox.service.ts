import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { appConfig, type AppConfig } from '../config/app.config';
import { generateApiKey } from '../common/api-key';
import { Secret } from '../common/secret';
import { generateWebhookSecret } from '../common/webhook-secret';
import { BlooioSimulator } from './blooio-simulator';

/**
 * Sandbox mode (DESIGN.md §7): the built-in Blooio simulator as the upstream and, when there is
 * no tenant file, a demo tenant whose key is SANDBOX_API_KEY or a fresh one printed at boot.
 */
@Injectable()
export class SandboxService implements OnApplicationShutdown {
  readonly enabled: boolean;
  readonly usesDemoTenant: boolean;
  readonly demoApiKey: string;
  readonly demoApiKeyGenerated: boolean;
  /**
   * The demo tenant's endpoint when SANDBOX_WEBHOOK_URL is set: its secret is SANDBOX_WEBHOOK_SECRET
   * or one made now (`secretGenerated`), printed once at boot like the demo key.
   */
  readonly demoWebhook?: { url: string; secret: Secret; secretGenerated: boolean };
  private simulator?: Promise<BlooioSimulator>;

  constructor(@Inject(appConfig.KEY) config: AppConfig) {
    this.enabled = config.sandbox;
    this.usesDemoTenant = config.sandbox && !config.tenantsFileExists;
    this.demoApiKeyGenerated = config.sandboxApiKey === undefined;
    this.demoApiKey = config.sandboxApiKey ?? generateApiKey();
    if (this.usesDemoTenant && config.sandboxWebhookUrl !== undefined) {
      this.demoWebhook = {
        url: config.sandboxWebhookUrl,
        secret: config.sandboxWebhookSecret ?? new Secret(generateWebhookSecret()),
        secretGenerated: config.sandboxWebhookSecret === undefined,
      };
    }
  }

  private acceptedApiKeys: readonly string[] = [];

  /** Starts the simulator on a free loopback port (once) and returns its base URL. */
  async startSimulator(): Promise<string> {
    this.simulator ??= BlooioSimulator.start({
      host: '127.0.0.1',
      port: 0,
      apiKeys: this.acceptedApiKeys,
    });
    return (await this.simulator).baseUrl;
  }

  /** Like Blooio, the simulator accepts only these keys: the tenants' Blooio keys, once loaded. */
  acceptBlooioKeys(apiKeys: readonly string[]): void {
    this.acceptedApiKeys = apiKeys;
    void this.simulator?.then((simulator) => simulator.acceptApiKeys(apiKeys));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.simulator) await (await this.simulator).close();
  }
}
