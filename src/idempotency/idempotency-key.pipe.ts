import {
  createParamDecorator,
  Injectable,
  type ExecutionContext,
  type PipeTransform,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '../problems/problem.exception';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_PATTERN } from './idempotency.constants';

/** As Node names it in request.headers and rawHeaders are compared with. */
export const IDEMPOTENCY_KEY_FIELD = IDEMPOTENCY_KEY_HEADER.toLowerCase();

/** Validates the optional Idempotency-Key header; absent stays undefined. */
@Injectable()
export class IdempotencyKeyPipe implements PipeTransform<unknown, string | undefined> {
  transform(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'string' && IDEMPOTENCY_KEY_PATTERN.test(value)) return value;
    throw ProblemException.validation([
      { path: IDEMPOTENCY_KEY_HEADER, message: 'must be 1 to 255 printable ASCII characters' },
    ]);
  }
}

/** How many Idempotency-Key headers the request carried: Node joins repeats into one value. */
export function idempotencyKeyHeaderCount(request: FastifyRequest): number {
  const { rawHeaders } = request.raw;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    // The length first: most headers are told apart without a lower-cased copy.
    if (
      name.length === IDEMPOTENCY_KEY_FIELD.length &&
      name.toLowerCase() === IDEMPOTENCY_KEY_FIELD
    ) {
      count += 1;
    }
  }
  return count;
}

/** The caller's key when it was sent once and well-formed (what the answer repeats), else undefined. */
export function wellFormedIdempotencyKey(request: FastifyRequest): string | undefined {
  const value = request.headers[IDEMPOTENCY_KEY_FIELD];
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(value)) return undefined;
  return idempotencyKeyHeaderCount(request) === 1 ? value : undefined;
}

/**
 * The raw Idempotency-Key header. Sent twice, Node would join the values with ", " into one key
 * nobody chose: that is refused here.
 */
export const IdempotencyKeyHeader = createParamDecorator(
  (_data: unknown, context: ExecutionContext): unknown => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (idempotencyKeyHeaderCount(request) > 1) {
      throw ProblemException.validation([
        { path: IDEMPOTENCY_KEY_HEADER, message: 'must be sent once' },
      ]);
    }
    return request.headers[IDEMPOTENCY_KEY_FIELD];
  },
);
