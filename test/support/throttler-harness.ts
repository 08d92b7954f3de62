import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { TEST_REDIS_URL } from './redis';

/** One window's hit: the arguments ThrottlerStorage.increment takes for it. */
export interface WindowHit {
  key: string;
  ttl: number;
  limit: number;
  blockDuration: number;
  throttlerName: string;
}

/**
 * One request's windows counted as ThrottlerGuard counts them: in order, one increment each,
 * stopping at the first window that is blocked (the guard throws there). That window's position
 * and record, or undefined when none is blocked.
 */
export async function countWindows(
  storage: ThrottlerStorage,
  windows: readonly WindowHit[],
): Promise<
  { index: number; record: Awaited<ReturnType<ThrottlerStorage['increment']>> } | undefined
> {
  for (let index = 0; index < windows.length; index += 1) {
    const { key, ttl, limit, blockDuration, throttlerName } = windows[index];
    const record = await storage.increment(key, ttl, limit, blockDuration, throttlerName);
    if (record.isBlocked) return { index, record };
  }
  return undefined;
}

/** The part of an HTTP ExecutionContext that ThrottlerGuard reads. */
export function httpContext(request: object, handler: object, classRef: object): ExecutionContext {
  return {
    switchToHttp: () => ({
      getRequest: () => request,
      getResponse: () => ({ header: () => undefined }),
    }),
    getHandler: () => handler,
    getClass: () => classRef,
    getType: () => 'http',
  } as unknown as ExecutionContext;
}

/** A connected client under its own key prefix, failing fast like the gateway's. */
export async function redisClient(prefix: string, port?: number): Promise<Redis> {
  const url = new URL(TEST_REDIS_URL);
  const client = new Redis({
    host: url.hostname,
    port: port ?? Number(url.port || 6379),
    keyPrefix: prefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    client.once('ready', resolve);
    client.once('end', () => reject(new Error('Redis did not answer')));
  });
  return client;
}
