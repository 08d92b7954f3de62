import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../problems/problem.exception';
import type { Principal } from '../tenants/tenant';
import { TenantThrottlerGuard } from './tenant-throttler.guard';

function principal(tenantId: string, perSecond: number): Principal {
  return {
    keyId: `${tenantId}-key`,
    scopes: new Set(['messages:send']),
    tenant: {
      id: tenantId,
      rateLimit: { perSecond, perMinute: 1_000 },
      maxRecipients: 10,
    } as Principal['tenant'],
  };
}

function contextFor(who: Principal, handler: () => void): ExecutionContext {
  const request = { principal: who, headers: {}, ip: '10.0.0.1' } as unknown as FastifyRequest;
  return {
    switchToHttp: () => ({
      getRequest: () => request,
      getResponse: () => ({ header: () => undefined }),
    }),
    getHandler: () => handler,
    getClass: () => class Routes {},
    getType: () => 'http',
  } as unknown as ExecutionContext;
}

describe('TenantThrottlerGuard', () => {
  let storage: ThrottlerStorageService;
  let guard: TenantThrottlerGuard;

  beforeEach(async () => {
    storage = new ThrottlerStorageService();
    const limit = (context: ExecutionContext) =>
      context.switchToHttp().getRequest<FastifyRequest>().principal?.tenant.rateLimit.perSecond ??
      0;
    guard = new TenantThrottlerGuard(
      { setHeaders: false, throttlers: [{ name: 'second', ttl: 1_000, limit }] },
      storage,
      new Reflector(),
    );
    await guard.onModuleInit();
  });
  afterEach(() => storage.onApplicationShutdown());

  const routeA = () => undefined;
  const routeB = () => undefined;

  it("counts a tenant's calls across routes and answers rate_limited with Retry-After", async () => {
    const acme = principal('acme', 2);
    await expect(guard.canActivate(contextFor(acme, routeA))).resolves.toBe(true);
    await expect(guard.canActivate(contextFor(acme, routeB))).resolves.toBe(true);
    const refusal = await guard
      .canActivate(contextFor(acme, routeA))
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ProblemException);
    expect((refusal as ProblemException).code).toBe('rate_limited');
    expect((refusal as ProblemException).problem.headers).toEqual({ 'retry-after': '1' });
    expect((refusal as ProblemException).message).toBe(
      'This tenant may send 2 requests per second',
    );
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
});
