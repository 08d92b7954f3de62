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
      }),
    ).toEqual({
      messageRetentionSeconds: 3_600,
      eventRetentionSeconds: 7_200,
      webhookToleranceSeconds: 120,
      messageRecordsMaxEntries: 10,
      eventLogMaxEntries: 20,
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
});
