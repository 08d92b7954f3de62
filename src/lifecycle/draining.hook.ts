import type { FastifyInstance } from 'fastify';
import type { ShutdownState } from './shutdown-state';

/**
 * While shutting down, every answer says `Connection: close`: the caller's next request opens a
 * new connection, which lands on another replica, and this one's sockets close as their requests
 * finish instead of idling until the grace period runs out.
 */
export function registerDrainingConnectionClose(
  fastify: FastifyInstance,
  shutdown: ShutdownState,
): void {
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (shutdown.draining) void reply.header('connection', 'close');
    done(null, payload);
  });
}
