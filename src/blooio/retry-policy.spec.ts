import {
  BlooioCircuitOpenError,
  BlooioHttpError,
  BlooioNetworkError,
  BlooioTimeoutError,
  BlooioUnreadableResponseError,
} from './blooio.errors';
import { backoffDelayMs, isRetryable, isUpstreamFailure, retryAfterMs } from './retry-policy';

describe('retry policy (DESIGN.md §5)', () => {
  it.each([
    ['a network error', new BlooioNetworkError('ECONNRESET'), true],
    ['a timeout', new BlooioTimeoutError(), true],
    ['500', new BlooioHttpError(500, {}), true],
    ['502', new BlooioHttpError(502, {}), true],
    ['504', new BlooioHttpError(504, {}), true],
    ['a plain 429', new BlooioHttpError(429, {}), true],
    [
      '429 outbound_limit_reached',
      new BlooioHttpError(429, { code: 'outbound_limit_reached' }),
      false,
    ],
    [
      '429 new_conversation_limit_reached',
      new BlooioHttpError(429, { code: 'new_conversation_limit_reached' }),
      false,
    ],
    ['a 429 whose code was not passed on', new BlooioHttpError(429, {}, undefined, true), false],
    ['503', new BlooioHttpError(503, {}), false],
    ['400', new BlooioHttpError(400, {}), false],
    ['401', new BlooioHttpError(401, {}), false],
    ['402', new BlooioHttpError(402, {}), false],
    ['403', new BlooioHttpError(403, {}), false],
    ['404', new BlooioHttpError(404, {}), false],
    ['409', new BlooioHttpError(409, {}), false],
    ['an unreadable 2xx', new BlooioUnreadableResponseError(202), false],
    ['an open circuit', new BlooioCircuitOpenError(100), false],
    ['a bug', new TypeError('x'), false],
  ])('retries after %s: %s', (_name, error, expected) => {
    expect(isRetryable(error)).toBe(expected);
  });

  it('counts 5xx, timeouts and network errors as upstream failures, never 4xx', () => {
    expect(isUpstreamFailure(new BlooioHttpError(503, {}))).toBe(true);
    expect(isUpstreamFailure(new BlooioHttpError(500, {}))).toBe(true);
    expect(isUpstreamFailure(new BlooioTimeoutError())).toBe(true);
    expect(isUpstreamFailure(new BlooioNetworkError('ECONNREFUSED'))).toBe(true);
    expect(isUpstreamFailure(new BlooioHttpError(429, {}))).toBe(false);
    expect(isUpstreamFailure(new BlooioHttpError(403, {}))).toBe(false);
  });

  it('draws full-jitter delays within min(cap, base·2^attempt)', () => {
    expect(backoffDelayMs(0, 100, 2_000, () => 0.999)).toBe(99);
    expect(backoffDelayMs(3, 100, 2_000, () => 0.5)).toBe(400);
    expect(backoffDelayMs(10, 100, 2_000, () => 0.5)).toBe(1_000);
    expect(backoffDelayMs(5, 100, 2_000, () => 0)).toBe(0);
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const delay = backoffDelayMs(attempt, 100, 2_000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(2_000, 100 * 2 ** attempt));
    }
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-24T10:00:00Z');
    expect(retryAfterMs(new BlooioHttpError(429, {}, '2'), now)).toBe(2_000);
    expect(retryAfterMs(new BlooioHttpError(429, {}, 'Tue, 24 Nov 2026 10:00:03 GMT'), now)).toBe(
      3_000,
    );
    expect(retryAfterMs(new BlooioHttpError(429, {}, 'soon'), now)).toBeUndefined();
    expect(retryAfterMs(new BlooioHttpError(429, {}), now)).toBeUndefined();
    expect(retryAfterMs(new BlooioTimeoutError(), now)).toBeUndefined();
  });
});
