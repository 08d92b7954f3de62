import { problemsOf } from '../../test/support/config-problems';
import { loadConfiguration } from './configuration';
import { loadEventsConfig } from './events.config';

describe('events configuration', () => {
  it('has the documented defaults', () => {
    expect(loadEventsConfig({})).toEqual({
      messageRetentionSeconds: 2_592_000,
      eventRetentionSeconds: 604_800,
      webhookToleranceSeconds: 300,
      messageRecordsMaxEntries: 100_000,
      eventLogMaxEntries: 100_000,
      retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      deliveryTimeoutMs: 15_000,
      deliveryConcurrency: 8,
      deliveryStalledMs: 30_000,
    });
  });

  it('reads every variable', () => {
    expect(
      loadEventsConfig({
        MESSAGE_RETENTION_SECONDS: '3600',
        EVENT_RETENTION_SECONDS: '7200',
        WEBHOOK_TOLERANCE_SECONDS: '120',
        MESSAGE_RECORDS_MAX_ENTRIES: '10',
        EVENT_LOG_MAX_ENTRIES: '20',
        EVENT_RETRY_SCHEDULE: '100ms, 2s,3m,1h',
        EVENT_DELIVERY_TIMEOUT_MS: '2500',
        EVENT_DELIVERY_CONCURRENCY: '2',
        EVENT_DELIVERY_STALLED_MS: '2000',
      }),
    ).toEqual({
      messageRetentionSeconds: 3_600,
      eventRetentionSeconds: 7_200,
      webhookToleranceSeconds: 120,
      messageRecordsMaxEntries: 10,
      eventLogMaxEntries: 20,
      retryScheduleMs: [100, 2_000, 180_000, 3_600_000],
      deliveryTimeoutMs: 2_500,
      deliveryConcurrency: 2,
      deliveryStalledMs: 2_000,
    });
  });

  it('names every bad variable at once, and joins the other namespaces', () => {
    const env = {
      MESSAGE_RETENTION_SECONDS: '30d',
      EVENT_RETENTION_SECONDS: '0',
      WEBHOOK_TOLERANCE_SECONDS: '86400',
    };
    const expected = [
      'MESSAGE_RETENTION_SECONDS: must be a whole number from 1 to 31536000 (got "30d")',
      'EVENT_RETENTION_SECONDS: must be a whole number from 1 to 7776000 (got "0")',
      'WEBHOOK_TOLERANCE_SECONDS: must be a whole number from 1 to 3600 (got "86400")',
    ];
    expect(problemsOf(() => loadEventsConfig(env))).toEqual(expected);
    expect(problemsOf(() => loadConfiguration({ ...env, PORT: 'x' }))).toEqual([
      expect.stringMatching(/^PORT: /),
      ...expected,
    ]);
    expect(loadConfiguration({}).events.messageRetentionSeconds).toBe(2_592_000);
  });

  it.each([
    ['5s,5x,1h', '"5x"'],
    ['5s,,1h', '""'],
    ['1.5s', '"1.5s"'],
    ['-1s', '"-1s"'],
    ['0ms', '"0ms"'],
    ['169h', '"169h"'],
    ['5', '"5"'],
  ])('refuses the schedule %s, naming the bad piece %s', (schedule, piece) => {
    expect(problemsOf(() => loadEventsConfig({ EVENT_RETRY_SCHEDULE: schedule }))).toEqual([
      expect.stringContaining(`EVENT_RETRY_SCHEDULE: ${piece} is not a wait from 1ms to 168h`),
    ]);
  });

  it('refuses a schedule of more than 20 waits, and bad delivery limits', () => {
    expect(
      problemsOf(() =>
        loadEventsConfig({
          EVENT_RETRY_SCHEDULE: Array.from({ length: 21 }, () => '1s').join(','),
          EVENT_DELIVERY_TIMEOUT_MS: '15s',
          EVENT_DELIVERY_CONCURRENCY: '0',
        }),
      ),
    ).toEqual([
      'EVENT_RETRY_SCHEDULE: at most 20 waits (got 21)',
      'EVENT_DELIVERY_TIMEOUT_MS: must be a whole number from 100 to 300000 (got "15s")',
      'EVENT_DELIVERY_CONCURRENCY: must be a whole number from 1 to 1000 (got "0")',
    ]);
  });
});
