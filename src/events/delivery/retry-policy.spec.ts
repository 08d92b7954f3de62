import { RETRY_AFTER_EXTRA_MAX_MS, retryAfterMs, RetryPolicy } from './retry-policy';

/** mulberry32: a small seeded generator, so that jittered waits are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const SCHEDULE = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);

describe('RetryPolicy', () => {
  it('waits the schedule, each wait within ±20 %, and stops after its last wait', () => {
    const policy = new RetryPolicy(SCHEDULE, seeded(42), () => NOW);
    expect(policy.maxAttempts).toBe(8);
    SCHEDULE.forEach((wait, i) => {
      const delay = policy.delayAfter(i + 1)!;
      expect(delay).toBeGreaterThanOrEqual(wait * 0.8);
      expect(delay).toBeLessThanOrEqual(wait * 1.2);
    });
    expect(policy.delayAfter(8)).toBeUndefined();
    expect(policy.delayAfter(9)).toBeUndefined();
    expect(policy.delayAfter(0)).toBeUndefined();
  });

  it('is deterministic for a seed, spreads over the whole ±20 %, and is centred', () => {
    const a = new RetryPolicy([10_000], seeded(7));
    const b = new RetryPolicy([10_000], seeded(7));
    const delays = Array.from({ length: 2_000 }, () => a.delayAfter(1)!);
    expect(Array.from({ length: 2_000 }, () => b.delayAfter(1)!)).toEqual(delays);
    expect(Math.min(...delays)).toBeLessThan(8_100);
    expect(Math.max(...delays)).toBeGreaterThan(11_900);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(8_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(12_000);
    const mean = delays.reduce((sum, d) => sum + d, 0) / delays.length;
    expect(Math.abs(mean - 10_000)).toBeLessThan(150);
  });

  it('jitters at the edges of the random range exactly to ±20 %', () => {
    expect(new RetryPolicy([10_000], () => 0).delayAfter(1)).toBe(8_000);
    expect(new RetryPolicy([10_000], () => 0.5).delayAfter(1)).toBe(10_000);
    expect(new RetryPolicy([10_000], () => 0.999_999_99).delayAfter(1)).toBe(12_000);
  });

  it('honours a longer Retry-After in seconds on 429 and 503, capped at the wait + 2 h', () => {
    const policy = new RetryPolicy(
      [5_000, 60_000],
      () => 0.5,
      () => NOW,
    );
    expect(policy.delayAfter(1, { status: 429, retryAfter: '120' })).toBe(120_000);
    expect(policy.delayAfter(1, { status: 503, retryAfter: '30' })).toBe(30_000);
    // Shorter than the schedule's wait: the schedule wins.
    expect(policy.delayAfter(2, { status: 503, retryAfter: '1' })).toBe(60_000);
    // Far longer: capped at the schedule's wait + 2 h.
    expect(policy.delayAfter(1, { status: 429, retryAfter: '86400' })).toBe(
      5_000 + RETRY_AFTER_EXTRA_MAX_MS,
    );
    // Other statuses, and a missing or unreadable header, leave the schedule alone.
    expect(policy.delayAfter(1, { status: 500, retryAfter: '120' })).toBe(5_000);
    expect(policy.delayAfter(1, { status: 429 })).toBe(5_000);
    expect(policy.delayAfter(1, { status: 429, retryAfter: 'soon' })).toBe(5_000);
    expect(policy.delayAfter(1, { status: 429, retryAfter: '-5' })).toBe(5_000);
  });

  it('honours a Retry-After that is an HTTP date', () => {
    const policy = new RetryPolicy(
      [5_000],
      () => 0.5,
      () => NOW,
    );
    const inTenMinutes = new Date(NOW + 600_000).toUTCString();
    expect(policy.delayAfter(1, { status: 503, retryAfter: inTenMinutes })).toBe(600_000);
    const past = new Date(NOW - 600_000).toUTCString();
    expect(policy.delayAfter(1, { status: 503, retryAfter: past })).toBe(5_000);
    // Still no retry past the schedule's end, whatever the endpoint asks.
    expect(policy.delayAfter(2, { status: 503, retryAfter: '10' })).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and the three HTTP date forms', () => {
    const now = Date.UTC(1994, 10, 6, 8, 48, 37);
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs(' 90 ', now)).toBe(90_000);
    expect(retryAfterMs('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(60_000);
    expect(retryAfterMs('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(60_000);
    expect(retryAfterMs('Sun Nov  6 08:49:37 1994', now)).toBeGreaterThanOrEqual(0);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('1.5', now)).toBeUndefined();
    expect(retryAfterMs('2026', now)).toBe(2_026_000);
    expect(retryAfterMs('tomorrow', now)).toBeUndefined();
  });
});
