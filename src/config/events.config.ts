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
  });
}

export const eventsConfig = registerAs('events', () => loadEventsConfig());
