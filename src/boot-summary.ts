import type { INestApplicationContext } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { BLOOIO_BASE_URL } from './blooio/blooio.constants';
import { appConfig, type AppConfig } from './config/app.config';
import { redisConfig, type RedisConfig } from './config/redis.config';
import { TenantRegistry } from './tenants/tenant-registry';

/** What a deployment runs with, told once at boot: enough to spot a wrong setting, no secret. */
export interface BootSummary {
  mode: 'production' | 'sandbox' | 'development';
  tenants: { count: number; ids: string[] };
  /** Scheme, host and port only: a path or credentials in the base URL are never logged. */
  upstream: string;
  store: 'redis' | 'memory';
  docs: boolean;
  listen: string;
}

export function describeBoot(app: INestApplicationContext, server: Server): BootSummary {
  const config = app.get<AppConfig>(appConfig.KEY);
  const redis = app.get<RedisConfig>(redisConfig.KEY);
  const { tenants } = app.get(TenantRegistry);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    mode: config.sandbox ? 'sandbox' : config.production ? 'production' : 'development',
    tenants: { count: tenants.length, ids: tenants.map((tenant) => tenant.id) },
    upstream: new URL(app.get<string>(BLOOIO_BASE_URL)).origin,
    store: redis.url ? 'redis' : 'memory',
    docs: config.docsEnabled,
    listen: `${host}:${address.port}`,
  };
}
