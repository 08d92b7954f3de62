import fc from 'fast-check';
import { MESSAGE_STATUSES, type MessageRecord, type MessageStatus } from './message-record';
import { isFinal, mergeStatus, statusMayMove } from './message-status.merge';

const record = (overrides: Partial<MessageRecord> = {}): MessageRecord => ({
  tenantId: 'acme',
  messageId: 'msg_1',
  direction: 'outbound',
  blooioKeyId: 'k1',
  chatId: '+15551234567',
  recipients: ['+15551234567'],
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:00.000Z',
  status: 'queued',
  ...overrides,
});

const at = (second: number) => `2026-12-02T10:00:${String(second).padStart(2, '0')}.000Z`;

describe('mergeStatus', () => {
  it('moves forward and keeps every timestamp it learns', () => {
    let current = record();
    current = mergeStatus(current, {
      status: 'sent',
      sentAt: at(1),
      protocol: 'imessage',
      at: at(1),
    });
    current = mergeStatus(current, { status: 'delivered', deliveredAt: at(2), at: at(2) });
    current = mergeStatus(current, { status: 'read', readAt: at(3), at: at(3) });
    expect(current).toMatchObject({
      status: 'read',
      protocol: 'imessage',
      sentAt: at(1),
      deliveredAt: at(2),
      readAt: at(3),
      updatedAt: at(3),
    });
  });

  it('never moves backwards, but takes the timestamp of a late event', () => {
    const delivered = record({ status: 'delivered', deliveredAt: at(2), updatedAt: at(2) });
    const merged = mergeStatus(delivered, { status: 'sent', sentAt: at(1), at: at(5) });
    expect(merged).toMatchObject({ status: 'delivered', sentAt: at(1), deliveredAt: at(2) });
    expect(merged.updatedAt).toBe(at(5));
    expect(mergeStatus(delivered, { status: 'queued', at: at(6) })).toBe(delivered);
  });

  it('keeps the first value of a timestamp (a retried event has the same or a later one)', () => {
    const sent = record({ status: 'sent', sentAt: at(1) });
    expect(mergeStatus(sent, { status: 'sent', sentAt: at(9), at: at(9) })).toBe(sent);
  });

  it('ends at failed and cancelled, with the error of the failure', () => {
    const failed = mergeStatus(record({ status: 'sent' }), {
      status: 'failed',
      failedAt: at(4),
      error: { code: 'undeliverable', message: 'Not an iMessage user' },
      at: at(4),
    });
    expect(failed).toMatchObject({
      status: 'failed',
      failedAt: at(4),
      error: { code: 'undeliverable', message: 'Not an iMessage user' },
    });
    for (const next of MESSAGE_STATUSES) {
      expect(mergeStatus(failed, { status: next, at: at(9) }).status).toBe('failed');
    }
    const cancelled = mergeStatus(record(), { status: 'cancelled', at: at(2) });
    expect(mergeStatus(cancelled, { status: 'delivered', at: at(3) }).status).toBe('cancelled');
  });

  it('does not fail a delivered message, nor take an error without the failure', () => {
    const delivered = record({ status: 'delivered' });
    const merged = mergeStatus(delivered, {
      status: 'failed',
      error: { code: 'x' },
      at: at(9),
    });
    expect(merged.status).toBe('delivered');
    expect(merged.error).toBeUndefined();
  });

  it('resolves the protocol once, never back to pending', () => {
    const pending = record({ protocol: 'pending' });
    const sms = mergeStatus(pending, { protocol: 'sms', at: at(1) });
    expect(sms.protocol).toBe('sms');
    expect(mergeStatus(sms, { protocol: 'pending', at: at(2) })).toBe(sms);
    expect(mergeStatus(sms, { protocol: 'imessage', at: at(2) })).toBe(sms);
  });

  it('leaves an inbound message received', () => {
    const inbound = record({ direction: 'inbound', status: 'received' });
    expect(mergeStatus(inbound, { status: 'read', at: at(1) }).status).toBe('received');
    expect(statusMayMove('sent', 'received')).toBe(false);
  });

  it('never lowers updatedAt', () => {
    const later = record({ status: 'queued', updatedAt: at(9) });
    expect(mergeStatus(later, { status: 'sent', at: at(1) }).updatedAt).toBe(at(9));
  });

  const PROGRESS: MessageStatus[] = ['queued', 'sent', 'delivered', 'read'];

  it('ends at the furthest status of any order of progress events, never stepping back', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...PROGRESS, 'pending' as const), { maxLength: 12 }),
        (seq) => {
          let current = record({ status: 'queued' });
          let rank = 0;
          for (const [i, status] of seq.entries()) {
            current = mergeStatus(current, { status, at: at(i) });
            const now = PROGRESS.indexOf(current.status);
            expect(now).toBeGreaterThanOrEqual(rank);
            rank = now;
          }
          const furthest = Math.max(0, ...seq.map((s) => PROGRESS.indexOf(s)));
          expect(current.status).toBe(PROGRESS[furthest]);
        },
      ),
    );
  });

  it('once final, stays final whatever follows', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...MESSAGE_STATUSES), { maxLength: 12 }), (seq) => {
        let current = record({ status: 'pending' });
        let endedAt: MessageStatus | undefined;
        for (const status of seq) {
          current = mergeStatus(current, { status, at: at(1) });
          if (endedAt && endedAt !== 'delivered') expect(current.status).toBe(endedAt);
          if (endedAt === 'delivered') expect(['delivered', 'read']).toContain(current.status);
          if (isFinal(current.status)) endedAt = current.status;
        }
      }),
    );
  });
});
