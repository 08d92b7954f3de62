import { ApiProperty } from '@nestjs/swagger';
import { ENDPOINT_ID_PATTERN } from '../delivery/endpoint-id';
import { ENDPOINT_LIST_EXAMPLES } from './webhook-endpoint.examples';

/** One of the tenant's webhook endpoints (the tenant file's `webhooks`), never with a secret. */
export class WebhookEndpointDto {
  @ApiProperty({ pattern: ENDPOINT_ID_PATTERN.source, example: 'crm-inbox' })
  id!: string;

  /**
   * Where its deliveries are POSTed (user and password, if the URL has any, are shown as `***`).
   * @example https://crm.acme.internal/hooks/imessage
   */
  url!: string;

  /**
   * The event types it subscribes to, as the tenant file lists them (`message.*`: every
   * `message.` type); every type, each named, when the tenant file leaves `events` out.
   */
  @ApiProperty({ type: [String], example: ['message.received', 'message.*'] })
  events!: string[];

  /** `disabled` after the endpoint answered 410 Gone, until it is enabled again. */
  @ApiProperty({ enum: ['enabled', 'disabled'], example: 'enabled' })
  state!: 'enabled' | 'disabled';

  /**
   * When it last answered 2xx, ISO 8601 UTC; absent before its first success.
   * @example 2026-12-02T10:00:05.120Z
   */
  lastSuccessAt?: string;

  /**
   * Since when it fails: its first failed attempt since the last 2xx, ISO 8601 UTC; absent while
   * it is healthy.
   * @example 2026-12-02T09:13:01.002Z
   */
  failingSince?: string;
}

export class WebhookEndpointListDto {
  /** The tenant's endpoints, in the tenant file's order. */
  @ApiProperty({ type: [WebhookEndpointDto], example: ENDPOINT_LIST_EXAMPLES.endpoints.value.data })
  data!: WebhookEndpointDto[];
}

/** What one signed `webhook.test` POST to the endpoint did (sent now, outside the queue). */
export class TestDeliveryResultDto {
  /** True when the endpoint answered 2xx. */
  delivered!: boolean;

  /**
   * The endpoint's HTTP status, when it answered.
   * @example 204
   */
  status?: number;

  /**
   * Why it was not delivered (`timeout`, `HTTP 500`, a network error…); absent when it was.
   * @example HTTP 500
   */
  error?: string;

  /**
   * From sending to the end of the endpoint's answer, in milliseconds.
   * @example 38
   */
  durationMs!: number;
}
