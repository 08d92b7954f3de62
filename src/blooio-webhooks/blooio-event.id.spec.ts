import fc from 'fast-check';
import { EVENT_ID_PATTERN } from '../events/gateway-event';
import type { BlooioEvent } from './blooio-event';
import { deriveEventId } from './blooio-event.id';

const event = (overrides: Partial<BlooioEvent> = {}): BlooioEvent => ({
  event: 'message.delivered',
  messageId: 'msg_1',
  isGroup: false,
  ...overrides,
});

describe('deriveEventId', () => {
  it('is evt_ and 26 base32 characters, stable across deliveries', () => {
    const id = deriveEventId('acme', event({ timestamp: 1 }));
    expect(id).toMatch(EVENT_ID_PATTERN);
    // A retry may carry another timestamp or signature time: still the same event.
    expect(deriveEventId('acme', event({ timestamp: 2, deliveredAt: 5 }))).toBe(id);
  });

  it('differs by tenant, message and event', () => {
    const ids = new Set([
      deriveEventId('acme', event()),
      deriveEventId('globex', event()),
      deriveEventId('acme', event({ messageId: 'msg_2' })),
      deriveEventId('acme', event({ event: 'message.read' })),
    ]);
    expect(ids.size).toBe(4);
  });

  it('tells reactions apart by reaction, action and sender', () => {
    const reaction = (r: Partial<BlooioEvent>) =>
      deriveEventId(
        'acme',
        event({ event: 'message.reaction', reaction: 'love', action: 'add', sender: '+1', ...r }),
      );
    const ids = new Set([
      reaction({}),
      reaction({ reaction: 'like' }),
      reaction({ action: 'remove' }),
      reaction({ sender: '+2' }),
    ]);
    expect(ids.size).toBe(4);
    expect(reaction({ timestamp: 9 })).toBe(reaction({}));
  });

  it('cannot be made to collide by moving characters between fields', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (a, b, c, d) => {
        fc.pre(a !== c || b !== d);
        expect(deriveEventId(a, event({ messageId: b }))).not.toBe(
          deriveEventId(c, event({ messageId: d })),
        );
      }),
    );
    expect(deriveEventId('a|b', event({ messageId: 'c' }))).not.toBe(
      deriveEventId('a', event({ messageId: 'b|c' })),
    );
  });
});
