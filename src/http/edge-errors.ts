import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { HttpException } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { resolveProblem } from '../problems/problem.mapper';
import '../problems/problem-details.filter';
import { renderProblem } from '../problems/problem.renderer';

/**
 * Errors Fastify raises before a route runs (a malformed URL…), which never reach Nest's filter:
 * the same problem+json as everything else.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const problem = resolveProblem(new HttpException(error.message, error.statusCode ?? 400));
  request.problem = { code: problem.code };
  const rendered = renderProblem(problem, String(request.id));
  void reply
    .status(rendered.status)
    .headers(rendered.headers)
    .header('x-request-id', String(request.id))
    .send(rendered.body);
}

/** Node's HTTP parser refused the request (bad Content-Length, headers too large): no Fastify yet. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const requestId = randomUUID();
  const problem = {
    ...resolveProblem(new HttpException('The HTTP request is malformed', 400)),
    status,
  };
  const rendered = renderProblem(problem, requestId);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    ...Object.entries(rendered.headers).map(([name, value]) => `${name}: ${value}`),
    `content-length: ${Buffer.byteLength(rendered.body)}`,
    `x-request-id: ${requestId}`,
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${rendered.body}`);
}
