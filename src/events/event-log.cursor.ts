import { createHash } from 'node:crypto';
import { MESSAGE_ID_PATTERN } from '../message-records/message-record';
import { ProblemException } from '../problems/problem.exception';
import type { FieldError } from '../problems/problem-details';
import type { EventLogQuery } from './event-log-store.interface';
import { EVENT_ID_PATTERN, GATEWAY_EVENT_TYPES } from './gateway-event';

export const MAX_PAGE_SIZE = 100;

/**
 * Where an event sits in a log: its receipt time (fixed width) then its id, so that the text order
 * of positions is the log's order, ties included, in memory and in a Redis sorted set alike.
 */
export function positionOf(receivedAtMs: number, eventId: string): string {
  return `${String(receivedAtMs).padStart(15, '0')}:${eventId}`;
}

const POSITION = /^\d{15}:evt_[a-z2-7]{26}$/;
const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * The query a cursor was made for: tenant and filters, hashed. A cursor only ever names a
 * position in a log, and a store only reads the caller's own log, so a forged cursor cannot reveal
 * anything; the tag makes one from another tenant or another filter a clear 400 instead of a
 * silently odd page.
 */
function queryTag(tenantId: string, query: Pick<EventLogQuery, 'type' | 'messageId'>): string {
  return createHash('sha256')
    .update(JSON.stringify([tenantId, query.type ?? null, query.messageId ?? null]))
    .digest('hex')
    .slice(0, 16);
}

export function encodeCursor(
  tenantId: string,
  query: Pick<EventLogQuery, 'type' | 'messageId'>,
  position: string,
): string {
  return Buffer.from(`v1.${queryTag(tenantId, query)}.${position}`, 'utf8').toString('base64url');
}

/** The position after which the page starts, or undefined for the first page. */
function decodeCursor(tenantId: string, query: EventLogQuery): string | undefined {
  if (query.cursor === undefined) return undefined;
  const invalid = () =>
    ProblemException.validation([
      { path: 'cursor', message: 'must be a nextCursor this route gave for the same filters' },
    ]);
  if (!CURSOR.test(query.cursor)) throw invalid();
  const [version, tag, position, ...rest] = Buffer.from(query.cursor, 'base64url')
    .toString('utf8')
    .split('.');
  if (
    version !== 'v1' ||
    rest.length > 0 ||
    tag !== queryTag(tenantId, query) ||
    position === undefined ||
    !POSITION.test(position)
  ) {
    throw invalid();
  }
  return position;
}

/**
 * Checks a query as both stores need it (the controller's DTO checks it too; a store must not
 * trust its caller with a limit of a million) and gives the position to start after.
 */
export function readEventLogQuery(tenantId: string, query: EventLogQuery): string | undefined {
  const errors: FieldError[] = [];
  if (!Number.isSafeInteger(query.limit) || query.limit < 1 || query.limit > MAX_PAGE_SIZE) {
    errors.push({ path: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` });
  }
  if (
    query.type !== undefined &&
    !(GATEWAY_EVENT_TYPES as readonly string[]).includes(query.type)
  ) {
    errors.push({ path: 'type', message: `must be one of ${GATEWAY_EVENT_TYPES.join(', ')}` });
  }
  if (query.messageId !== undefined && !MESSAGE_ID_PATTERN.test(query.messageId)) {
    errors.push({ path: 'messageId', message: 'must be 1 to 64 of A-Z a-z 0-9 _ -' });
  }
  if (errors.length > 0) throw ProblemException.validation(errors);
  return decodeCursor(tenantId, query);
}

export const isEventId = (id: string): boolean => EVENT_ID_PATTERN.test(id);
