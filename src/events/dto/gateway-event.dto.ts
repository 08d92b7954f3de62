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

export class DeliveryAttemptDto {
  /** @example 2026-12-02T10:00:05.100Z */
  at!: string;
  /** @example 200 */
  status?: number;
  /** @example timeout */
  error?: string;
  /** @example 42 */
  durationMs!: number;
}

/** One tenant endpoint's deliveries of the event. */
export class EventDeliveryDto {
  /** @example crm-inbox */
  endpointId!: string;

  @ApiProperty({ enum: ['pending', 'delivered', 'failed'], example: 'delivered' })
  state!: 'pending' | 'delivered' | 'failed';

  @ApiProperty({ type: [DeliveryAttemptDto] })
  attempts!: DeliveryAttemptDto[];

  /** @example 2026-12-02T10:05:05.000Z */
  nextAttemptAt?: string;
}

export class GatewayEventWithDeliveriesDto extends GatewayEventDto {
  /**
   * Its deliveries to the tenant's webhook endpoints (none until endpoints are configured and
   * pushing is enabled).
   */
  @ApiProperty({ type: [EventDeliveryDto], example: [] })
  deliveries!: EventDeliveryDto[];
}
