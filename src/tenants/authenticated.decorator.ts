import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { AddRouteConfig } from '../http/route-config';
import { ApiProblemResponses } from '../problems/api-problem-responses.decorator';
import { TenantThrottlerGuard } from '../rate-limit/tenant-throttler.guard';
import { ApiKeyGuard } from './api-key.guard';
import { RequireScopes } from './scopes.decorator';
import { GATEWAY_KEY_REQUIRED } from './early-authentication.hook';
import type { Scope } from './tenant';

export const GATEWAY_KEY_SECURITY = 'gateway-key';

/**
 * A route for callers with a gateway key holding `scopes`: authenticates, checks the scopes, then
 * applies the tenant's rate limit (in that order: the limit is per tenant). The one place that says
 * a route needs a key: on a handler it also marks the Fastify route's config, which the early
 * onRequest authentication (early-authentication.hook.ts) reads to refuse a caller without a key
 * before its body is read. On a class, ApiKeyGuard authenticates, once the body is read.
 */
export function Authenticated(...scopes: Scope[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    AddRouteConfig({ [GATEWAY_KEY_REQUIRED]: true }),
    RequireScopes(...scopes),
    UseGuards(ApiKeyGuard, TenantThrottlerGuard),
    ApiBearerAuth(GATEWAY_KEY_SECURITY),
    ApiProblemResponses({ 401: ['unauthenticated'] }),
  );
}
