import type { FastifyInstance } from 'fastify';
import type { ApiKeyGuard } from './api-key.guard';

/** The key of a Fastify route's config that @Authenticated sets on the routes that need a key. */
export const GATEWAY_KEY_REQUIRED = 'gatewayKeyRequired';

/**
 * Authenticates the calls of routes marked by @Authenticated before their body is read: no key,
 * no parsing (401 before 400, 413 or 415). Other routes (docs, health, Blooio's webhooks) pass.
 */
export function registerEarlyAuthentication(fastify: FastifyInstance, apiKeys: ApiKeyGuard): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    try {
      if (request.routeOptions.config?.[GATEWAY_KEY_REQUIRED]) apiKeys.identify(request);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
}
