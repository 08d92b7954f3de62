import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

/** The earlier message this one replies to (iMessage inline reply): `messageId`, or `guid`. */
export class ReplyToDto {
  /**
   * Blooio message id of the parent (from an earlier send or a webhook).
   * @example msg_abc123def456
   */
  @IsOptional()
  @Length(1, 255, { message: 'must be 1 to 255 characters' })
  @IsString({ message: 'must be a string' })
  messageId?: string;

  /**
   * Raw iMessage GUID of the parent, when Blooio never recorded it.
   * @example 5F3C1E2A-0B7D-4F7A-9C55-2B1E5D0A9F11
   */
  @IsOptional()
  @Length(1, 255, { message: 'must be 1 to 255 characters' })
  @IsString({ message: 'must be a string' })
  guid?: string;

  /**
   * Part of the parent to reply to; only with `guid`.
   * @example 0
   */
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 1_000, example: 0 })
  @IsOptional()
  @Max(1_000, { message: 'must be at most 1000' })
  @Min(0, { message: 'must be 0 or more' })
  @IsInt({ message: 'must be a whole number' })
  partIndex?: number;
}
