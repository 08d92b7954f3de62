import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  SkipThrottle,
  Throttle,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import Redis from 'ioredis';
import { ProblemException } from '../../src/problems/problem.exception';
import { TenantThrottlerGuard } from '../../src/rate-limit/tenant-throttler.guard';
import { tenantThrottlers } from '../../src/rate-limit/tenant-throttlers';
import type { Principal, RateLimit } from '../../src/tenants/tenant';
import { TEST_REDIS_URL } from './redis';

/**
 * Drives TenantThrottlerGuard the way Nest does (an ExecutionContext per request, the production
 * windows and hooks), through its own canActivate or through ThrottlerGuard's, to compare them.
 */

export const TENANT_LIMITS = {
  acme: { perSecond: 3, perMinute: 10 },
  globex: { perSecond: 1, perMinute: 4 },
  initech: { perSecond: 50, perMinute: 5 },
} satisfies Record<string, RateLimit>;
export type TenantId = keyof typeof TENANT_LIMITS;
export const TENANT_IDS = Object.keys(TENANT_LIMITS) as TenantId[];

/** Routes as controllers declare them: the decorators are what ThrottlerGuard reads. */
export class Routes {
  send(): void {}

  @SkipThrottle({ minute: true })
  secondOnly(): void {}

  @Throttle({ second: { limit: 1, ttl: 1_000 } })
  strict(): void {}

  @Throttle({ minute: { limit: 2, ttl: 60_000, blockDuration: 5_000 } })
  shortBlock(): void {}
}

@SkipThrottle({ second: true, minute: true })
export class QuietRoutes {
  ping(): void {}

  /** The handler's false overrides the class's true. */
  @SkipThrottle({ second: false })
  loud(): void {}
}

export const ROUTES = {
  send: [Routes, Routes.prototype.send],
  secondOnly: [Routes, Routes.prototype.secondOnly],
  strict: [Routes, Routes.prototype.strict],
  shortBlock: [Routes, Routes.prototype.shortBlock],
  quiet: [QuietRoutes, QuietRoutes.prototype.ping],
  loud: [QuietRoutes, QuietRoutes.prototype.loud],
} as const;
export type RouteName = keyof typeof ROUTES;
export const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];

export function principal(tenant: TenantId): Principal {
  return {
    keyId: `${tenant}-key`,
    scopes: new Set(['messages:send']),
    tenant: {
      id: tenant,
      rateLimit: TENANT_LIMITS[tenant],
      maxRecipients: 10,
    } as Principal['tenant'],
  };
}

export interface Step {
  tenant: TenantId;
  route: RouteName;
  /** Time that passes before this request. */
  advanceMs?: number;
  headers?: Record<string, string>;
}

export function contextFor(step: Omit<Step, 'advanceMs'>): ExecutionContext {
  const [classRef, handler] = ROUTES[step.route];
  const request = {
    principal: principal(step.tenant),
    headers: step.headers ?? {},
    ip: '10.0.0.1',
  };
  return httpContext(request, handler, classRef);
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

/** The production options, or with a skipIf and ignoreUserAgents to exercise those paths too. */
export function moduleOptions(withSkips = false): ThrottlerModuleOptions {
  if (!withSkips) return { setHeaders: false, throttlers: tenantThrottlers() };
  return {
    setHeaders: false,
    ignoreUserAgents: [/^probe\//],
    throttlers: tenantThrottlers().map((throttler) =>
      throttler.name === 'second'
        ? {
            ...throttler,
            skipIf: (context: ExecutionContext) =>
              context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers[
                'x-skip-second'
              ] === '1',
          }
        : throttler,
    ),
  };
}

/** ThrottlerGuard's own canActivate (one storage call per window), with the tenant's hooks. */
export class StockPathGuard extends TenantThrottlerGuard {
  override canActivate(context: ExecutionContext): Promise<boolean> {
    return ThrottlerGuard.prototype.canActivate.call(this, context);
  }
}

export interface GuardUnderTest {
  guard: TenantThrottlerGuard;
  /** What each refusal passed to throwThrottlingException. */
  details: ThrottlerLimitDetail[];
}

export async function guardOn(
  path: 'stock' | 'override',
  storage: ThrottlerStorage,
  options: ThrottlerModuleOptions = moduleOptions(),
  reflector = new Reflector(),
): Promise<GuardUnderTest> {
  const Guard = path === 'stock' ? StockPathGuard : TenantThrottlerGuard;
  const guard = new Guard(options, storage, reflector);
  await guard.onModuleInit();
  const details: ThrottlerLimitDetail[] = [];
  const hook = guard as unknown as {
    throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): unknown;
  };
  const original = hook.throwThrottlingException.bind(guard);
  jest.spyOn(hook, 'throwThrottlingException').mockImplementation((context, detail) => {
    details.push(detail);
    return original(context, detail);
  });
  return { guard, details };
}

export type Outcome =
  | { allowed: true }
  | {
      allowed: false;
      message: string;
      retryAfter: string | undefined;
      /** Which window refused: the key is `<window>:<tenant>`. */
      window: string;
      detail: ThrottlerLimitDetail;
    };

export async function attempt(
  { guard, details }: GuardUnderTest,
  step: Omit<Step, 'advanceMs'>,
): Promise<Outcome> {
  const before = details.length;
  try {
    const allowed = await guard.canActivate(contextFor(step));
    if (!allowed) throw new Error('canActivate answered false');
    return { allowed };
  } catch (error) {
    if (!(error instanceof ProblemException) || error.code !== 'rate_limited') throw error;
    expect(details).toHaveLength(before + 1);
    const detail = details[before];
    return {
      allowed: false,
      message: error.message,
      retryAfter: error.problem.headers?.['retry-after'],
      window: detail.key.split(':')[0],
      detail,
    };
  }
}

/** Every rate-limit key under a prefix (prefix removed): its count, and whether it expires. */
export async function redisCounts(
  prefix: string,
): Promise<Record<string, { value: string | null; expires: boolean }>> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const counts: Record<string, { value: string | null; expires: boolean }> = {};
    for (const key of (await redis.keys(`${prefix}*`)).sort()) {
      counts[key.slice(prefix.length)] = {
        value: await redis.get(key),
        expires: (await redis.pttl(key)) > 0,
      };
    }
    return counts;
  } finally {
    redis.disconnect();
  }
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
