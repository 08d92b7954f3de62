import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  SkipThrottle,
  Throttle,
  ThrottlerGuard,
  ThrottlerStorageService,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { ProblemException } from '../problems/problem.exception';
import type { Principal } from '../tenants/tenant';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { TenantThrottlerGuard } from './tenant-throttler.guard';
import { tenantThrottlers } from './tenant-throttlers';
import { httpContext } from '../../test/support/throttler-harness';

function principal(tenantId: string, perSecond: number, perMinute = 1_000): Principal {
  return {
    keyId: `${tenantId}-key`,
    scopes: new Set(['messages:send']),
    tenant: {
      id: tenantId,
      rateLimit: { perSecond, perMinute },
      maxRecipients: 10,
    } as Principal['tenant'],
  };
}

class Routes {
  routeA(): void {}
  routeB(): void {}

  @SkipThrottle({ second: true, minute: true })
  unlimited(): void {}

  @SkipThrottle({ minute: true })
  secondOnly(): void {}

  @Throttle({ second: { limit: 1 } })
  strict(): void {}
}

/** Inherits Routes' handlers, under a class decorator of its own. */
@SkipThrottle({ second: true, minute: true })
class QuietRoutes extends Routes {}

function contextFor(
  who: Principal,
  handler: () => void,
  classRef: object = Routes,
  headers: Record<string, string> = {},
): ExecutionContext {
  return httpContext({ principal: who, headers, ip: '10.0.0.1' }, handler, classRef);
}

const options = (extra: Partial<Exclude<ThrottlerModuleOptions, unknown[]>> = {}) => ({
  setHeaders: false,
  throttlers: tenantThrottlers(),
  ...extra,
});

async function guardWith(
  storage: ThrottlerStorage,
  moduleOptions: ThrottlerModuleOptions = options(),
  reflector = new Reflector(),
  Guard: typeof TenantThrottlerGuard = TenantThrottlerGuard,
): Promise<TenantThrottlerGuard> {
  const guard = new Guard(moduleOptions, storage, reflector);
  await guard.onModuleInit();
  return guard;
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as ProblemException,
  );

const { routeA, routeB, unlimited, secondOnly, strict } = Routes.prototype;

describe('TenantThrottlerGuard', () => {
  let storage: MemoryThrottlerStorage;
  let guard: TenantThrottlerGuard;

  beforeEach(async () => {
    storage = new MemoryThrottlerStorage();
    guard = await guardWith(storage);
  });

  it("counts a tenant's calls across routes and answers rate_limited with Retry-After", async () => {
    const acme = principal('acme', 2);
    await expect(guard.canActivate(contextFor(acme, routeA))).resolves.toBe(true);
    await expect(guard.canActivate(contextFor(acme, routeB))).resolves.toBe(true);
    const refused = await refusal(guard.canActivate(contextFor(acme, routeA)));
    expect(refused).toBeInstanceOf(ProblemException);
    expect(refused?.code).toBe('rate_limited');
    expect(refused?.problem.headers).toEqual({ 'retry-after': '1' });
    expect(refused?.message).toBe('This tenant may send 2 requests per second');
  });

  it('answers for the minute window once the minute is used, with its own Retry-After', async () => {
    const acme = principal('acme', 100, 3);
    for (let i = 0; i < 3; i += 1) await guard.canActivate(contextFor(acme, routeA));
    const refused = await refusal(guard.canActivate(contextFor(acme, routeA)));
    expect(refused?.message).toBe('This tenant may send 3 requests per minute');
    expect(refused?.problem.headers).toEqual({ 'retry-after': '60' });
  });

  it('keeps tenants apart, whatever their IP', async () => {
    const acme = principal('acme', 1);
    const globex = principal('globex', 1);
    await guard.canActivate(contextFor(acme, routeA));
    await expect(guard.canActivate(contextFor(acme, routeA))).rejects.toBeInstanceOf(
      ProblemException,
    );
    await expect(guard.canActivate(contextFor(globex, routeA))).resolves.toBe(true);
  });

  it('makes one storage call per request, for both windows in order', async () => {
    const windows = jest.spyOn(storage, 'incrementWindows');
    const single = jest.spyOn(storage, 'increment');
    const acme = principal('acme', 2, 50);
    for (let i = 0; i < 5; i += 1) {
      await guard.canActivate(contextFor(acme, routeA)).catch(() => undefined);
    }
    expect(windows).toHaveBeenCalledTimes(5);
    expect(single).not.toHaveBeenCalled();
    expect(windows.mock.calls[0][0]).toEqual([
      expect.objectContaining({
        key: 'second:acme',
        ttl: 1_000,
        limit: 2,
        blockDuration: 1_000,
        throttlerName: 'second',
      }),
      expect.objectContaining({
        key: 'minute:acme',
        ttl: 60_000,
        limit: 50,
        blockDuration: 60_000,
        throttlerName: 'minute',
      }),
    ]);
  });

  it("reads a route's decorators from the Reflector once per route", async () => {
    const reflector = new Reflector();
    const lookups = jest.spyOn(reflector, 'getAllAndOverride');
    guard = await guardWith(storage, options(), reflector);
    const acme = principal('acme', 100);

    await guard.canActivate(contextFor(acme, routeA));
    const perRoute = lookups.mock.calls.length;
    expect(perRoute).toBe(12); // six keys for each of the two windows
    for (let i = 0; i < 5; i += 1) await guard.canActivate(contextFor(acme, routeA));
    expect(lookups).toHaveBeenCalledTimes(perRoute);

    await guard.canActivate(contextFor(acme, routeB));
    await guard.canActivate(contextFor(acme, routeB));
    expect(lookups).toHaveBeenCalledTimes(2 * perRoute);
  });

  it('honours @SkipThrottle and @Throttle on a route, and on the class it is called through', async () => {
    const windows = jest.spyOn(storage, 'incrementWindows');
    const acme = principal('acme', 2, 2);

    for (let i = 0; i < 5; i += 1) {
      await expect(guard.canActivate(contextFor(acme, unlimited))).resolves.toBe(true);
      // routeA's own handler, through a class that skips every window.
      await expect(guard.canActivate(contextFor(acme, routeA, QuietRoutes))).resolves.toBe(true);
    }
    expect(windows).not.toHaveBeenCalled();

    await guard.canActivate(contextFor(acme, secondOnly));
    expect(windows.mock.calls[0][0].map((w) => w.throttlerName)).toEqual(['second']);

    const other = principal('globex', 5);
    await expect(guard.canActivate(contextFor(other, strict))).resolves.toBe(true);
    const refused = await refusal(guard.canActivate(contextFor(other, strict)));
    expect(refused?.message).toBe('This tenant may send 1 requests per second');
    // routeA through Routes is counted as usual.
    await expect(guard.canActivate(contextFor(other, routeA))).rejects.toBeInstanceOf(
      ProblemException,
    );
  });

  it('honours shouldSkip, skipIf and ignoreUserAgents', async () => {
    class SkippingGuard extends TenantThrottlerGuard {
      protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
        return Promise.resolve(context.getHandler() === routeB);
      }
    }
    const windows = jest.spyOn(storage, 'incrementWindows');
    guard = await guardWith(
      storage,
      options({
        ignoreUserAgents: [/^probe\//],
        throttlers: tenantThrottlers().map((t) =>
          t.name === 'minute'
            ? { ...t, skipIf: (c: ExecutionContext) => c.getHandler() === strict }
            : t,
        ),
      }),
      new Reflector(),
      SkippingGuard,
    );
    const acme = principal('acme', 1, 1);

    await guard.canActivate(contextFor(acme, routeB));
    await guard.canActivate(contextFor(acme, routeA, Routes, { 'user-agent': 'probe/1.0' }));
    expect(windows).not.toHaveBeenCalled();

    await guard.canActivate(contextFor(acme, routeA, class Other {}));
    await guard.canActivate(contextFor(acme, strict)).catch(() => undefined);
    expect(windows.mock.calls.map(([hits]) => hits.map((w) => w.throttlerName))).toEqual([
      ['second', 'minute'],
      ['second'],
    ]);
  });

  it('refuses to start with rate-limit headers on, which it would not set', async () => {
    const start = (extra: object) =>
      guardWith(storage, { throttlers: tenantThrottlers(), ...extra });
    await expect(start({})).rejects.toThrow(
      'TenantThrottlerGuard sets no X-RateLimit headers: configure throttler "second" with setHeaders: false',
    );
    await expect(start({ setHeaders: true })).rejects.toThrow(/setHeaders: false/);
    await expect(
      start({
        setHeaders: false,
        throttlers: tenantThrottlers().map((t) => ({ ...t, setHeaders: t.name === 'minute' })),
      }),
    ).rejects.toThrow('configure throttler "minute" with setHeaders: false');
  });

  it("fails on a limit that is not a number with ThrottlerGuard's message", async () => {
    guard = await guardWith(
      storage,
      options({ throttlers: [{ name: 'second', ttl: 1_000, limit: () => 'lots' as never }] }),
    );
    await expect(guard.canActivate(contextFor(principal('acme', 1), routeA))).rejects.toThrow(
      'Invalid "limit" for the "second" throttler: expected a number, got "lots".',
    );
  });
});

/** ThrottlerGuard's own canActivate, with the tenant's hooks. */
class StockPathGuard extends TenantThrottlerGuard {
  override canActivate(context: ExecutionContext): Promise<boolean> {
    return ThrottlerGuard.prototype.canActivate.call(this, context);
  }
}

describe("TenantThrottlerGuard where ThrottlerGuard's own path applies", () => {
  it('falls back to it for a storage that cannot count windows at once', async () => {
    const storage = new ThrottlerStorageService();
    try {
      const increment = jest.spyOn(storage, 'increment');
      const guard = await guardWith(storage);
      const acme = principal('acme', 1);
      await expect(guard.canActivate(contextFor(acme, routeA))).resolves.toBe(true);
      expect(increment).toHaveBeenCalledTimes(2);
      const refused = await refusal(guard.canActivate(contextFor(acme, routeA)));
      expect(refused?.message).toBe('This tenant may send 1 requests per second');
    } finally {
      storage.onApplicationShutdown();
    }
  });

  it('counts the later windows too when throwThrottlingException returns, as ThrottlerGuard does', async () => {
    const details = new Map<string, ThrottlerLimitDetail[]>();
    const lenient = (path: string, Base: typeof TenantThrottlerGuard) =>
      class extends Base {
        protected override throwThrottlingException(
          _context: ExecutionContext,
          detail: ThrottlerLimitDetail,
        ): Promise<void> {
          details.set(path, [...(details.get(path) ?? []), detail]);
          return Promise.resolve();
        }
      };
    const stores = { stock: new MemoryThrottlerStorage(), override: new MemoryThrottlerStorage() };
    const stock = await guardWith(
      stores.stock,
      options(),
      new Reflector(),
      lenient('stock', StockPathGuard),
    );
    const override = await guardWith(
      stores.override,
      options(),
      new Reflector(),
      lenient('override', TenantThrottlerGuard),
    );
    const windows = jest.spyOn(stores.override, 'incrementWindows');
    const acme = principal('acme', 1, 2);
    for (let i = 0; i < 4; i += 1) {
      await expect(stock.canActivate(contextFor(acme, routeA))).resolves.toBe(true);
      await expect(override.canActivate(contextFor(acme, routeA))).resolves.toBe(true);
    }
    expect(details.get('override')).toEqual(details.get('stock'));
    // Refused in the second window, yet counted in the minute window, which refuses in turn.
    expect(details.get('stock')?.map((d) => `${d.key} ${d.totalHits}`)).toEqual([
      'second:acme 2',
      'second:acme 3',
      'minute:acme 3',
      'second:acme 4',
      'minute:acme 4',
    ]);
    expect(windows).toHaveBeenCalledTimes(4 + 3);
  });
});
