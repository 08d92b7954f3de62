import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { resolveProblem } from './problem.mapper';
import { renderProblem } from './problem.renderer';

/** The one place errors become `application/problem+json` answers (RFC 9457). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = resolveProblem(exception, { bodyLimitBytes: request.routeOptions?.bodyLimit });

    if (problem.unexpected) {
      this.logger.error({ err: exception, requestId: request.id }, 'unexpected error');
    }
    request.problem = { code: problem.code, upstreamStatus: problem.upstream?.status };
    if (reply.sent) return;
    const rendered = renderProblem(problem, String(request.id));
    void reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
  }
}
