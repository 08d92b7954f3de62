import { IsOptional, IsString, Length } from 'class-validator';
import { IsHttpsUrl } from '../validation/message-fields.validators';

/** Overrides the rich-link preview of a message whose text is a single URL. */
export class LinkPreviewDto {
  /**
   * https URL of the preview image (png, jpg, webp or gif).
   * @example https://example.com/hero.png
   */
  @IsOptional()
  @IsHttpsUrl()
  imageUrl?: string;

  /**
   * Bold title line of the preview.
   * @example Your order has shipped
   */
  @IsOptional()
  @Length(1, 200, { message: 'must be 1 to 200 characters' })
  @IsString({ message: 'must be a string' })
  title?: string;
}
