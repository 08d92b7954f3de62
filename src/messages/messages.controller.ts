import { Body, Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UpstreamTrace } from '../blooio/upstream-trace';
import { PatternPipe } from '../http/pattern.pipe';
import { SANE_REQUEST_ID } from '../http/request-id';
import { MESSAGE_ID_PATTERN } from '../message-records/message-record';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
} from '../idempotency/idempotency.constants';
import { IdempotencyKeyHeader, IdempotencyKeyPipe } from '../idempotency/idempotency-key.pipe';
import { sendStoredResponse } from '../idempotency/stored-response.reply';
import { ApiProblemResponses } from '../problems/api-problem-responses.decorator';
import { SpendsBudget } from '../rate-limit/tenant-throttlers';
import { Authenticated } from '../tenants/authenticated.decorator';
import { CurrentPrincipal } from '../tenants/current-principal.decorator';
import type { Principal } from '../tenants/tenant';
import { MessageStatusResponseDto } from './dto/message-status-response.dto';
import { MESSAGE_STATUS_EXAMPLES } from './dto/message-status-response.examples';
import { SendMessageResponseDto } from './dto/send-message-response.dto';
import {
  SEND_MESSAGE_REPLAY_EXAMPLES,
  SEND_MESSAGE_RESPONSE_EXAMPLES,
} from './dto/send-message-response.examples';
import { SendMessageDto } from './dto/send-message.dto';
import { SEND_MESSAGE_EXAMPLES } from './dto/send-message.examples';
import { MessageStatusService } from './message-status.service';
import { MessagesService } from './messages.service';
import { SendValidationFilter } from './send-validation.filter';
import { NewUpstreamTrace } from './upstream-trace.decorator';

/** On every answer of this route, problems included (X-Request-Id is on every answer anywhere). */
const RESPONSE_HEADERS = {
  [IDEMPOTENCY_KEY_HEADER]: {
    description:
      'The Idempotency-Key of the request, repeated (when one was sent, once and well-formed)',
    schema: { type: 'string' },
  },
} as const;

const REPLAY_HEADERS = {
  ...RESPONSE_HEADERS,
  [IDEMPOTENT_REPLAYED_HEADER]: {
    description: '`true`: this is the recorded answer to an earlier request with this key',
    schema: { type: 'string' },
  },
} as const;

const MESSAGE_ID_RULE = 'must be 1 to 64 of A-Z a-z 0-9 _ -';

@ApiTags('messages')
@Controller('v1/messages')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly statuses: MessageStatusService,
  ) {}

  @Post()
  @Authenticated('messages:send')
  @UseFilters(SendValidationFilter)
  @ApiOperation({
    operationId: 'sendMessage',
    summary: 'Send a message',
    description:
      "Sends an iMessage (or SMS) through Blooio with the tenant's own Blooio key. " +
      'Retrying with the same Idempotency-Key never sends twice.',
  })
  @ApiBody({ type: SendMessageDto, examples: SEND_MESSAGE_EXAMPLES })
  @ApiHeader({
    name: 'X-Request-Id',
    required: false,
    description:
      'Your id for this request (1 to 128 of A-Z a-z 0-9 . _ : -); otherwise the gateway makes one',
    schema: { type: 'string', maxLength: 128, pattern: SANE_REQUEST_ID.source },
  })
  @ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    // No `example`: Swagger UI would pre-fill it, and every other example would then reuse one key
    // (422 idempotency_key_reused).
    description:
      'Makes retries safe: the same key sends at most once. 1 to 255 printable ASCII characters, ' +
      'one per message you mean to send, for example `order-1234-shipped`. Leave it empty to ' +
      'send without one.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  })
  @ApiResponse({
    status: 202,
    description: 'Accepted for sending',
    type: SendMessageResponseDto,
    examples: SEND_MESSAGE_RESPONSE_EXAMPLES,
    headers: RESPONSE_HEADERS,
  })
  @ApiResponse({
    status: 200,
    description:
      'A replay: this Idempotency-Key was already sent, and this is that answer again (Idempotent-Replayed: true). No new message.',
    type: SendMessageResponseDto,
    examples: SEND_MESSAGE_REPLAY_EXAMPLES,
    headers: REPLAY_HEADERS,
  })
  @ApiProblemResponses(
    {
      400: ['validation_failed'],
      402: ['upstream_rejected'],
      403: ['forbidden', 'sender_not_allowed', 'upstream_rejected'],
      404: ['upstream_rejected'],
      409: ['idempotency_key_in_use', 'upstream_rejected'],
      413: ['payload_too_large'],
      415: ['unsupported_media_type'],
      422: ['idempotency_key_reused', 'message_failed', 'upstream_rejected'],
      429: ['rate_limited', 'upstream_rate_limited'],
      502: ['upstream_auth_failed', 'upstream_error'],
      503: ['upstream_unavailable', 'store_unavailable'],
      500: ['internal_error'],
      504: ['upstream_timeout'],
    },
    RESPONSE_HEADERS,
  )
  async send(
    @Body() dto: SendMessageDto,
    @IdempotencyKeyHeader(IdempotencyKeyPipe) idempotencyKey: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @NewUpstreamTrace() trace: UpstreamTrace,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // The service returns the answer as bytes: a replay must be exactly the first answer.
    const response = await this.messages.send(dto, {
      principal,
      idempotencyKey,
      requestId: String(request.id),
      trace,
    });
    await sendStoredResponse(reply, response);
  }

  @Get(':messageId')
  @Authenticated('messages:read')
  @SpendsBudget('reads')
  @ApiOperation({
    operationId: 'getMessage',
    summary: "A message's status",
    description:
      'Where one of your messages is: queued, sent, delivered, read or failed, with its times ' +
      'and metadata. While it may still change, the gateway asks Blooio first; when Blooio cannot ' +
      'be asked, it answers what it last knew with `stale: true`. Spends the read rate limit ' +
      '(RATE_LIMIT_READS_PER_SECOND), never the sending one.',
  })
  @ApiParam({
    name: 'messageId',
    description: 'The `messageId` (or one of the `messageIds`) a send answered',
    schema: { type: 'string', pattern: MESSAGE_ID_PATTERN.source, example: 'msg_9f8e7d6c5b4a3f2e' },
  })
  @ApiResponse({
    status: 200,
    description: 'The message',
    type: MessageStatusResponseDto,
    examples: MESSAGE_STATUS_EXAMPLES,
  })
  @ApiProblemResponses({
    400: ['validation_failed'],
    403: ['forbidden'],
    404: ['message_not_found'],
    429: ['rate_limited'],
    503: ['store_unavailable'],
    500: ['internal_error'],
  })
  status(
    @Param('messageId', new PatternPipe('messageId', MESSAGE_ID_PATTERN, MESSAGE_ID_RULE))
    messageId: string,
    @CurrentPrincipal() principal: Principal,
    @NewUpstreamTrace() trace: UpstreamTrace,
    @Req() request: FastifyRequest,
  ): Promise<MessageStatusResponseDto> {
    return this.statuses.status(messageId, {
      tenant: principal.tenant,
      requestId: String(request.id),
      trace,
    });
  }
}
