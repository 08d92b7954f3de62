import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as locateJsonErrors, ParseErrorCode, type ParseError } from 'jsonc-parser';
import { ProblemException } from '../problems/problem.exception';
import { prototypeKeyErrors } from './object-prototype-keys.pipe';

/** Far deeper than any request body of the gateway (4 levels), far below a stack overflow. */
export const MAX_JSON_DEPTH = 32;

/**
 * The most values (fields and array items, at every depth) a body may hold. The largest valid
 * send has about 300 (100 recipients, 20 parts, 10 attachments, 20 metadata keys…); far more
 * would only make class-transformer, which is quadratic in an object's keys, spend the event loop
 * (20,000 unknown fields cost seconds) before validation refuses them anyway.
 */
export const MAX_BODY_VALUES = 512;

/** True when `value` holds more than `limit` values in all: iterative, stops at the limit. */
export function exceedsValueCount(value: unknown, limit: number): boolean {
  const pending: unknown[] = [value];
  let count = 0;
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    const children = Array.isArray(next) ? next : Object.values(next);
    count += children.length;
    if (count > limit) return true;
    for (const child of children)
      if (typeof child === 'object' && child !== null) pending.push(child);
  }
  return false;
}

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
  // Every other media type (or none) is refused unread, saying what to send instead.
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    const type = request.headers['content-type'];
    done(
      new ProblemException('unsupported_media_type', {
        detail: `${type ? `Content-Type ${type.slice(0, 100)} is not accepted` : 'The body has no Content-Type'}: send Content-Type: application/json with a JSON object`,
      }),
    );
  });
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const unsupported = unsupportedEncoding(request);
    if (unsupported) {
      done(new ProblemException('unsupported_media_type', { detail: unsupported }));
      return;
    }
    if ((body as Buffer).length === 0 && request.routeOptions.config?.optionalBody === true) {
      done(null, undefined);
      return;
    }
    // A signed route (Blooio's webhooks) checks these exact bytes first, then hears the verdict.
    const keepRaw = request.routeOptions.config?.rawBody === true;
    if (keepRaw) request.rawBody = body as Buffer;
    const fail = (error: Error) => {
      if (!keepRaw) return done(error);
      request.bodyError = error;
      done(null, undefined);
    };
    let text: string;
    try {
      text = UTF8.decode(body as Buffer);
    } catch {
      fail(invalid('is not valid UTF-8'));
      return;
    }
    if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) {
      fail(invalid(`must not nest deeper than ${MAX_JSON_DEPTH} levels`));
      return;
    }
    // Fastify's default parser answers through the callback; its type merely allows a promise.
    void parseJson(request, text, (error: Error | null, value?: unknown) => {
      if (error) fail(poisoningError(text) ?? syntaxError(text, error));
      else if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail(invalid('must be a JSON object'));
      } else if (exceedsValueCount(value, MAX_BODY_VALUES)) {
        fail(
          invalid(
            `must hold at most ${MAX_BODY_VALUES} values (fields and items at every depth); no valid request has more`,
          ),
        );
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

/** What jsonc-parser (which, unlike JSON.parse, always knows where) found, in words. */
const SYNTAX_ERRORS: Partial<Record<ParseErrorCode, string>> = {
  [ParseErrorCode.InvalidSymbol]: 'unexpected character',
  [ParseErrorCode.InvalidNumberFormat]: 'invalid number',
  [ParseErrorCode.PropertyNameExpected]: 'a property name in double quotes expected',
  [ParseErrorCode.ValueExpected]: 'a value expected',
  [ParseErrorCode.ColonExpected]: "':' expected",
  [ParseErrorCode.CommaExpected]: "',' expected",
  [ParseErrorCode.CloseBraceExpected]: "'}' expected",
  [ParseErrorCode.CloseBracketExpected]: "']' expected",
  [ParseErrorCode.EndOfFileExpected]: 'nothing may follow the value',
  [ParseErrorCode.InvalidCommentToken]: 'comments are not JSON',
  [ParseErrorCode.UnexpectedEndOfComment]: 'comments are not JSON',
  [ParseErrorCode.UnexpectedEndOfString]: 'unterminated string',
  [ParseErrorCode.UnexpectedEndOfNumber]: 'unterminated number',
  [ParseErrorCode.InvalidUnicode]: 'invalid \\u escape',
  [ParseErrorCode.InvalidEscapeCharacter]: 'invalid escape',
  [ParseErrorCode.InvalidCharacter]: 'control character in a string',
};

/**
 * Malformed JSON, said with where: `is not valid JSON: ',' expected at line 3, column 5`. Fastify's
 * parser (JSON.parse underneath) gives no position for most mistakes, so the text is scanned once
 * more, only on this error path (linear, no recursion). An empty body keeps Fastify's own error.
 */
export function syntaxError(text: string, error: Error): Error {
  if ((error as Error & { code?: string }).code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return error;
  const found: ParseError[] = [];
  locateJsonErrors(text, found, { disallowComments: true, allowTrailingComma: false });
  const first = found[0];
  if (!first) return ProblemException.validation([{ path: 'body', message: 'is not valid JSON' }]);
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length;
  const column = first.offset - before.lastIndexOf('\n');
  const what = SYNTAX_ERRORS[first.error] ?? 'syntax error';
  return ProblemException.validation([
    {
      path: 'body',
      message: `is not valid JSON: ${what} at line ${line}, column ${column} (offset ${first.offset})`,
    },
  ]);
}
