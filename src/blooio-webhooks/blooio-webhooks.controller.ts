import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  ApiBody,
  ApiHeader,
  ApiNoContentResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblemResponses } from '../problems/api-problem-responses.decorator';
import { ProblemException } from '../problems/problem.exception';
import { BLOOIO_EVENT_EXAMPLES, BLOOIO_EVENT_SCHEMA } from './blooio-event.examples';
import { BlooioWebhookReceiver } from './blooio-webhook.receiver';

const EMPTY = Buffer.alloc(0);

/**
 * Where Blooio posts each tenant's webhooks (DESIGN §11). No gateway key: the signature over the
 * exact bytes is the authentication, so the route keeps them (`rawBody`) and parses them as
 * JSON only after the signature is checked.
 */
@ApiTags('blooio-webhooks')
@Controller('webhooks/blooio')
export class BlooioWebhooksController {
  constructor(private readonly receiver: BlooioWebhookReceiver) {}

  @Post(':tenantId')
  @HttpCode(204)
  @RouteConfig({ rawBody: true })
  @ApiOperation({
    operationId: 'receiveBlooioWebhook',
    summary: "Blooio's webhook for one tenant (called by Blooio, not by you)",
    description:
      "Register this URL at Blooio with the tenant's own Blooio key (`npm run webhooks:register`) " +
      'and put the signing secret Blooio gives in the tenant file. Each delivery is authenticated ' +
      'by `X-Blooio-Signature` over its exact bytes, routed only to this tenant if it owns the ' +
      'event, and recorded once however often it is delivered. No bearer key.',
  })
  @ApiParam({ name: 'tenantId', description: 'The tenant id of the tenant file', example: 'acme' })
  @ApiHeader({
    name: 'X-Blooio-Signature',
    required: true,
    description:
      '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the signing secret>`',
    schema: { type: 'string' },
  })
  @ApiBody({
    description: "Blooio's `WebhookEventPayload`, as Blooio sends it",
    schema: BLOOIO_EVENT_SCHEMA,
    examples: BLOOIO_EVENT_EXAMPLES,
  })
  @ApiNoContentResponse({
    description:
      "Received: recorded (or recorded already), not this tenant's (counted, never relayed), or " +
      "kept to be decided once its message's record is written. Blooio stops retrying.",
  })
  @ApiProblemResponses({
    400: ['validation_failed'],
    401: ['webhook_signature_invalid'],
    413: ['payload_too_large'],
    415: ['unsupported_media_type'],
    503: ['store_unavailable'],
  })
  async receive(
    @Param('tenantId') tenantId: string,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    try {
      const verdict = await this.receiver.receive({
        tenantId,
        signature: request.headers['x-blooio-signature'],
        rawBody: request.rawBody ?? EMPTY,
        // No body at all: nothing was parsed, and the event reader says what is missing.
        readBody: request.readBody ?? (() => request.body),
      });
      request.webhook = {
        tenant: verdict.tenant,
        event: verdict.event,
        outcome: verdict.outcome,
        ...(verdict.reason && { reason: verdict.reason }),
      };
    } catch (error) {
      request.webhook = {
        tenant: this.receiver.labelOf(tenantId),
        outcome: outcomeOf(error),
      };
      throw error;
    }
  }
}

function outcomeOf(error: unknown): string {
  if (error instanceof ProblemException) {
    return error.code === 'store_unavailable' ? 'store_unavailable' : 'rejected';
  }
  return 'rejected';
}
