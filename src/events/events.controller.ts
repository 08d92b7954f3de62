import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PatternPipe } from '../http/pattern.pipe';
import { ApiProblemResponses } from '../problems/api-problem-responses.decorator';
import { ProblemException } from '../problems/problem.exception';
import { SpendsBudget } from '../rate-limit/tenant-throttlers';
import { Authenticated } from '../tenants/authenticated.decorator';
import { CurrentPrincipal } from '../tenants/current-principal.decorator';
import type { Principal } from '../tenants/tenant';
import { EventPageDto, GatewayEventWithDeliveriesDto } from './dto/gateway-event.dto';
import { EVENT_EXAMPLES, EVENT_PAGE_EXAMPLES } from './dto/gateway-event.examples';
import { DEFAULT_PAGE_SIZE, ListEventsQueryDto } from './dto/list-events.query';
import { EVENT_LOG_STORE, type EventLogStore } from './event-log-store.interface';
import { EVENT_ID_PATTERN } from './gateway-event';

const PROBLEMS: Parameters<typeof ApiProblemResponses>[0] = {
  400: ['validation_failed'],
  403: ['forbidden'],
  429: ['rate_limited'],
  503: ['store_unavailable'],
  500: ['internal_error'],
};

/** The tenant's event log (§11): what happened to its messages, and what its contacts sent. */
@ApiTags('events')
@Controller('v1/events')
export class EventsController {
  constructor(@Inject(EVENT_LOG_STORE) private readonly events: EventLogStore) {}

  @Get()
  @Authenticated('events:read')
  @SpendsBudget('reads')
  @ApiOperation({
    operationId: 'listEvents',
    summary: "The tenant's events",
    description:
      'Newest first by the time the gateway received them, kept EVENT_RETENTION_SECONDS. Filter ' +
      'by `type` and `messageId`; page with `limit` and the `nextCursor` of the page before. ' +
      'Spends the read rate limit.',
  })
  @ApiResponse({
    status: 200,
    description: 'A page of events',
    type: EventPageDto,
    examples: EVENT_PAGE_EXAMPLES,
  })
  @ApiProblemResponses(PROBLEMS)
  async list(
    @Query() query: ListEventsQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<EventPageDto> {
    return this.events.list(principal.tenant.id, {
      ...(query.type !== undefined && { type: query.type }),
      ...(query.messageId !== undefined && { messageId: query.messageId }),
      ...(query.cursor !== undefined && { cursor: query.cursor }),
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
    });
  }

  @Get(':eventId')
  @Authenticated('events:read')
  @SpendsBudget('reads')
  @ApiOperation({
    operationId: 'getEvent',
    summary: 'One event, with its deliveries',
    description:
      "The event and its deliveries to the tenant's webhook endpoints. Another tenant's event is " +
      'answered exactly like an unknown one. Spends the read rate limit.',
  })
  @ApiParam({
    name: 'eventId',
    description: 'The `id` of an event',
    schema: {
      type: 'string',
      pattern: EVENT_ID_PATTERN.source,
      example: EVENT_EXAMPLES.delivered.value.id,
    },
  })
  @ApiResponse({
    status: 200,
    description: 'The event',
    type: GatewayEventWithDeliveriesDto,
    examples: EVENT_EXAMPLES,
  })
  @ApiProblemResponses({ ...PROBLEMS, 404: ['event_not_found'] })
  async get(
    @Param(
      'eventId',
      new PatternPipe('eventId', EVENT_ID_PATTERN, 'must be evt_ and 26 of a-z 2-7'),
    )
    eventId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<GatewayEventWithDeliveriesDto> {
    const event = await this.events.get(principal.tenant.id, eventId);
    if (!event) {
      throw new ProblemException('event_not_found', {
        detail: 'No event with this id for this tenant',
      });
    }
    // Pushing to tenant endpoints comes later: until then no event has deliveries.
    return { ...event, deliveries: [] };
  }
}
