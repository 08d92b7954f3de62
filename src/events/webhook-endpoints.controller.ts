import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { EmptyBodyPipe } from '../http/empty-body.pipe';
import { PatternPipe } from '../http/pattern.pipe';
import { OptionalJsonBody } from '../http/route-config';
import { ApiProblemResponses } from '../problems/api-problem-responses.decorator';
import { SpendsBudget } from '../rate-limit/tenant-throttlers';
import { Authenticated } from '../tenants/authenticated.decorator';
import { CurrentPrincipal } from '../tenants/current-principal.decorator';
import type { Principal } from '../tenants/tenant';
import {
  EVENT_DELIVERIES,
  type EndpointStatus,
  type EventDeliveries,
  type TestDeliveryResult,
} from './delivery/event-deliveries.interface';
import { ENDPOINT_ID_PATTERN, ENDPOINT_ID_RULE } from './delivery/endpoint-id';
import {
  TestDeliveryResultDto,
  WebhookEndpointDto,
  WebhookEndpointListDto,
} from './dto/webhook-endpoint.dto';
import {
  ENABLED_ENDPOINT_EXAMPLES,
  ENDPOINT_LIST_EXAMPLES,
  TEST_DELIVERY_EXAMPLES,
} from './dto/webhook-endpoint.examples';
import {
  endpointNotFound,
  EVENT_ROUTE_BODY_PROBLEMS,
  EVENT_ROUTE_PROBLEMS,
} from './event-routes.problems';

/** test and enable take no body: a field is a 400, a body that is not JSON a 415. */
const MANAGE_PROBLEMS = { ...EVENT_ROUTE_BODY_PROBLEMS, 404: ['endpoint_not_found' as const] };

const ID_PIPE = new PatternPipe('id', ENDPOINT_ID_PATTERN, ENDPOINT_ID_RULE);

const ID_PARAM = {
  name: 'id',
  description: "The `id` of one of the tenant's webhook endpoints (the tenant file's `webhooks`)",
  schema: { type: 'string' as const, pattern: ENDPOINT_ID_PATTERN.source, example: 'crm-inbox' },
};

/**
 * The tenant's webhook endpoints (§11, "Event and endpoint routes"): their health, a test
 * delivery, and enabling one that a 410 disabled. Endpoints are declared in the tenant file; these
 * routes never show or change a secret.
 */
@ApiTags('webhook endpoints')
@Controller('v1/webhook-endpoints')
export class WebhookEndpointsController {
  constructor(@Inject(EVENT_DELIVERIES) private readonly deliveries: EventDeliveries) {}

  @Get()
  @Authenticated('events:read')
  @SpendsBudget('reads')
  @ApiOperation({
    operationId: 'listWebhookEndpoints',
    summary: "The tenant's webhook endpoints",
    description:
      'Each endpoint of the tenant file with its state (`disabled` after a 410, until enabled), ' +
      'its last success and since when it fails. Never a secret. Spends the read rate limit.',
  })
  @ApiResponse({
    status: 200,
    description: 'The endpoints',
    type: WebhookEndpointListDto,
    examples: ENDPOINT_LIST_EXAMPLES,
  })
  @ApiProblemResponses(EVENT_ROUTE_PROBLEMS)
  async list(@CurrentPrincipal() principal: Principal): Promise<WebhookEndpointListDto> {
    const endpoints = await this.deliveries.endpoints(principal.tenant.id);
    return { data: endpoints.map(shownEndpoint) };
  }

  @Post(':id/test')
  @HttpCode(200)
  @OptionalJsonBody()
  @Authenticated('events:manage')
  @SpendsBudget('sends')
  @ApiOperation({
    operationId: 'testWebhookEndpoint',
    summary: 'Send a test event to an endpoint',
    description:
      'POSTs a signed `webhook.test` event to the endpoint now, outside the queue and whatever ' +
      'it subscribes to, and answers what the endpoint did (200 whether or not it was delivered). ' +
      'It is not retried; a disabled endpoint is tested too (check it before enabling it). No ' +
      "body (or `{}`). Spends the tenant's main rate limit (as sends do).",
  })
  @ApiParam(ID_PARAM)
  @ApiResponse({
    status: 200,
    description: "The test delivery's result",
    type: TestDeliveryResultDto,
    examples: TEST_DELIVERY_EXAMPLES,
  })
  @ApiProblemResponses(MANAGE_PROBLEMS)
  async test(
    @Param('id', ID_PIPE) id: string,
    @Body(EmptyBodyPipe) _body: undefined,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TestDeliveryResultDto> {
    const result = await this.deliveries.test(principal.tenant.id, id);
    if (!result) throw endpointNotFound(id);
    return shownResult(result);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @OptionalJsonBody()
  @Authenticated('events:manage')
  @SpendsBudget('sends')
  @ApiOperation({
    operationId: 'enableWebhookEndpoint',
    summary: 'Enable an endpoint that a 410 disabled',
    description:
      'Clears the disable of an endpoint that answered 410 Gone: its queued deliveries run ' +
      'again, and new events are queued for it. Enabling an enabled endpoint changes nothing. ' +
      "No body (or `{}`). Spends the tenant's main rate limit (as sends do).",
  })
  @ApiParam(ID_PARAM)
  @ApiResponse({
    status: 200,
    description: 'The endpoint, enabled',
    type: WebhookEndpointDto,
    examples: ENABLED_ENDPOINT_EXAMPLES,
  })
  @ApiProblemResponses(MANAGE_PROBLEMS)
  async enable(
    @Param('id', ID_PIPE) id: string,
    @Body(EmptyBodyPipe) _body: undefined,
    @CurrentPrincipal() principal: Principal,
  ): Promise<WebhookEndpointDto> {
    const endpoint = await this.deliveries.enable(principal.tenant.id, id);
    if (!endpoint) throw endpointNotFound(id);
    return shownEndpoint(endpoint);
  }
}

/**
 * An endpoint as the routes answer it: exactly the documented fields (whatever else the
 * implementation keeps). Its URL is shown as configured: one holding credentials is refused at
 * boot (common/webhook-url.ts), so there is none to mask.
 */
function shownEndpoint(endpoint: EndpointStatus): WebhookEndpointDto {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: [...endpoint.events],
    state: endpoint.state,
    ...(endpoint.lastSuccessAt !== undefined && { lastSuccessAt: endpoint.lastSuccessAt }),
    ...(endpoint.failingSince !== undefined && { failingSince: endpoint.failingSince }),
  };
}

function shownResult(result: TestDeliveryResult): TestDeliveryResultDto {
  return {
    delivered: result.delivered,
    ...(result.status !== undefined && { status: result.status }),
    ...(result.error !== undefined && { error: result.error }),
    durationMs: result.durationMs,
  };
}
