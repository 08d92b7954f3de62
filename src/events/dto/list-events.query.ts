import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { MESSAGE_ID_PATTERN } from '../../message-records/message-record';
import { MAX_PAGE_SIZE } from '../event-log.cursor';
import { GATEWAY_EVENT_TYPES, type GatewayEventType } from '../gateway-event';

export const DEFAULT_PAGE_SIZE = 20;
const MAX_CURSOR_LENGTH = 200;

/** `?limit=` as a number only when it is written as one (`1e2`, ` 5` or `0x10` are not). */
const wholeNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value;

/** The filters and page of `GET /v1/events`. Every field is a query parameter. */
export class ListEventsQueryDto {
  /** Only events of this type. */
  @ApiPropertyOptional({ enum: GATEWAY_EVENT_TYPES, example: 'message.delivered' })
  @IsOptional()
  @IsIn(GATEWAY_EVENT_TYPES, { message: `must be one of ${GATEWAY_EVENT_TYPES.join(', ')}` })
  type?: GatewayEventType;

  /** Only events about this message. */
  @ApiPropertyOptional({ pattern: MESSAGE_ID_PATTERN.source, example: 'msg_9f8e7d6c5b4a3f2e' })
  @IsOptional()
  @Matches(MESSAGE_ID_PATTERN, { message: 'must be 1 to 64 of A-Z a-z 0-9 _ -' })
  @IsString({ message: 'must be given once' })
  messageId?: string;

  /** Events per page, newest first. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
  })
  @IsOptional()
  @Max(MAX_PAGE_SIZE, { message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  @Min(1, { message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  @IsInt({ message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  @Transform(wholeNumber)
  limit?: number;

  /** The `nextCursor` of the page before, with the same filters. */
  @ApiPropertyOptional({ maxLength: MAX_CURSOR_LENGTH })
  @IsOptional()
  @MaxLength(MAX_CURSOR_LENGTH, {
    message: 'must be a nextCursor this route gave for the same filters',
  })
  @IsString({ message: 'must be given once' })
  cursor?: string;
}
