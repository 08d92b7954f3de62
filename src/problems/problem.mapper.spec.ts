import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import {
  BlooioHttpError,
  BlooioNetworkError,
  BlooioTimeoutError,
  BlooioUnreadableResponseError,
} from '../blooio/blooio.errors';
import { resolveProblem } from './problem.mapper';
import { ProblemException } from './problem.exception';

describe('resolveProblem', () => {
  describe('Blooio answers (DESIGN.md §3)', () => {
    it.each([
      [400, 'reply_target_expired', 422, 'upstream_rejected'],
      [400, undefined, 422, 'upstream_rejected'],
      [402, undefined, 402, 'upstream_rejected'],
      [403, 'inbound_only_no_prior_inbound', 403, 'upstream_rejected'],
      [404, 'reply_target_not_found', 404, 'upstream_rejected'],
      [409, undefined, 409, 'upstream_rejected'],
      [410, undefined, 422, 'upstream_rejected'],
      [401, undefined, 502, 'upstream_auth_failed'],
      [429, 'outbound_limit_reached', 429, 'upstream_rate_limited'],
      [429, 'new_conversation_limit_reached', 429, 'upstream_rate_limited'],
      [429, undefined, 429, 'upstream_rate_limited'],
      [503, undefined, 503, 'upstream_unavailable'],
      [500, undefined, 502, 'upstream_error'],
      [502, undefined, 502, 'upstream_error'],
      [504, undefined, 502, 'upstream_error'],
    ])('Blooio %i %s → %i %s', (upstreamStatus, upstreamCode, status, code) => {
      const problem = resolveProblem(
        new BlooioHttpError(upstreamStatus, {
          ...(upstreamCode && { code: upstreamCode }),
          message: 'said Blooio',
        }),
      );
      expect(problem).toMatchObject({ status, code });
      expect(problem.upstream).toEqual({
        status: upstreamStatus,
        ...(upstreamCode && { code: upstreamCode }),
        message: 'said Blooio',
      });
    });

    it("passes Blooio's Retry-After on with a 429", () => {
      expect(resolveProblem(new BlooioHttpError(429, {}, '7')).headers).toEqual({
        'retry-after': '7',
      });
      expect(resolveProblem(new BlooioHttpError(429, {})).headers).toEqual({});
    });

    it('maps timeouts, network failures and unreadable answers', () => {
      expect(resolveProblem(new BlooioTimeoutError())).toMatchObject({
        status: 504,
        code: 'upstream_timeout',
      });
      expect(resolveProblem(new BlooioNetworkError('ECONNREFUSED'))).toMatchObject({
        status: 502,
        code: 'upstream_error',
        detail: 'Could not reach Blooio (ECONNREFUSED)',
      });
      expect(resolveProblem(new BlooioUnreadableResponseError(202))).toMatchObject({
        status: 502,
        code: 'upstream_error',
        upstream: { status: 202 },
      });
    });
  });

  it('keeps a ProblemException as it is', () => {
    const problem = resolveProblem(
      new ProblemException('rate_limited', {
        detail: 'slow down',
        headers: { 'retry-after': '1' },
      }),
    );
    expect(problem).toMatchObject({
      status: 429,
      code: 'rate_limited',
      detail: 'slow down',
      headers: { 'retry-after': '1' },
    });
  });

  it.each([
    [new HttpException('Request body is too large', 413), 413, 'payload_too_large'],
    [new HttpException('Unsupported Media Type: text/plain', 415), 415, 'unsupported_media_type'],
    [new HttpException('Method not allowed', 405), 405, 'method_not_allowed'],
  ])('maps the Fastify error Nest passes on as %p', (error, status, code) => {
    expect(resolveProblem(error)).toMatchObject({ status, code });
  });

  it('names the body on a 400 raised outside the ValidationPipe (malformed JSON)', () => {
    expect(resolveProblem(new BadRequestException('Unexpected token } in JSON'))).toMatchObject({
      status: 400,
      code: 'validation_failed',
      errors: [{ path: 'body', message: 'Unexpected token } in JSON' }],
    });
  });

  it('maps Nest HTTP exceptions by status', () => {
    expect(resolveProblem(new NotFoundException('Cannot GET /nope'))).toMatchObject({
      status: 404,
      code: 'not_found',
    });
    expect(resolveProblem(new BadRequestException('bad'))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
  });

  it('hides the message of unexpected errors and flags them for the log', () => {
    const problem = resolveProblem(new Error('connect to postgres://admin:hunter2@db failed'));
    expect(problem).toMatchObject({ status: 500, code: 'internal_error', unexpected: true });
    expect(JSON.stringify(problem)).not.toContain('hunter2');
  });
});
