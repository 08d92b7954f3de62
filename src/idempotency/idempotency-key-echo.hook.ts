import type { FastifyInstance } from 'fastify';
import { IDEMPOTENCY_KEY_FIELD, wellFormedIdempotencyKey } from './idempotency-key.pipe';

/**
 * Every answer to a request that carried one well-formed Idempotency-Key repeats it (DESIGN.md §2):
 * successes, replays and problems alike, so a caller matching answers to its retries by key finds
 * it on a 409 or a 503 too. Set when the request arrives, like X-Request-Id, so that no error path
 * (the body parser's included) can miss it. A malformed or repeated key is the caller's 400, and is
 * not repeated.
 */
export function registerIdempotencyKeyEcho(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.headers[IDEMPOTENCY_KEY_FIELD] !== undefined) {
      const key = wellFormedIdempotencyKey(request);
      if (key !== undefined) {
        request.idempotencyKey = key;
        void reply.header(IDEMPOTENCY_KEY_FIELD, key);
      }
    }
    done();
  });
}
