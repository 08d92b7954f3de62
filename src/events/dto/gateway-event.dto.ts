import { ApiProperty } from '@nestjs/swagger';
import { GATEWAY_EVENT_TYPES, type GatewayEventType } from '../gateway-event';
import { EVENT_EXAMPLES } from './gateway-event.examples';

/** One event (§11), as tenants see it in the log and at their endpoints. */
export class GatewayEventDto {
  /** @example evt_abcdefghijklmnopqrstuvwxyz */
  id!: string;

  @ApiProperty({ enum: GATEWAY_EVENT_TYPES, example: 'message.delivered' })
  type!: GatewayEventType;

  /**
   * When it happened (Blooio's time when it gave one), ISO 8601 UTC.
   * @example 2026-12-02T10:00:05.000Z
   */
  timestamp!: string;

  /** @example acme */
  tenantId!: string;

  /**
   * What happened; its fields depend on `type` (the message's id, status and times, the reply's
   * text and sender…).
   */
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: EVENT_EXAMPLES.delivered.value.data,
  })
  data!: object;
}

export class EventPageDto {
  /** The tenant's events, newest first by the time the gateway received them. */
  @ApiProperty({ type: [GatewayEventDto] })
  data!: GatewayEventDto[];

  /**
   * Pass as `cursor` for the next page; absent on the last page.
   * @example djEuMGMxZDJlM2Y0YTViNmM3ZC4wMDE3NjQ2Njk2MDUwMDA
   */
  nextCursor?: string;
}

/** One POST of the event to the endpoint. */
export class DeliveryAttemptDto {
  /**
   * When it started, ISO 8601 UTC.
   * @example 2026-12-02T10:00:05.100Z
   */
  at!: string;
  /**
   * The endpoint's HTTP status, when it answered.
   * @example 200
   */
  status?: number;
  /**
   * Why it did not count as delivered (`timeout`, `connection refused`, `HTTP 500`…); absent on a
   * 2xx.
   * @example timeout
   */
  error?: string;
  /**
   * From sending to the end of the endpoint's answer, in milliseconds.
   * @example 42
   */
  durationMs!: number;
}

/** The event's delivery to one of the tenant's endpoints, over every attempt and replay. */
export class EventDeliveryDto {
  /** @example crm-inbox */
  endpointId!: string;

  /**
   * `pending` while an attempt is queued or scheduled, `delivered` once the endpoint answered 2xx,
   * `failed` after the last attempt of the retry schedule (a replay makes it `pending` again).
   */
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'], example: 'delivered' })
  state!: 'pending' | 'delivered' | 'failed';

  /** Every attempt so far, oldest first. */
  @ApiProperty({ type: [DeliveryAttemptDto] })
  attempts!: DeliveryAttemptDto[];

  /**
   * When the next attempt is due, ISO 8601 UTC, while a retry is scheduled.
   * @example 2026-12-02T10:05:05.000Z
   */
  nextAttemptAt?: string;
}

export class GatewayEventWithDeliveriesDto extends GatewayEventDto {
  /**
   * Its deliveries to the tenant's webhook endpoints, one per endpoint it was sent to (empty when
   * none subscribes to its type).
   */
  @ApiProperty({ type: [EventDeliveryDto], example: EVENT_EXAMPLES.delivered.value.deliveries })
  deliveries!: EventDeliveryDto[];
}
