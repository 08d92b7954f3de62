import type { ExecutionContext } from '@nestjs/common';
import {
  SkipThrottle,
  Throttle,
  ThrottlerStorageService,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { ProblemException } from '../problems/problem.exception';
import type { Principal } from '../tenants/tenant';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { TenantThrottlerGuard } from './tenant-throttler.guard';
import { SpendsBudget, tenantThrottlers } from './tenant-throttlers';
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

  @SpendsBudget('reads')
  read(): void {}
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

const READS = { perSecond: 50 };

const options = (extra: Partial<Exclude<ThrottlerModuleOptions, unknown[]>> = {}) => ({
  setHeaders: false,
  throttlers: tenantThrottlers(READS),
  ...extra,
});

async function guardWith(
  storage: ThrottlerStorage,
  moduleOptions: ThrottlerModuleOptions = options(),
  Guard: typeof TenantThrottlerGuard = TenantThrottlerGuard,
): Promise<TenantThrottlerGuard> {
  const guard = new Guard(moduleOptions, storage);
  await guard.onModuleInit();
  return guard;
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as ProblemException,
  );

const { routeA, routeB, unlimited, secondOnly, strict, read } = Routes.prototype;

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

  it('counts each of the sending windows in order, one storage call each, keyed by tenant', async () => {
    const increment = jest.spyOn(storage, 'increment');
    const acme = principal('acme', 2, 50);
    await guard.canActivate(contextFor(acme, routeA));
    expect(increment.mock.calls).toEqual([
      ['second:acme', 1_000, 2, 1_000, 'second'],
      ['minute:acme', 60_000, 50, 60_000, 'minute'],
    ]);
    // Refused in the second window: the minute window is not counted (ThrottlerGuard stops there).
    increment.mockClear();
    await guard.canActivate(contextFor(acme, routeA));
    await refusal(guard.canActivate(contextFor(acme, routeA)));
    expect(increment.mock.calls.map(([key]) => key)).toEqual([
      'second:acme',
      'minute:acme',
      'second:acme',
    ]);
  });

  it('counts a read route in the reads window only, apart from the sending limit', async () => {
    const increment = jest.spyOn(storage, 'increment');
    guard = await guardWith(storage, options({ throttlers: tenantThrottlers({ perSecond: 2 }) }));
    const acme = principal('acme', 1, 1);
    await expect(guard.canActivate(contextFor(acme, read))).resolves.toBe(true);
    await expect(guard.canActivate(contextFor(acme, read))).resolves.toBe(true);
    const refused = await refusal(guard.canActivate(contextFor(acme, read)));
    expect(refused?.code).toBe('rate_limited');
    expect(refused?.message).toBe('This tenant may make 2 read requests per second');
    expect(refused?.problem.headers).toEqual({ 'retry-after': '1' });
    // The reads used none of the sending budget, and a send uses none of the reading one.
    await expect(guard.canActivate(contextFor(acme, routeA))).resolves.toBe(true);
    expect(new Set(increment.mock.calls.map(([, , , , name]) => name))).toEqual(
      new Set(['reads', 'second', 'minute']),
    );
    expect(increment.mock.calls.filter(([key]) => key === 'reads:acme')).toHaveLength(3);
    expect(increment.mock.calls.filter(([key]) => key === 'second:acme')).toHaveLength(1);
  });

  it('honours @SkipThrottle and @Throttle on a route, and on the class it is called through', async () => {
    const increment = jest.spyOn(storage, 'increment');
    const acme = principal('acme', 2, 2);

    for (let i = 0; i < 5; i += 1) {
      await expect(guard.canActivate(contextFor(acme, unlimited))).resolves.toBe(true);
      // routeA's own handler, through a class that skips every window.
      await expect(guard.canActivate(contextFor(acme, routeA, QuietRoutes))).resolves.toBe(true);
    }
    expect(increment).not.toHaveBeenCalled();

    await guard.canActivate(contextFor(acme, secondOnly));
    expect(increment.mock.calls.map(([, , , , name]) => name)).toEqual(['second']);

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
    const increment = jest.spyOn(storage, 'increment');
    guard = await guardWith(
      storage,
      options({
        ignoreUserAgents: [/^probe\//],
        throttlers: tenantThrottlers(READS).map((t) =>
          t.name === 'minute'
            ? { ...t, skipIf: (c: ExecutionContext) => c.getHandler() === strict }
            : t,
        ),
      }),
      SkippingGuard,
    );
    const acme = principal('acme', 1, 1);

    await guard.canActivate(contextFor(acme, routeB));
    await guard.canActivate(contextFor(acme, routeA, Routes, { 'user-agent': 'probe/1.0' }));
    expect(increment).not.toHaveBeenCalled();

    await guard.canActivate(contextFor(acme, routeA, class Other {}));
    await guard.canActivate(contextFor(acme, strict)).catch(() => undefined);
    expect(increment.mock.calls.map(([, , , , name]) => name)).toEqual([
      'second',
      'minute',
      'second',
    ]);
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

describe('TenantThrottlerGuard on any ThrottlerStorage', () => {
  it("counts on the library's own in-memory storage too", async () => {
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
});
