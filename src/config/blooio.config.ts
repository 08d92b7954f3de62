import { registerAs } from '@nestjs/config';
import { EnvReader } from './env';

export interface BlooioConfig {
  baseUrl: string;
  /** Deadline for one send, every attempt included. */
  timeoutMs: number;
  maxRetries: number;
  /** Upper bound of open sockets to Blooio (undici pool size per origin). */
  maxConnections: number;
}

export function loadBlooioConfig(env: NodeJS.ProcessEnv = process.env): BlooioConfig {
  const read = new EnvReader(env);
  return read.done({
    baseUrl: read.url('BLOOIO_BASE_URL', 'https://backend.blooio.com/v2/api', ['https:', 'http:']),
    timeoutMs: read.int('BLOOIO_TIMEOUT_MS', 10_000, 100, 120_000),
    maxRetries: read.int('BLOOIO_MAX_RETRIES', 2, 0, 10),
    maxConnections: read.int('BLOOIO_MAX_CONNECTIONS', 128, 1, 4_096),
  });
}

export const blooioConfig = registerAs('blooio', () => loadBlooioConfig());
