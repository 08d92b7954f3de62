import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import { ProblemException } from '../problems/problem.exception';

const METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

// The route a 405 was answered for: Fastify matched none, so routeOptions.url stays undefined.
const knownPathOf = new WeakMap<FastifyRequest, string>();

/** The route pattern of a request answered 405 (a known path, another method), else undefined. */
export function methodNotAllowedRoute(request: FastifyRequest): string | undefined {
  return knownPathOf.get(request);
}

/**
 * A known path called with a method it does not have answers 405 with `Allow`, not 404. Runs only
 * for requests no route matched, so it costs nothing on the hot path.
 */
export function registerMethodNotAllowed(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (request.routeOptions.url !== undefined) return done();
    const path = request.url.split('?')[0];
    // Routes match with or without one trailing slash (ignoreTrailingSlash); hasRoute does not.
    const url = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const allowed = METHODS.filter(
      (method) => method !== request.method && fastify.hasRoute({ url, method }),
    );
    if (allowed.length === 0) return done();
    knownPathOf.set(request, url);
    done(
      new ProblemException('method_not_allowed', {
        detail: `${request.method} is not supported here; use ${allowed.join(', ')}`,
        headers: { allow: allowed.join(', ') },
      }),
    );
  });
}
