import { Injectable, type ExecutionContext } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../problems/problem.exception';
import { RouteMetadataReflector } from './route-metadata.reflector';
import { READS_THROTTLER } from './tenant-throttlers';

/**
 * Rate limits per tenant: one budget for all of a tenant's keys and routes, whatever the caller's
 * IP. ThrottlerGuard's own canActivate, changed only through its protected hooks: the tracker is
 * the tenant, a key is per window and tenant (not per route), and a refusal is a problem answer.
 * Runs after ApiKeyGuard, which sets the principal. Its route metadata comes from a Reflector
 * that remembers each answer (the guard asks the same static metadata on every request).
 */
@Injectable()
export class TenantThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
  ) {
    super(options, storage, new RouteMetadataReflector());
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const principal = (request as unknown as FastifyRequest).principal;
    if (!principal) throw new Error('TenantThrottlerGuard must run after ApiKeyGuard');
    return Promise.resolve(principal.tenant.id);
  }

  /** Not per route: a tenant's limit covers every route it calls. */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    throttlerName: string,
  ): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const window = detail.ttl >= 60_000 ? 'minute' : 'second';
    const reads = detail.key.startsWith(`${READS_THROTTLER}:`);
    throw new ProblemException('rate_limited', {
      detail: reads
        ? `This tenant may make ${detail.limit} read requests per ${window}`
        : `This tenant may send ${detail.limit} requests per ${window}`,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(detail.timeToBlockExpire))) },
    });
  }
}
