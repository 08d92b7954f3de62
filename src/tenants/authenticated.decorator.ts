import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiProblemResponses } from '../problems/api-problem-responses.decorator';
import { TenantThrottlerGuard } from '../rate-limit/tenant-throttler.guard';
import { ApiKeyGuard } from './api-key.guard';
import { RequireScopes } from './scopes.decorator';
import type { Scope } from './tenant';

export const GATEWAY_KEY_SECURITY = 'gateway-key';

/**
 * A route for callers with a gateway key holding `scopes`: authenticates, checks the scopes, then
 * applies the tenant's rate limit (in that order: the limit is per tenant).
 */
export function Authenticated(...scopes: Scope[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    RequireScopes(...scopes),
    UseGuards(ApiKeyGuard, TenantThrottlerGuard),
    ApiBearerAuth(GATEWAY_KEY_SECURITY),
    ApiProblemResponses({ 401: ['unauthenticated'] }),
  );
}
