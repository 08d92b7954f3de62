import type { FieldError } from '../problems/problem-details';
import type { SendMessageDto } from './dto/send-message.dto';

const SINGLE_WEB_URL = /^https?:\/\/\S+$/;

const present = (value: unknown): boolean => value !== undefined && value !== null;

/**
 * Rules that span fields (DESIGN.md §2 and Blooio's multipart rules); field types and sizes are
 * checked by the DTO before this runs.
 */
export function crossFieldErrors(dto: SendMessageDto): FieldError[] {
  const errors: FieldError[] = [];
  if (!present(dto.text) && !present(dto.attachments) && !present(dto.parts)) {
    errors.push({ path: 'text', message: 'is required unless attachments or parts are given' });
  }

  const parts = dto.parts ?? [];
  const batchMode = parts.some((part) => present(part.linkPreview));
  parts.forEach((part, index) => {
    const path = `parts.${index}`;
    if (present(part.text) === present(part.url)) {
      errors.push({ path, message: 'must have either text or url' });
    }
    if (present(part.mention) && !present(part.text)) {
      errors.push({ path: `${path}.mention`, message: 'is only allowed with text' });
    }
    if (present(part.name) && !present(part.url)) {
      errors.push({ path: `${path}.name`, message: 'is only allowed with url' });
    }
    if (batchMode && (!part.text || !SINGLE_WEB_URL.test(part.text) || present(part.mention))) {
      errors.push({
        path: `${path}.text`,
        message: 'must be a single http(s) URL (without mention) when any part has a linkPreview',
      });
    }
  });

  if (parts.length > 0 && present(dto.effect) && dto.effect !== 'none') {
    errors.push({
      path: 'effect',
      message: 'is not supported with parts (Blooio sends multipart bubbles without effects)',
    });
  }

  const replyTo = dto.replyTo;
  if (replyTo) {
    if (present(replyTo.messageId) === present(replyTo.guid)) {
      errors.push({ path: 'replyTo', message: 'must have either messageId or guid' });
    }
    if (present(replyTo.partIndex) && !present(replyTo.guid)) {
      errors.push({ path: 'replyTo.partIndex', message: 'is only allowed with guid' });
    }
    if (Array.isArray(dto.text) || batchMode) {
      errors.push({
        path: 'replyTo',
        message:
          'is not supported when one call sends several messages (text array or linkPreview parts)',
      });
    }
  }
  return errors;
}
