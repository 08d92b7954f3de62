import { registerAs } from '@nestjs/config';
import { EnvReader } from './env';

const DAY_SECONDS = 86_400;

export interface EventsConfig {
  /** How long a message's record (§10) is kept after it was written. */
  messageRetentionSeconds: number;
  /** How long a received event is kept in its tenant's event log (§11). */
  eventRetentionSeconds: number;
  /** How far a Blooio signature's `t` may be from now, either way. */
  webhookToleranceSeconds: number;
  /** Memory stores only (no REDIS_URL): the most message records kept; the oldest go first. */
  messageRecordsMaxEntries: number;
  /** Memory stores only: the most events kept, over every tenant; the oldest go first. */
  eventLogMaxEntries: number;
  /** The waits (ms) before attempts 2, 3…: its length + 1 is the number of attempts (§11). */
  retryScheduleMs: readonly number[];
  /** One delivery attempt to a tenant endpoint, headers and body of the answer alike. */
  deliveryTimeoutMs: number;
  /** Deliveries in flight per endpoint. */
  deliveryConcurrency: number;
  /**
   * Redis only: BullMQ's lock of a running delivery: a delivery whose replica died (kill -9, a lost
   * host) is run again by another replica within about twice this (its lock expires, then a
   * stalled check).
   */
  deliveryStalledMs: number;
}

export const DEFAULT_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';
const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
/** One wait of a schedule: a week at most (events are kept 90 days at most). */
const MAX_WAIT_MS = 7 * DAY_SECONDS * 1_000;
const MAX_SCHEDULE_LENGTH = 20;

/**
 * `5s,5m,30m,2h`: whole numbers with a unit (ms, s, m, h), each from 1 ms to 7 days, 1 to 20 of
 * them. A problem names the variable and the piece at fault.
 */
export function parseRetrySchedule(
  name: string,
  raw: string,
): { waitsMs: number[]; problem?: undefined } | { waitsMs?: undefined; problem: string } {
  const pieces = raw.split(',').map((piece) => piece.trim());
  if (pieces.length > MAX_SCHEDULE_LENGTH) {
    return { problem: `${name}: at most ${MAX_SCHEDULE_LENGTH} waits (got ${pieces.length})` };
  }
  const waitsMs: number[] = [];
  for (const piece of pieces) {
    const match = /^(\d{1,9})(ms|s|m|h)$/.exec(piece);
    const ms = match ? Number(match[1]) * DURATION_UNIT_MS[match[2]] : NaN;
    if (!match || ms < 1 || ms > MAX_WAIT_MS) {
      return {
        problem: `${name}: "${piece}" is not a wait from 1ms to 168h (a whole number and ms, s, m or h, comma-separated, e.g. ${DEFAULT_RETRY_SCHEDULE})`,
      };
    }
    waitsMs.push(ms);
  }
  return { waitsMs };
}

export function loadEventsConfig(env: NodeJS.ProcessEnv = process.env): EventsConfig {
  const read = new EnvReader(env);
  return read.done({
    messageRetentionSeconds: read.int(
      'MESSAGE_RETENTION_SECONDS',
      30 * DAY_SECONDS,
      1,
      365 * DAY_SECONDS,
    ),
    eventRetentionSeconds: read.int(
      'EVENT_RETENTION_SECONDS',
      7 * DAY_SECONDS,
      1,
      90 * DAY_SECONDS,
    ),
    // Above an hour a captured delivery would stay replayable for too long.
    webhookToleranceSeconds: read.int('WEBHOOK_TOLERANCE_SECONDS', 300, 1, 3_600),
    messageRecordsMaxEntries: read.int('MESSAGE_RECORDS_MAX_ENTRIES', 100_000, 1, 10_000_000),
    eventLogMaxEntries: read.int('EVENT_LOG_MAX_ENTRIES', 100_000, 1, 10_000_000),
    retryScheduleMs: readRetrySchedule(read),
    deliveryTimeoutMs: read.int('EVENT_DELIVERY_TIMEOUT_MS', 15_000, 100, 300_000),
    deliveryConcurrency: read.int('EVENT_DELIVERY_CONCURRENCY', 8, 1, 1_000),
    deliveryStalledMs: read.int('EVENT_DELIVERY_STALLED_MS', 30_000, 1_000, 600_000),
  });
}

function readRetrySchedule(read: EnvReader): readonly number[] {
  const name = 'EVENT_RETRY_SCHEDULE';
  const parsed = parseRetrySchedule(name, read.string(name, DEFAULT_RETRY_SCHEDULE));
  if (parsed.waitsMs) return parsed.waitsMs;
  read.problem(parsed.problem);
  return [];
}

export const eventsConfig = registerAs('events', () => loadEventsConfig());
