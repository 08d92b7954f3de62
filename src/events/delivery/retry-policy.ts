/** Each wait of the schedule is moved by up to this fraction, either way. */
export const RETRY_JITTER = 0.2;
/** A `Retry-After` longer than the schedule's wait is honoured up to this much more (§11). */
export const RETRY_AFTER_EXTRA_MAX_MS = 2 * 3_600_000;

/** What the endpoint said on a failed attempt, as far as retrying cares. */
export interface FailedAnswer {
  status?: number;
  /** The `Retry-After` header as sent (seconds, or an HTTP date). */
  retryAfter?: string;
}

/**
 * When to try a delivery again (DESIGN §11): after attempt n failed, the schedule's n-th wait
 * (EVENT_RETRY_SCHEDULE) moved by ±20 % at random; a `Retry-After` on a 429 or 503 is honoured
 * when it asks for longer, up to that wait + 2 h. After the schedule's last wait has been used,
 * there is no next attempt: the delivery is `failed`.
 */
export class RetryPolicy {
  constructor(
    private readonly scheduleMs: readonly number[],
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many attempts a delivery gets: the schedule's length + 1. */
  get maxAttempts(): number {
    return this.scheduleMs.length + 1;
  }

  /** The wait before the attempt after `attempt` (1-based), or undefined when it was the last. */
  delayAfter(attempt: number, answer: FailedAnswer = {}): number | undefined {
    if (!Number.isInteger(attempt) || attempt < 1 || attempt > this.scheduleMs.length) {
      return undefined;
    }
    const wait = this.scheduleMs[attempt - 1];
    const jittered = Math.round(wait * (1 + RETRY_JITTER * (2 * this.random() - 1)));
    const asked =
      answer.status === 429 || answer.status === 503
        ? retryAfterMs(answer.retryAfter, this.now())
        : undefined;
    if (asked === undefined || asked <= jittered) return jittered;
    return Math.min(asked, wait + RETRY_AFTER_EXTRA_MAX_MS);
  }
}

/** `Retry-After` in ms from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3); else undefined. */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1_000;
  // An HTTP date names its weekday and GMT; a bare number or other text is not one.
  if (!/^[A-Za-z]{3},? .*GMT$|^[A-Za-z]{6,9}, .*GMT$|^[A-Za-z]{3} [A-Za-z]{3} /.test(text)) {
    return undefined;
  }
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}
