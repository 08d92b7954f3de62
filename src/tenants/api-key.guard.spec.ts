import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../problems/problem.exception';
import { ApiKeyGuard } from './api-key.guard';
import { hashApiKey } from '../common/api-key';
import { RequireScopes } from './scopes.decorator';
import { parseTenantsDocument } from './tenants-file.parser';

const registry = parseTenantsDocument(
  {
    tenants: [
      {
        id: 'acme',
        blooio: { apiKey: 'bl_acme' },
        apiKeys: [
          { id: 'sender', sha256: hashApiKey('bgw_sender'), scopes: ['messages:send'] },
          { id: 'reader', sha256: hashApiKey('bgw_reader'), scopes: ['messages:read'] },
        ],
      },
    ],
  },
  { env: {}, rateLimitDefaults: { perSecond: 1, perMinute: 1 }, baseDir: '/' },
);

class Routes {
  @RequireScopes('messages:send')
  send(): void {}
  open(): void {}
}

function contextFor(
  handler: keyof Routes,
  authorization?: string,
): { context: ExecutionContext; request: FastifyRequest } {
  const request = {
    headers: authorization === undefined ? {} : { authorization },
  } as FastifyRequest;
  const context = {
    switchToHttp: () => ({ getRequest: () => request }),
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
  } as unknown as ExecutionContext;
  return { context, request };
}

function problemOf(run: () => unknown): ProblemException {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('expected a ProblemException');
}

describe('ApiKeyGuard', () => {
  const guard = new ApiKeyGuard(registry, new Reflector());

  it('lets a key with the scope through and sets the principal', () => {
    const { context, request } = contextFor('send', 'Bearer bgw_sender');
    expect(guard.canActivate(context)).toBe(true);
    expect(request.principal).toMatchObject({ keyId: 'sender', tenant: { id: 'acme' } });
  });

  it('needs no scope on a route that names none', () => {
    expect(guard.canActivate(contextFor('open', 'Bearer bgw_reader').context)).toBe(true);
  });

  it.each([
    [
      undefined,
      'Send the header Authorization: Bearer <gateway API key>',
      'Bearer realm="blooio-gateway"',
    ],
    [
      'Token bgw_sender',
      'The Authorization header lacks the Bearer scheme: send Bearer <gateway API key>',
      'Bearer realm="blooio-gateway"',
    ],
    [
      'bgw_sender',
      'The Authorization header lacks the Bearer scheme: send Bearer <gateway API key>',
      'Bearer realm="blooio-gateway"',
    ],
    [
      'Bearer Bearer bgw_sender',
      'The Authorization header says Bearer twice: send Bearer <gateway API key>, with the key pasted without its own Bearer prefix',
      'Bearer realm="blooio-gateway"',
    ],
    [
      'Bearer ',
      'The Authorization header must be Bearer followed by one gateway API key',
      'Bearer realm="blooio-gateway"',
    ],
    [
      'Bearer bgw_sender bgw_reader',
      'The Authorization header must be Bearer followed by one gateway API key',
      'Bearer realm="blooio-gateway"',
    ],
    [
      'Bearer bgw_nobody',
      'The API key is not known',
      'Bearer realm="blooio-gateway", error="invalid_token"',
    ],
  ])('refuses %j with 401 and a WWW-Authenticate challenge', (header, detail, challenge) => {
    const { context, request } = contextFor('send', header);
    const problem = problemOf(() => guard.canActivate(context));
    expect(problem.code).toBe('unauthenticated');
    expect(problem.getStatus()).toBe(401);
    expect(problem.message).toBe(detail);
    expect(problem.problem.headers).toEqual({ 'www-authenticate': challenge });
    expect(request.principal).toBeUndefined();
  });

  it('answers 403 forbidden naming the missing scope', () => {
    const { context, request } = contextFor('send', 'Bearer bgw_reader');
    const problem = problemOf(() => guard.canActivate(context));
    expect(problem.code).toBe('forbidden');
    expect(problem.getStatus()).toBe(403);
    expect(problem.message).toContain('messages:send');
    // Known, just not allowed: the request log still names the tenant and key.
    expect(request.principal?.keyId).toBe('reader');
  });
});
