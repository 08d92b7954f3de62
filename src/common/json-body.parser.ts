import type { FastifyInstance } from 'fastify';
import { ProblemException } from '../problems/problem.exception';

/** Far deeper than any request body of the gateway (4 levels), far below a stack overflow. */
export const MAX_JSON_DEPTH = 32;

/** True when `[`/`{` nest deeper than `limit` outside strings: one linear scan, no recursion. */
export function exceedsJsonDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i += 1;
      else if (char === 0x22 /* " */) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * The only body parser: JSON objects, with Fastify's prototype-poisoning protection, and no deeper
 * than MAX_JSON_DEPTH (validation walks bodies recursively). Any other content type is a 415.
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) {
      done(
        ProblemException.validation([
          { path: 'body', message: `must not nest deeper than ${MAX_JSON_DEPTH} levels` },
        ]),
      );
      return;
    }
    // Fastify's default parser answers through the callback; its type merely allows a promise.
    void parseJson(request, text, (error: Error | null, value?: unknown) => {
      if (error) done(error);
      else if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        done(ProblemException.validation([{ path: 'body', message: 'must be a JSON object' }]));
      } else done(null, value);
    });
  });
}
