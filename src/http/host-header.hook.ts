import type { FastifyInstance } from 'fastify';
import { ProblemException } from '../problems/problem.exception';

/** How many times `Host` appears in the request as sent (Node keeps only the first in `headers`). */
export function hostHeaderCount(rawHeaders: string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length === 4 && rawHeaders[i].toLowerCase() === 'host') count += 1;
  }
  return count;
}

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without `Host`, or any request with more than one, is a 400.
 * Node's own check (requireHostHeader, turned off in app.setup.ts) answers a bare 400 and misses
 * the repeated header; this one answers a problem naming the header.
 */
export function registerHostHeaderCheck(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const count = hostHeaderCount(request.raw.rawHeaders);
    if (count === 1 || (count === 0 && request.raw.httpVersion === '1.0')) return done();
    done(
      ProblemException.validation([
        { path: 'Host', message: count === 0 ? 'is required' : 'must be sent once' },
      ]),
    );
  });
}
