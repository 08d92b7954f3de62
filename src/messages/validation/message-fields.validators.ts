import { length, registerDecorator, type ValidationOptions } from 'class-validator';
import { isHttpsUrl } from './https-url';

export const MAX_TEXT_LENGTH = 10_000;
export const MAX_TEXTS = 10;
export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENT_NAME_LENGTH = 255;

// length() counts characters as class-validator's @Length does (an emoji is one), like parts' text.
const isText = (value: unknown): boolean =>
  typeof value === 'string' && length(value, 1, MAX_TEXT_LENGTH);

/** `text`: one string, or an array of strings (each sent as its own message). */
export function isMessageText(value: unknown): boolean {
  if (Array.isArray(value)) {
    return value.length >= 1 && value.length <= MAX_TEXTS && value.every(isText);
  }
  return isText(value);
}

/** `attachments`: https URLs, or `{ url, name? }` objects with nothing else in them. */
export function isAttachmentList(value: unknown): boolean {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_ATTACHMENTS) return false;
  return value.every((item: unknown) => {
    if (typeof item === 'string') return isHttpsUrl(item);
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
    const { url, name, ...rest } = item as Record<string, unknown>;
    const nameOk =
      name === undefined ||
      name === null || // null counts as absent, as for every optional field
      (typeof name === 'string' && name.length >= 1 && name.length <= MAX_ATTACHMENT_NAME_LENGTH);
    return Object.keys(rest).length === 0 && isHttpsUrl(url) && nameOk;
  });
}

function predicateDecorator(name: string, predicate: (value: unknown) => boolean, message: string) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message, ...options },
        validator: { validate: (value: unknown) => predicate(value) },
      });
}

export const IsMessageText = predicateDecorator(
  'isMessageText',
  isMessageText,
  `must be a string of 1 to ${MAX_TEXT_LENGTH} characters, or an array of 1 to ${MAX_TEXTS} such strings`,
);

export const IsAttachmentList = predicateDecorator(
  'isAttachmentList',
  isAttachmentList,
  `must be an array of 1 to ${MAX_ATTACHMENTS} https URLs or { url, name? } objects (url https, name 1 to ${MAX_ATTACHMENT_NAME_LENGTH} characters)`,
);

export const IsHttpsUrl = predicateDecorator('isHttpsUrl', isHttpsUrl, 'must be an https URL');
