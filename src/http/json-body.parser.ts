import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemException } from '../problems/problem.exception';
import { prototypeKeyErrors } from './object-prototype-keys.pipe';

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

/** Why this request's body cannot be read as UTF-8 JSON as sent, if it cannot. */
export function unsupportedEncoding(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(
    request.headers['content-type'] ?? '',
  )?.[1];
  if (charset && !/^utf-?8$/i.test(charset))
    return `charset ${charset} is not supported: send UTF-8`;
  const encoding = request.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity')
    return `Content-Encoding ${encoding} is not supported`;
  return undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The only body parser: UTF-8 JSON objects, with Fastify's prototype-poisoning protection, and no
 * deeper than MAX_JSON_DEPTH (validation walks bodies recursively). Any other media type, charset
 * or content encoding is a 415.
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  const invalid = (message: string) => ProblemException.validation([{ path: 'body', message }]);
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const unsupported = unsupportedEncoding(request);
    if (unsupported) {
      done(new ProblemException('unsupported_media_type', { detail: unsupported }));
      return;
    }
    let text: string;
    try {
      text = UTF8.decode(body as Buffer);
    } catch {
      done(invalid('is not valid UTF-8'));
      return;
    }
    if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) {
      done(invalid(`must not nest deeper than ${MAX_JSON_DEPTH} levels`));
      return;
    }
    // Fastify's default parser answers through the callback; its type merely allows a promise.
    void parseJson(request, text, (error: Error | null, value?: unknown) => {
      if (error) done(poisoningError(text) ?? error);
      else if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        done(invalid('must be a JSON object'));
      } else done(null, value);
    });
  });
}

/**
 * Fastify's parser says only "not valid JSON" when valid JSON carries `__proto__` or
 * `constructor.prototype` (prototype poisoning, refused). Parsed plainly (JSON.parse makes such
 * keys own properties, harmless here), the keys are named with their paths, as every other unknown
 * field is. Only on that error path: undefined when the text is not JSON at all.
 */
function poisoningError(text: string): ProblemException | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const errors = prototypeKeyErrors(value);
  return errors.length > 0 ? ProblemException.validation(errors) : undefined;
}
