import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { checkDecorator, messageAt } from '../../problems/field-message';
import { ENDPOINT_ID_PATTERN, ENDPOINT_ID_RULE } from '../delivery/endpoint-id';
import { EVENT_ID_PATTERN } from '../gateway-event';

/** The most endpoints one replay may name (a tenant has far fewer). */
export const MAX_REPLAY_ENDPOINTS = 20;

/** `endpointIds`: 1 to 20 endpoint ids, each once; a wrong one is named as `endpointIds.<index>`. */
export function endpointIdsProblem(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_REPLAY_ENDPOINTS) {
    return `must be an array of 1 to ${MAX_REPLAY_ENDPOINTS} endpoint ids`;
  }
  const seen = new Map<unknown, number>();
  for (const [index, id] of (value as unknown[]).entries()) {
    if (typeof id !== 'string' || !ENDPOINT_ID_PATTERN.test(id)) {
      return messageAt(String(index), ENDPOINT_ID_RULE);
    }
    const first = seen.get(id);
    if (first !== undefined) return messageAt(String(index), `repeats endpointIds.${first}`);
    seen.set(id, index);
  }
  return undefined;
}

const IsEndpointIdList = checkDecorator('isEndpointIdList', endpointIdsProblem);

/** What to replay: the body is optional (none, or `{}`, replays to every subscribed endpoint). */
export class ReplayEventDto {
  /**
   * Only these of the tenant's endpoints (whether or not they subscribe to the event's type);
   * omit to replay to every endpoint that subscribes to its type.
   */
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', pattern: ENDPOINT_ID_PATTERN.source },
    minItems: 1,
    maxItems: MAX_REPLAY_ENDPOINTS,
    uniqueItems: true,
    example: ['crm-inbox'],
  })
  @IsOptional()
  @IsEndpointIdList()
  endpointIds?: string[];
}

/** The replay was queued: each endpoint gets the event again, with the same `webhook-id`. */
export class ReplayResultDto {
  @ApiProperty({ pattern: EVENT_ID_PATTERN.source, example: 'evt_hq3zb6kx2m7dfwnpy4tcjr5sva' })
  eventId!: string;

  /**
   * The endpoints it is queued for again (empty when none subscribes to its type); follow each in
   * the event's `deliveries`.
   */
  @ApiProperty({ type: [String], example: ['crm-inbox'] })
  endpointIds!: string[];
}
