/**
 * The event types tenants see (DESIGN §11); endpoint subscriptions name these, or `message.*`.
 * Here, in common/, because the tenant file's schema (tenants/) checks subscriptions and
 * tenants/ may not import events/ (which re-exports them beside the event's shape).
 */
export const GATEWAY_EVENT_TYPES = [
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'message.received',
  'message.reaction',
  'webhook.test',
] as const;
export type GatewayEventType = (typeof GATEWAY_EVENT_TYPES)[number];

/** Subscribes to every `message.…` type, those added later included. */
export const EVERY_MESSAGE_EVENT = 'message.*';

/** What an endpoint's `events` may list. */
export const isEventSubscription = (value: string): boolean =>
  value === EVERY_MESSAGE_EVENT || (GATEWAY_EVENT_TYPES as readonly string[]).includes(value);

/** Whether an endpoint that subscribes to `subscriptions` gets an event of this type. */
export function subscribesTo(subscriptions: readonly string[], type: string): boolean {
  return subscriptions.some(
    (subscription) =>
      subscription === type ||
      (subscription === EVERY_MESSAGE_EVENT && type.startsWith('message.')),
  );
}
