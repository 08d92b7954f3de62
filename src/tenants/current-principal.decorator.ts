import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from './tenant';

/** The authenticated caller (tenant, key id, scopes); only on routes behind ApiKeyGuard. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
    if (!principal) throw new Error('CurrentPrincipal used on a route without ApiKeyGuard');
    return principal;
  },
);
