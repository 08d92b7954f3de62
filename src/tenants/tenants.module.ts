import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfig, type AppConfig } from '../config/app.config';
import { rateLimitConfig, type RateLimitConfig } from '../config/rate-limit.config';
import { SandboxModule } from '../sandbox/sandbox.module';
import { SandboxService } from '../sandbox/sandbox.service';
import { ApiKeyGuard } from './api-key.guard';
import { createSandboxRegistry } from './sandbox-tenant';
import { TenantRegistry } from './tenant-registry';
import { loadTenantsFile } from './tenants-file.parser';

@Global()
@Module({
  imports: [
    ConfigModule.forFeature(appConfig),
    ConfigModule.forFeature(rateLimitConfig),
    SandboxModule,
  ],
  providers: [
    {
      provide: TenantRegistry,
      inject: [appConfig.KEY, rateLimitConfig.KEY, SandboxService],
      useFactory: (app: AppConfig, rateLimits: RateLimitConfig, sandbox: SandboxService) => {
        const registry = sandbox.usesDemoTenant
          ? createSandboxRegistry(sandbox.demoApiKey, rateLimits, {
              ...(sandbox.demoWebhook && {
                listener: {
                  url: sandbox.demoWebhook.url,
                  secret: sandbox.demoWebhook.secret.reveal(),
                },
              }),
            })
          : loadTenantsFile(app.tenantsFile, { env: process.env, rateLimitDefaults: rateLimits });
        if (sandbox.enabled) {
          sandbox.acceptBlooioKeys(registry.tenants.map((tenant) => tenant.blooio.apiKey.reveal()));
        }
        return registry;
      },
    },
    ApiKeyGuard,
  ],
  exports: [TenantRegistry, ApiKeyGuard],
})
export class TenantsModule {}
