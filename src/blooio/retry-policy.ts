import {
  BlooioError,
  BlooioHttpError,
  BlooioNetworkError,
  BlooioTimeoutError,
} from './blooio.errors';

/** Statuses after which the same request may succeed, sent again with the same key (DESIGN.md §5). */
const RETRYABLE_STATUSES = new Set([500, 502, 504]);

/**
 * Retry only what cannot have been a final answer: a network failure, an attempt that timed out,
 * 500/502/504, and a 429 without a quota code. Never 4xx, coded 429s (quotas) or 503.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof BlooioNetworkError || error instanceof BlooioTimeoutError) return true;
  if (!(error instanceof BlooioHttpError)) return false;
  if (error.status === 429) return !error.coded;
  return RETRYABLE_STATUSES.has(error.status);
}

/** Failures that say Blooio itself is in trouble: they count towards opening the circuit. */
export function isUpstreamFailure(error: unknown): boolean {
  if (error instanceof BlooioNetworkError || error instanceof BlooioTimeoutError) return true;
  return error instanceof BlooioHttpError && error.status >= 500;
}

/** Full jitter: random(0, min(cap, base·2^attempt)), attempt counting from 0. */
export function backoffDelayMs(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(error: BlooioError, now = Date.now()): number | undefined {
  const header = error instanceof BlooioHttpError ? error.retryAfter?.trim() : undefined;
  if (!header) return undefined;
  if (/^\d+$/.test(header)) return Number(header) * 1_000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
