import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CATALOGUE, PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from './problem-catalogue';
import type { ProblemDetails } from './problem-details';
import { resolveProblem } from './problem.mapper';

/** The one place errors become `application/problem+json` answers (RFC 9457). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = resolveProblem(exception);

    if (problem.unexpected) {
      this.logger.error({ err: exception, requestId: request.id }, 'unexpected error');
    }
    request.problem = { code: problem.code, upstreamStatus: problem.upstream?.status };

    const body: ProblemDetails = {
      ...problem.extensions,
      type: PROBLEM_TYPE_BASE + problem.code,
      title: PROBLEM_CATALOGUE[problem.code].title,
      status: problem.status,
      detail: problem.detail,
      code: problem.code,
      requestId: String(request.id),
      ...(problem.errors && { errors: problem.errors }),
      ...(problem.upstream && { upstream: problem.upstream }),
    };
    if (reply.sent) return;
    void reply
      .status(problem.status)
      .headers(problem.headers)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(body));
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The problem answered, for the request log line. */
    problem?: { code: string; upstreamStatus?: number };
  }
}
