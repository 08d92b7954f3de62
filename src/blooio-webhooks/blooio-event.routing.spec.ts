import { RECHECK_WINDOW_MS, routeEvent, type RoutingInput } from './blooio-event.routing';

const acme = { id: 'acme', blooioKeyId: 'k', inboundNumbers: ['+15550001111'] };
const input = (
  overrides: Partial<RoutingInput> & { event?: Partial<RoutingInput['event']> },
): RoutingInput => ({
  tenant: acme,
  keyShared: true,
  holders: [],
  waitedMs: 0,
  ...overrides,
  event: { event: 'message.delivered', ...overrides.event },
});

describe('routeEvent', () => {
  describe('status events', () => {
    it('go to the tenant whose record holds the message', () => {
      expect(routeEvent(input({ holders: ['acme'] }))).toEqual({ action: 'deliver' });
    });

    it('never to another tenant’s, at once and without waiting', () => {
      expect(routeEvent(input({ holders: ['globex'] }))).toEqual({
        action: 'unroutable',
        reason: 'another_tenants_message',
      });
    });

    it('wait for a record not written yet: 2 s, 10 s and 60 s after the first receipt', () => {
      expect(routeEvent(input({ waitedMs: 0 }))).toEqual({ action: 'recheck', afterMs: 2_000 });
      expect(routeEvent(input({ waitedMs: 2_100 }))).toEqual({ action: 'recheck', afterMs: 7_900 });
      expect(routeEvent(input({ waitedMs: 10_000 }))).toEqual({
        action: 'recheck',
        afterMs: 50_000,
      });
      expect(routeEvent(input({ waitedMs: 59_999 }))).toEqual({ action: 'recheck', afterMs: 1 });
    });

    it('after the wait, go to the tenant only if no other tenant shares the key', () => {
      const late = { waitedMs: RECHECK_WINDOW_MS };
      expect(routeEvent(input({ ...late, keyShared: true }))).toEqual({
        action: 'unroutable',
        reason: 'no_record',
      });
      expect(routeEvent(input({ ...late, keyShared: false }))).toEqual({ action: 'deliver' });
      // and a key of its own still waits first, so that the event carries the record's metadata
      expect(routeEvent(input({ keyShared: false }))).toMatchObject({ action: 'recheck' });
    });

    it('ignore the receiving number (it is the sender’s, which tenants may share)', () => {
      expect(
        routeEvent(
          input({
            event: { event: 'message.read', internalId: '+15550001111' },
            holders: ['globex'],
          }),
        ),
      ).toMatchObject({ action: 'unroutable' });
    });

    it('include a reaction on our message, routed by its record', () => {
      const reaction = {
        event: 'message.reaction',
        direction: 'outbound' as const,
        internalId: '+15550001111',
      };
      expect(routeEvent(input({ event: reaction, holders: ['globex'] }))).toMatchObject({
        action: 'unroutable',
      });
      expect(routeEvent(input({ event: reaction, holders: ['acme'] }))).toEqual({
        action: 'deliver',
      });
    });
  });

  describe('inbound events', () => {
    it('go to the tenant whose inbound numbers hold the receiving number', () => {
      for (const event of ['message.received', 'message.reaction']) {
        expect(routeEvent(input({ event: { event, internalId: '+15550001111' } }))).toEqual({
          action: 'deliver',
        });
        expect(routeEvent(input({ event: { event, internalId: '+15550002222' } }))).toEqual({
          action: 'unroutable',
          reason: 'number_not_owned',
        });
      }
    });

    it('without a receiving number, only on a key of the tenant’s own', () => {
      const event = { event: 'message.received' };
      expect(routeEvent(input({ event }))).toEqual({
        action: 'unroutable',
        reason: 'no_receiving_number',
      });
      expect(routeEvent(input({ event, keyShared: false }))).toEqual({ action: 'deliver' });
    });

    it('all go to a tenant whose key is its own', () => {
      expect(
        routeEvent(
          input({
            event: { event: 'message.received', internalId: '+19999999999' },
            keyShared: false,
          }),
        ),
      ).toEqual({ action: 'deliver' });
    });
  });

  it('relays no event type it cannot map', () => {
    expect(
      routeEvent(input({ event: { event: 'poll.voted' }, keyShared: false, holders: ['acme'] })),
    ).toEqual({
      action: 'unroutable',
      reason: 'unsupported_event',
    });
  });
});
