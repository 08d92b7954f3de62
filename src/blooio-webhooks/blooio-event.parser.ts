import { MESSAGE_ID_PATTERN } from '../message-records/message-record';
import { ProblemException } from '../problems/problem.exception';
import type { FieldError } from '../problems/problem-details';
import type {
  BlooioAttachment,
  BlooioEvent,
  BlooioParticipant,
  BlooioReplyTo,
} from './blooio-event';
import { withoutAbsent } from './without-absent';

const EVENT_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,3}$/;
const WORD = /^[a-z][a-z0-9_-]{0,31}$/;
/** Phone numbers, emails, group ids, names: generous, but bounded. */
const SHORT = 1_024;
const MAX_ITEMS = 1_000;
/** Date's own range: later than this is not a time. */
const MAX_EPOCH_MS = 8.64e15;

type Json = Record<string, unknown>;

/**
 * Reads a Blooio webhook body, tolerant where Blooio's documents disagree (attachments as URLs or
 * objects; unknown events, statuses and protocols pass), strict where the gateway depends on a
 * field (an event name, a message id it can store, times that are times). Every problem is
 * reported at once, each naming its field as Blooio spells it.
 */
export function validateBlooioEvent(
  body: unknown,
): { event: BlooioEvent; errors?: never } | { event?: never; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { errors: [{ path: 'body', message: 'must be a JSON object (a Blooio event)' }] };
  }
  const read = new FieldReader(body as Json, errors);
  const event = read.required('event', EVENT_NAME, 'must be an event name such as message.sent');
  const messageId = read.required(
    'message_id',
    MESSAGE_ID_PATTERN,
    'must be 1 to 64 of A-Z a-z 0-9 _ -',
  );
  const parsed: BlooioEvent = {
    event: event ?? '',
    messageId: messageId ?? '',
    externalId: read.string('external_id'),
    status: read.matching('status', WORD),
    protocol: read.matching('protocol', WORD),
    timestamp: read.time('timestamp'),
    internalId: read.string('internal_id'),
    text: read.string('text', Infinity),
    attachments: read.array('attachments', (item, path) => attachment(item, path, errors)),
    isGroup: read.boolean('is_group') ?? false,
    groupId: read.string('group_id'),
    groupName: read.string('group_name'),
    participants: read.array('participants', (item, path) => participant(item, path, errors)),
    sender: read.string('sender'),
    sentAt: read.time('sent_at'),
    deliveredAt: read.time('delivered_at'),
    readAt: read.time('read_at'),
    // Any length (the body limit bounds it): the receiver keeps it cut short (withCleanError).
    errorCode: read.string('error_code', Number.POSITIVE_INFINITY),
    errorMessage: read.string('error_message', Number.POSITIVE_INFINITY),
    replyTo: replyTo((body as Json).reply_to, errors),
  };
  if (event === 'message.reaction') {
    parsed.reaction = read.required(
      'reaction',
      /^.{1,64}$/su,
      'must be the reaction, 1 to 64 characters',
    );
    parsed.action = read.oneOf('action', ['add', 'remove'], true);
    parsed.direction = read.oneOf('direction', ['inbound', 'outbound'], false);
    parsed.originalText = read.string('original_text', Infinity);
  }
  if ((event === 'message.received' || event === 'message.reaction') && !parsed.externalId) {
    errors.push({ path: 'external_id', message: 'is required: the chat of an inbound message' });
  }
  if (errors.length > 0) return { errors };
  return { event: withoutAbsent(parsed) };
}

/** `validateBlooioEvent`, failing with the gateway's 400 validation problem. */
export function parseBlooioEvent(body: unknown): BlooioEvent {
  const result = validateBlooioEvent(body);
  if (result.errors) throw ProblemException.validation(result.errors);
  return result.event;
}

class FieldReader {
  constructor(
    private readonly body: Json,
    private readonly errors: FieldError[],
  ) {}

  required(field: string, pattern: RegExp, message: string): string | undefined {
    const value = this.body[field];
    if (typeof value === 'string' && pattern.test(value)) return value;
    this.errors.push({ path: field, message: value == null ? `is required; ${message}` : message });
    return undefined;
  }

  /** A nullable string; `null` and absent are the same. */
  string(field: string, maxLength = SHORT): string | undefined {
    const value = this.body[field];
    if (value == null) return undefined;
    if (typeof value !== 'string' || value.length > maxLength) {
      this.errors.push({
        path: field,
        message: Number.isFinite(maxLength)
          ? `must be a string of at most ${maxLength} characters, or null`
          : 'must be a string or null',
      });
      return undefined;
    }
    return value;
  }

  matching(field: string, pattern: RegExp): string | undefined {
    const value = this.string(field);
    if (value === undefined || pattern.test(value)) return value;
    this.errors.push({ path: field, message: 'must be a lower-case word such as imessage' });
    return undefined;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], required: boolean): T | undefined {
    const value = this.body[field];
    if (value == null && !required) return undefined;
    if ((allowed as readonly unknown[]).includes(value)) return value as T;
    this.errors.push({ path: field, message: `must be one of ${allowed.join(', ')}` });
    return undefined;
  }

  boolean(field: string): boolean | undefined {
    const value = this.body[field];
    if (value == null) return undefined;
    if (typeof value === 'boolean') return value;
    this.errors.push({ path: field, message: 'must be true or false' });
    return undefined;
  }

  /** Epoch milliseconds, as Blooio sends every time but the signature's. */
  time(field: string): number | undefined {
    const value = this.body[field];
    if (value == null) return undefined;
    if (
      Number.isSafeInteger(value) &&
      (value as number) >= 0 &&
      (value as number) <= MAX_EPOCH_MS
    ) {
      return value as number;
    }
    this.errors.push({ path: field, message: 'must be a time in epoch milliseconds, or null' });
    return undefined;
  }

  array<T>(field: string, item: (value: unknown, path: string) => T | undefined): T[] | undefined {
    const value = this.body[field];
    if (value == null) return undefined;
    if (!Array.isArray(value) || value.length > MAX_ITEMS) {
      this.errors.push({
        path: field,
        message: `must be an array of at most ${MAX_ITEMS} items, or null`,
      });
      return undefined;
    }
    const items = value.map((entry, i) => item(entry, `${field}.${i}`));
    return items.every((entry) => entry !== undefined) ? items : undefined;
  }
}

const optionalString = (value: unknown): value is string | null | undefined =>
  value == null || (typeof value === 'string' && value.length <= SHORT);

/** A URL (older docs) or `{url, name?}` (the spec). */
function attachment(
  value: unknown,
  path: string,
  errors: FieldError[],
): BlooioAttachment | undefined {
  if (typeof value === 'string' && value.length > 0 && value.length <= 4_096) return { url: value };
  if (typeof value === 'object' && value !== null) {
    const { url, name } = value as Json;
    if (typeof url === 'string' && url.length > 0 && url.length <= 4_096 && optionalString(name)) {
      return name ? { url, name } : { url };
    }
  }
  errors.push({ path, message: 'must be a URL or {url, name?}' });
  return undefined;
}

function participant(
  value: unknown,
  path: string,
  errors: FieldError[],
): BlooioParticipant | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { contact_id: contactId, identifier, name } = value as Json;
    if (optionalString(contactId) && optionalString(identifier) && optionalString(name)) {
      return withoutAbsent({
        contactId: contactId ?? undefined,
        identifier: identifier ?? undefined,
        name: name ?? undefined,
      });
    }
  }
  errors.push({ path, message: 'must be {contact_id?, identifier?, name?} with string values' });
  return undefined;
}

function replyTo(value: unknown, errors: FieldError[]): BlooioReplyTo | undefined {
  if (value == null) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const { message_id: messageId, guid, part_index: partIndex = 0 } = value as Json;
    if (
      optionalString(messageId) &&
      optionalString(guid) &&
      (partIndex === null || (Number.isSafeInteger(partIndex) && (partIndex as number) >= 0))
    ) {
      return withoutAbsent({
        messageId: messageId ?? undefined,
        guid: guid ?? undefined,
        partIndex: (partIndex as number | null) ?? 0,
      });
    }
  }
  errors.push({ path: 'reply_to', message: 'must be {message_id, guid, part_index} or null' });
  return undefined;
}
