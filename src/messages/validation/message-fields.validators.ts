import { length } from 'class-validator';
import { checkDecorator, messageAt } from '../../problems/field-message';
import { isHttpsUrl } from './https-url';

export const MAX_TEXT_LENGTH = 10_000;
export const MAX_TEXTS = 10;
export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENT_NAME_LENGTH = 255;
export const MAX_METADATA_KEYS = 20;
export const MAX_METADATA_VALUE_LENGTH = 500;
export const METADATA_KEY = /^[A-Za-z0-9_.-]{1,40}$/;
/** A bad key is named in the error path, cut short: the path must stay readable. */
const SHOWN_KEY_LENGTH = 40;

// length() counts characters as class-validator's @Length does (an emoji is one), like parts' text.
const isText = (value: unknown): boolean =>
  typeof value === 'string' && length(value, 1, MAX_TEXT_LENGTH);

const TEXT_RULE = `must be a string of 1 to ${MAX_TEXT_LENGTH} characters`;

/** `text`: one string, or an array of strings (each sent as its own message). */
export function messageTextProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return isText(value) ? undefined : `${TEXT_RULE}, or an array of them`;
  if (value.length < 1 || value.length > MAX_TEXTS) {
    return `must be a string, or an array of 1 to ${MAX_TEXTS} strings`;
  }
  const bad = value.findIndex((item) => !isText(item));
  return bad < 0 ? undefined : messageAt(String(bad), TEXT_RULE);
}

const ATTACHMENT_FIELDS = new Set(['url', 'name']);

/** `attachments`: https URLs, or `{ url, name? }` objects with nothing else in them. */
export function attachmentListProblem(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_ATTACHMENTS) {
    return `must be an array of 1 to ${MAX_ATTACHMENTS} https URLs or { url, name? } objects`;
  }
  for (const [index, item] of (value as unknown[]).entries()) {
    const problem = attachmentProblem(item);
    if (problem)
      return messageAt(problem.at ? `${index}.${problem.at}` : String(index), problem.message);
  }
  return undefined;
}

function attachmentProblem(item: unknown): { at?: string; message: string } | undefined {
  if (typeof item === 'string') {
    return isHttpsUrl(item) ? undefined : { message: 'must be an https URL' };
  }
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { message: 'must be an https URL or a { url, name? } object' };
  }
  const unknown = Object.keys(item).find((key) => !ATTACHMENT_FIELDS.has(key));
  if (unknown !== undefined) return { at: unknown, message: 'is not a known field' };
  const { url, name } = item as Record<string, unknown>;
  if (!isHttpsUrl(url)) return { at: 'url', message: 'must be an https URL' };
  const nameOk =
    name === undefined ||
    name === null || // null counts as absent, as for every optional field
    (typeof name === 'string' && name.length >= 1 && name.length <= MAX_ATTACHMENT_NAME_LENGTH);
  return nameOk
    ? undefined
    : { at: 'name', message: `must be a string of 1 to ${MAX_ATTACHMENT_NAME_LENGTH} characters` };
}

/**
 * `metadata`: up to 20 keys of 1 to 40 `A-Z a-z 0-9 _ . -`, each a string of at most 500
 * characters. A wrong key or value is named as `metadata.<key>`.
 */
export function metadataProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'must be an object of string values';
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_METADATA_KEYS) {
    return `must have at most ${MAX_METADATA_KEYS} keys`;
  }
  for (const [key, item] of entries) {
    const shown = key.length > SHOWN_KEY_LENGTH ? `${key.slice(0, SHOWN_KEY_LENGTH)}…` : key;
    if (!METADATA_KEY.test(key)) {
      return messageAt(shown, 'is not a valid key: 1 to 40 of A-Z a-z 0-9 _ . -');
    }
    if (typeof item !== 'string' || !length(item, 0, MAX_METADATA_VALUE_LENGTH)) {
      return messageAt(
        shown,
        `must be a string of at most ${MAX_METADATA_VALUE_LENGTH} characters`,
      );
    }
  }
  return undefined;
}

export const IsMessageText = checkDecorator('isMessageText', messageTextProblem);

export const IsAttachmentList = checkDecorator('isAttachmentList', attachmentListProblem);

export const IsMessageMetadata = checkDecorator('isMessageMetadata', metadataProblem);

export const IsHttpsUrl = checkDecorator('isHttpsUrl', (value) =>
  isHttpsUrl(value) ? undefined : 'must be an https URL',
);
