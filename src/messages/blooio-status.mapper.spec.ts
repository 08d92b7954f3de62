import { Secret } from '../common/secret';
import { statusUpdateOf as statusUpdateWith } from './blooio-status.mapper';

const KEY = new Secret('bl_fake_statusMapperSpecKey0123456789');
const statusUpdateOf = (body: Parameters<typeof statusUpdateWith>[0], at: string) =>
  statusUpdateWith(body, at, KEY);

const AT = '2026-12-02T10:00:10.000Z';
const SENT_MS = Date.parse('2026-12-02T10:00:00.000Z');

describe('statusUpdateOf', () => {
  it('reads a delivered answer: status, protocol, sent and delivered times', () => {
    expect(
      statusUpdateOf(
        {
          status: 'delivered',
          protocol: 'imessage',
          time_sent: SENT_MS,
          time_delivered: SENT_MS + 4_000,
          error: null,
        },
        AT,
      ),
    ).toEqual({
      at: AT,
      status: 'delivered',
      protocol: 'imessage',
      sentAt: '2026-12-02T10:00:00.000Z',
      deliveredAt: '2026-12-02T10:00:04.000Z',
    });
  });

  it('gives no sentAt to a message still queued', () => {
    expect(
      statusUpdateOf({ status: 'queued', protocol: 'pending', time_sent: SENT_MS }, AT),
    ).toEqual({ at: AT, status: 'queued', protocol: 'pending' });
  });

  it('reads a failure with its error, cut to 500 characters', () => {
    expect(statusUpdateOf({ status: 'failed', error: 'x'.repeat(600) }, AT)).toEqual({
      at: AT,
      status: 'failed',
      failedAt: AT,
      error: { message: 'x'.repeat(500) },
    });
  });

  it("scrubs the tenant's Blooio key and control characters from the error", () => {
    const told = `Unauthorized key ${KEY.reveal()}\r\n\u001b[31mFAKE LOG LINE\u202e ${KEY.reveal().slice(0, 20)}…`;
    const update = statusUpdateOf({ status: 'failed', error: told }, AT);
    expect(update.error).toEqual({
      message: 'Unauthorized key [redacted] [31mFAKE LOG LINE [redacted]…',
    });
    expect(statusUpdateOf({ status: 'failed', error: '\n\t ' }, AT).error).toBeUndefined();
  });

  it('leaves out what is not a known value or a plausible time', () => {
    expect(
      statusUpdateOf(
        {
          status: 'received' as never,
          protocol: 'carrier-pigeon' as never,
          time_sent: Number.MAX_VALUE,
        },
        AT,
      ),
    ).toEqual({ at: AT });
    expect(
      statusUpdateOf({ status: 'delivered', time_sent: -1, time_delivered: 1e20 }, AT),
    ).toEqual({ at: AT, status: 'delivered' });
    expect(statusUpdateOf({ status: null }, AT)).toEqual({ at: AT });
  });
});
