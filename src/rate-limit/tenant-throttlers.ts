import { SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { ReadRateLimitConfig } from '../config/rate-limit.config';
import { RouteMetadataReflector } from './route-metadata.reflector';

/** The read routes' own window (DESIGN.md §10): polling never uses up the sending limit. */
export const READS_THROTTLER = 'reads';

/** Which of a tenant's budgets a route spends: its sends (the default) or its reads. */
export type RateLimitBudget = 'sends' | 'reads';

export const RATE_LIMIT_BUDGET = 'bgw:rate-limit-budget';

/** Marks a route as spending the tenant's read budget rather than its sending one. */
export const SpendsBudget = (budget: RateLimitBudget) => SetMetadata(RATE_LIMIT_BUDGET, budget);

// Metadata is read as ThrottlerGuard reads its own: the handler's, else its class's (remembered:
// every request asks each window).
const reflector = new RouteMetadataReflector();
const budgetOf = (context: ExecutionContext): RateLimitBudget =>
  reflector.getAllAndOverride<RateLimitBudget | undefined>(RATE_LIMIT_BUDGET, [
    context.getHandler(),
    context.getClass(),
  ]) ?? 'sends';

const unless =
  (budget: RateLimitBudget) =>
  (context: ExecutionContext): boolean =>
    budgetOf(context) !== budget;

/** The tenant's own limit, read per request (tenants may differ). */
const tenantLimit =
  (window: 'perSecond' | 'perMinute') =>
  (context: ExecutionContext): number => {
    const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
    if (!principal) throw new Error('rate limits need an authenticated tenant');
    return principal.tenant.rateLimit[window];
  };

/**
 * Every tenant's windows: two for sending, one for reading, each skipped on the other budget's
 * routes (a new list each time: ThrottlerGuard sorts its list in place).
 */
export const tenantThrottlers = (reads: ReadRateLimitConfig): ThrottlerOptions[] => [
  { name: 'second', ttl: 1_000, limit: tenantLimit('perSecond'), skipIf: unless('sends') },
  { name: 'minute', ttl: 60_000, limit: tenantLimit('perMinute'), skipIf: unless('sends') },
  { name: READS_THROTTLER, ttl: 1_000, limit: reads.perSecond, skipIf: unless('reads') },
];
