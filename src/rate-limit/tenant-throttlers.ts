import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { RateLimit } from '../tenants/tenant';

/** The tenant's own limit, read per request (tenants may differ). */
const tenantLimit =
  (window: keyof RateLimit) =>
  (context: ExecutionContext): number => {
    const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
    if (!principal) throw new Error('rate limits need an authenticated tenant');
    return principal.tenant.rateLimit[window];
  };

/** Every tenant's two windows (a new list each time: ThrottlerGuard sorts its list in place). */
export const tenantThrottlers = (): ThrottlerOptions[] => [
  { name: 'second', ttl: 1_000, limit: tenantLimit('perSecond') },
  { name: 'minute', ttl: 60_000, limit: tenantLimit('perMinute') },
];
