import { GATEWAY_EVENT_TYPES, isEventSubscription, subscribesTo } from './gateway-event-types';
import { GATEWAY_EVENT_TYPES as REEXPORTED } from '../events/gateway-event';

describe('event subscriptions', () => {
  it('is the one list events/ re-exports', () => {
    expect(REEXPORTED).toBe(GATEWAY_EVENT_TYPES);
  });

  it('knows every type and message.*, nothing else', () => {
    for (const type of [...GATEWAY_EVENT_TYPES, 'message.*']) {
      expect(isEventSubscription(type)).toBe(true);
    }
    for (const other of ['*', 'message.', 'message.**', 'webhook.*', 'MESSAGE.SENT', '']) {
      expect(isEventSubscription(other)).toBe(false);
    }
  });

  it('matches a type by name, and message.* every message type but not webhook.test', () => {
    expect(subscribesTo(['message.received'], 'message.received')).toBe(true);
    expect(subscribesTo(['message.received'], 'message.sent')).toBe(false);
    expect(subscribesTo(['message.*'], 'message.reaction')).toBe(true);
    expect(subscribesTo(['message.*'], 'webhook.test')).toBe(false);
    expect(subscribesTo([...GATEWAY_EVENT_TYPES], 'webhook.test')).toBe(true);
    expect(subscribesTo([], 'message.sent')).toBe(false);
  });
});
