import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { UpstreamTrace } from '../blooio/upstream-trace';

/**
 * A new upstream trace, kept in the request's context: the Blooio sender fills it in as it calls,
 * and the request log reports it.
 */
export const NewUpstreamTrace = createParamDecorator(
  (_data: unknown, context: ExecutionContext): UpstreamTrace => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    request.upstream = { attempts: 0 };
    return request.upstream;
  },
);
