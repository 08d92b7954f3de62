import type { Secret } from '../common/secret';
import type { MessageError } from './message-record';

/** Blooio's error text is kept, cut short: records and events show it to callers as it is. */
export const MAX_ERROR_MESSAGE_LENGTH = 500;
export const MAX_ERROR_CODE_LENGTH = 100;

/**
 * Characters that do not belong in a one-line text shown to callers and written to logs: C0 and
 * C1 controls (newlines, escapes a terminal obeys), DEL, and the invisible ones that hide or
 * reorder text (zero-width, bidirectional overrides and isolates, line and paragraph separators,
 * the byte-order mark).
 */
// eslint-disable-next-line no-control-regex
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+/g;

/**
 * Text an upstream wrote, made fit to keep and show: each run of control characters becomes a
 * space (and spaces in a row one), the tenant's Blooio key (and any piece of it, `Secret.scrubEchoes`) becomes
 * `[redacted]`, and the rest is cut to `maxLength`. Undefined when nothing is left.
 */
export function upstreamText(text: string, key: Secret, maxLength: number): string | undefined {
  // Two linear passes (no pattern that can backtrack: the text may be as long as a body).
  const oneLine = text.replace(UNSHOWABLE, ' ').replace(/ {2,}/g, ' ');
  const clean = key.scrubEchoes(oneLine).trim().slice(0, maxLength).trim();
  return clean === '' ? undefined : clean;
}

/**
 * A message's error as Blooio told it (a status event's `error_code`/`error_message`, the status
 * route's `error`), cleaned by `upstreamText`; undefined when it says nothing.
 */
export function messageErrorOf(
  told: { code?: unknown; message?: unknown },
  key: Secret,
): MessageError | undefined {
  const code =
    typeof told.code === 'string' ? upstreamText(told.code, key, MAX_ERROR_CODE_LENGTH) : undefined;
  const message =
    typeof told.message === 'string'
      ? upstreamText(told.message, key, MAX_ERROR_MESSAGE_LENGTH)
      : undefined;
  if (code === undefined && message === undefined) return undefined;
  return { ...(code !== undefined && { code }), ...(message !== undefined && { message }) };
}
