import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { HttpException } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { resolveProblem } from '../problems/problem.mapper';
import { ProblemException } from '../problems/problem.exception';
import { renderProblem } from '../problems/problem.renderer';
import { closeLingering, isAnswered, isLingering } from './lingering-close';

/**
 * Errors Fastify raises before a route runs (a malformed URL…), which never reach Nest's filter:
 * the same problem+json as everything else.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const resolved = resolveProblem(new HttpException(error.message, error.statusCode ?? 400));
  // Before a route runs, what is wrong is the URL (Fastify's FST_ERR_BAD_URL), not the body.
  const problem = resolved.errors
    ? { ...resolved, errors: [{ path: 'url', message: error.message }] }
    : resolved;
  request.problem = { code: problem.code };
  const rendered = renderProblem(problem, String(request.id));
  void reply
    .status(rendered.status)
    .headers(rendered.headers)
    .header('x-request-id', String(request.id))
    .send(rendered.body);
}

/** What Node's HTTP parser refuses, by its error code: the status and the part at fault. */
const PARSER_ERRORS: Record<string, { status: number; path: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, path: 'headers', message: 'must be at most 16 KiB in all' },
  HPE_INVALID_CONTENT_LENGTH: {
    status: 400,
    path: 'Content-Length',
    message: 'must be a number',
  },
  HPE_UNEXPECTED_CONTENT_LENGTH: {
    status: 400,
    path: 'Content-Length',
    message: 'must not come with Transfer-Encoding: chunked',
  },
};

const MALFORMED = { status: 400, path: 'request', message: 'is not valid HTTP/1.1' };

/** Node's requestTimeout/headersTimeout (REQUEST_TIMEOUT_MS): the request did not arrive in time. */
const REQUEST_TIMEOUT = 'ERR_HTTP_REQUEST_TIMEOUT';

/**
 * Node's HTTP parser refused the request (bad Content-Length, headers too large), or the client
 * took longer than REQUEST_TIMEOUT_MS to send it: answered when nothing of an answer has been
 * written yet, and the connection closed in every case (Node leaves that to this handler).
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  // A connection that never sent a byte gets no answer (nobody is waiting for one); nor does one
  // whose answer has begun.
  if (isAnswered(socket)) {
    // This request has had its answer; what is left is the rest of its body, arriving too slowly.
    if (!isLingering(socket)) socket.destroy();
    return;
  }
  const silent =
    !socket.writable ||
    answering?.headersSent === true ||
    (error.code === REQUEST_TIMEOUT && socket.bytesRead === 0);
  if (silent) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const problem =
    error.code === REQUEST_TIMEOUT
      ? {
          ...resolveProblem(
            new ProblemException('request_timeout', {
              detail:
                'The request did not arrive completely within the time allowed; send it again',
            }),
          ),
        }
      : parserProblem(error.code);
  const rendered = renderProblem(problem, requestId);
  const head = [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}`,
    ...Object.entries(rendered.headers).map(([name, value]) => `${name}: ${value}`),
    `content-length: ${Buffer.byteLength(rendered.body)}`,
    `x-request-id: ${requestId}`,
    'connection: close',
  ];
  socket.write(`${head.join('\r\n')}\r\n\r\n${rendered.body}`);
  closeLingering(socket);
}

function parserProblem(code: string | undefined) {
  const { status, path, message } = PARSER_ERRORS[code ?? ''] ?? MALFORMED;
  return {
    ...resolveProblem(new HttpException(`The HTTP request is malformed: ${path} ${message}`, 400)),
    status,
    errors: [{ path, message }],
  };
}
