import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import {
  IsHttpsUrl,
  MAX_ATTACHMENT_NAME_LENGTH,
  MAX_TEXT_LENGTH,
} from '../validation/message-fields.validators';
import { LinkPreviewDto } from './link-preview.dto';

/**
 * One part of a multipart message: either `text` (optionally a `mention`) or `url` (optionally a
 * `name`). With `linkPreview` on any part, every part must be text that is a single http(s) URL.
 */
export class MessagePartDto {
  /**
   * Text of this part; not with `url`.
   * @example See the attached invoice
   */
  @IsOptional()
  @Length(1, MAX_TEXT_LENGTH, { message: `must be 1 to ${MAX_TEXT_LENGTH} characters` })
  @IsString({ message: 'must be a string' })
  text?: string;

  /**
   * Participant (phone or email) to @-mention with this text part; only with `text`. Normalised
   * like a recipient (national numbers use the tenant's defaultCountry).
   * @example +15551234567
   */
  @IsOptional()
  @Length(1, 320, { message: 'must be 1 to 320 characters' })
  @IsString({ message: 'must be a string' })
  mention?: string;

  /**
   * https URL of an attachment for this part; not with `text`.
   * @example https://example.com/invoice.pdf
   */
  @IsOptional()
  @IsHttpsUrl()
  url?: string;

  /**
   * File name of the attachment; only with `url`.
   * @example invoice.pdf
   */
  @IsOptional()
  @Length(1, MAX_ATTACHMENT_NAME_LENGTH, {
    message: `must be 1 to ${MAX_ATTACHMENT_NAME_LENGTH} characters`,
  })
  @IsString({ message: 'must be a string' })
  name?: string;

  /** Rich-link preview override for this part (URL-balloon batch mode). */
  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => LinkPreviewDto)
  linkPreview?: LinkPreviewDto;
}
