import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROBLEM_CODES, type ProblemCode } from '../problem-catalogue';

export class FieldErrorDto {
  /**
   * The field, with dots and array indices.
   * @example recipients.1
   */
  path!: string;

  /** What is wrong with it. */
  @ApiProperty({ example: 'must be an E.164 number, an email or a group id' })
  message!: string;
}

export class UpstreamErrorDto {
  /** Blooio's HTTP status. */
  @ApiProperty({ type: 'integer', example: 429 })
  status!: number;

  /**
   * Blooio's machine-readable code, when it sent one.
   * @example outbound_limit_reached
   */
  code?: string;

  /**
   * Blooio's message.
   * @example Outbound new-contact limit reached
   */
  message?: string;
}

/** RFC 9457 problem details: the body of every error answer. */
export class ProblemDetailsDto {
  /**
   * URI naming the problem type.
   * @example https://blooio-gateway.dev/problems/validation_failed
   */
  type!: string;

  /** Short summary of the problem type. */
  @ApiProperty({ example: 'Request validation failed' })
  title!: string;

  /** HTTP status code (the same as the answer's). */
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 400 })
  status!: number;

  /** What went wrong with this request. */
  @ApiProperty({ example: 'recipients.1 must be an E.164 number, an email or a group id' })
  detail!: string;

  /** Stable, machine-readable code: switch on this. */
  @ApiProperty({ enum: PROBLEM_CODES, example: 'validation_failed' })
  code!: ProblemCode;

  /**
   * The request id (also in the X-Request-Id header).
   * @example 3f1b6f7e-3c1a-4f3e-9a53-1c0f0d2d1a7b
   */
  requestId!: string;

  /** Each invalid field, on validation failures only. */
  @ApiPropertyOptional({
    type: [FieldErrorDto],
    example: [{ path: 'recipients.1', message: 'must be an E.164 number, an email or a group id' }],
  })
  errors?: FieldErrorDto[];

  /** What Blooio answered, when it did. */
  @ApiPropertyOptional({
    type: UpstreamErrorDto,
    example: {
      status: 429,
      code: 'outbound_limit_reached',
      message: 'Outbound new-contact limit reached',
    },
  })
  upstream?: UpstreamErrorDto;

  /**
   * Blooio's message id, on message_failed.
   * @example msg_9f8e7d6c5b4a3f2e
   */
  messageId?: string;

  /**
   * Blooio's message ids, on message_failed when one call sent several.
   * @example ["msg_9f8e7d6c5b4a3f2e"]
   */
  messageIds?: string[];
}
