import Fastify from 'fastify';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { ApiKeyGuard } from './api-key.guard';
import { Authenticated } from './authenticated.decorator';
import { GATEWAY_KEY_REQUIRED, registerEarlyAuthentication } from './early-authentication.hook';

class Routes {
  @Authenticated('messages:send')
  send(): void {}
}

describe('early authentication', () => {
  it('@Authenticated marks the route config that the onRequest hook reads', () => {
    expect(Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, Routes.prototype.send)).toEqual({
      [GATEWAY_KEY_REQUIRED]: true,
    });
  });

  it('authenticates marked routes before their body is read, whatever their path', async () => {
    const identify = jest.fn(() => {
      throw Object.assign(new Error('no key'), { statusCode: 401 });
    });
    const fastify = Fastify();
    registerEarlyAuthentication(fastify, { identify } as unknown as ApiKeyGuard);
    const bodies: unknown[] = [];
    const handler = (request: { body: unknown }) => {
      bodies.push(request.body);
      return 'ok';
    };
    const marked = { config: { [GATEWAY_KEY_REQUIRED]: true } };
    fastify.post('/v1/marked', marked, handler);
    fastify.post('/elsewhere', marked, handler);
    fastify.post('/v1/unmarked', handler);
    fastify.post('/webhooks/blooio/:tenantId', handler);
    try {
      for (const url of ['/v1/marked', '/elsewhere']) {
        const answer = await fastify.inject({ method: 'POST', url, payload: { a: 1 } });
        expect(answer.statusCode).toBe(401);
      }
      expect(identify).toHaveBeenCalledTimes(2);
      for (const url of ['/v1/unmarked', '/webhooks/blooio/acme']) {
        const answer = await fastify.inject({ method: 'POST', url, payload: { a: 1 } });
        expect(answer.statusCode).toBe(200);
      }
      expect(identify).toHaveBeenCalledTimes(2);
      expect(bodies).toEqual([{ a: 1 }, { a: 1 }]);
    } finally {
      await fastify.close();
    }
  });
});
