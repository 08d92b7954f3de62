import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PatternPipe } from '../http/pattern.pipe';
import { OptionalJsonBody } from '../http/route-config';
import { ApiProblemResponses } from '../problems/api-problem-responses.decorator';
import { SpendsBudget } from '../rate-limit/tenant-throttlers';
import { Authenticated } from '../tenants/authenticated.decorator';
import { CurrentPrincipal } from '../tenants/current-principal.decorator';
import type { Principal } from '../tenants/tenant';
import { EventPageDto, GatewayEventWithDeliveriesDto } from './dto/gateway-event.dto';
import { EVENT_EXAMPLES, EVENT_PAGE_EXAMPLES } from './dto/gateway-event.examples';
import { DEFAULT_PAGE_SIZE, ListEventsQueryDto } from './dto/list-events.query';
import { EVENT_DELIVERIES, type EventDeliveries } from './delivery/event-deliveries.interface';
import { ReplayEventDto, ReplayResultDto } from './dto/replay-event.dto';
import { REPLAY_REQUEST_EXAMPLES, REPLAY_RESULT_EXAMPLES } from './dto/webhook-endpoint.examples';
import { EVENT_LOG_STORE, type EventLogStore } from './event-log-store.interface';
import { EVENT_ID_PATTERN } from './gateway-event';
import {
  EVENT_ROUTE_BODY_PROBLEMS,
  EVENT_ROUTE_PROBLEMS,
  eventNotFound,
} from './event-routes.problems';

const EVENT_ID_PIPE = new PatternPipe(
  'eventId',
  EVENT_ID_PATTERN,
  'must be evt_ and 26 of a-z 2-7',
);

const EVENT_ID_PARAM = {
  name: 'eventId',
  description: 'The `id` of an event',
  schema: {
    type: 'string' as const,
    pattern: EVENT_ID_PATTERN.source,
    example: EVENT_EXAMPLES.delivered.value.id,
  },
};

/** The tenant's event log (§11): what happened to its messages, and what its contacts sent. */
@ApiTags('events')
@Controller('v1/events')
export class EventsController {
  constructor(
    @Inject(EVENT_LOG_STORE) private readonly events: EventLogStore,
    @Inject(EVENT_DELIVERIES) private readonly deliveries: EventDeliveries,
  ) {}

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
  @ApiProblemResponses(EVENT_ROUTE_PROBLEMS)
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
  @ApiParam(EVENT_ID_PARAM)
  @ApiResponse({
    status: 200,
    description: 'The event',
    type: GatewayEventWithDeliveriesDto,
    examples: EVENT_EXAMPLES,
  })
  @ApiProblemResponses({ ...EVENT_ROUTE_PROBLEMS, 404: ['event_not_found'] })
  async get(
    @Param('eventId', EVENT_ID_PIPE) eventId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<GatewayEventWithDeliveriesDto> {
    const tenantId = principal.tenant.id;
    const event = await this.events.get(tenantId, eventId);
    if (!event) throw eventNotFound();
    return { ...event, deliveries: await this.deliveries.deliveriesOf(tenantId, eventId) };
  }

  @Post(':eventId/replay')
  @HttpCode(202)
  @OptionalJsonBody()
  @Authenticated('events:manage')
  @SpendsBudget('sends')
  @ApiOperation({
    operationId: 'replayEvent',
    summary: 'Deliver an event again',
    description:
      'Queues the event again, with the same `webhook-id` as before, to every endpoint that ' +
      'subscribes to its type, or only to `endpointIds`; a disabled endpoint gets it once it is ' +
      "enabled. The body is optional. Follow the deliveries in the event's `deliveries`. Another " +
      "tenant's event or endpoint is answered like an unknown one. Spends the tenant's main rate " +
      'limit (as sends do), not the read one.',
  })
  @ApiParam(EVENT_ID_PARAM)
  @ApiBody({ type: ReplayEventDto, required: false, examples: REPLAY_REQUEST_EXAMPLES })
  @ApiResponse({
    status: 202,
    description: 'Queued again',
    type: ReplayResultDto,
    examples: REPLAY_RESULT_EXAMPLES,
  })
  @ApiProblemResponses({
    ...EVENT_ROUTE_BODY_PROBLEMS,
    404: ['event_not_found', 'endpoint_not_found'],
  })
  async replay(
    @Param('eventId', EVENT_ID_PIPE) eventId: string,
    @Body() body: ReplayEventDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ReplayResultDto> {
    const tenantId = principal.tenant.id;
    const endpointIds = body.endpointIds ?? undefined; // null is absent, as for every optional field
    // The event first (404 event_not_found), then each endpoint named: `replay` throws
    // endpointNotFound() for one that is not the tenant's, before it queues anything.
    const result = await this.deliveries.replay(tenantId, eventId, endpointIds);
    if (!result) throw eventNotFound();
    return { eventId: result.eventId, endpointIds: result.endpointIds };
  }
}
