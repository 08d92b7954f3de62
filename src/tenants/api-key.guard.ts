import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../problems/problem.exception';
import { describeMalformedAuthorization, parseBearerToken } from '../common/api-key';
import { REQUIRED_SCOPES } from './scopes.decorator';
import type { Principal, Scope } from './tenant';
import { TenantRegistry } from './tenant-registry';

export const WWW_AUTHENTICATE = 'Bearer realm="blooio-gateway"';

/** Finds the tenant of the presented gateway key and checks the route's scopes. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly registry: TenantRegistry,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.principal ?? this.identify(request);
    const required =
      this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, [
        context.getHandler(),
        context.getClass(),
      ]) ?? [];
    const missing = required.filter((scope) => !principal.scopes.has(scope));
    if (missing.length > 0) {
      throw new ProblemException('forbidden', {
        detail: `This API key lacks the scope ${missing.join(', ')}`,
      });
    }
    return true;
  }

  /**
   * Sets the request's principal from its key, or throws 401. The early-authentication hook calls
   * this for routes marked by @Authenticated, so that a caller without a key is refused before its
   * body is even read.
   */
  identify(request: FastifyRequest): Principal {
    const principal = this.authenticate(request);
    request.principal = principal;
    return principal;
  }

  protected authenticate(request: FastifyRequest): Principal {
    const header = request.headers.authorization;
    const token = parseBearerToken(header);
    const principal = token === undefined ? undefined : this.registry.authenticate(token);
    if (principal) return principal;
    throw new ProblemException('unauthenticated', {
      detail:
        token === undefined ? describeMalformedAuthorization(header) : 'The API key is not known',
      headers: {
        'www-authenticate':
          token === undefined ? WWW_AUTHENTICATE : `${WWW_AUTHENTICATE}, error="invalid_token"`,
      },
    });
  }
}
