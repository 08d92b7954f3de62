import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CATALOGUE, type ProblemCode } from './problem-catalogue';
import { ProblemDetailsDto } from './dto/problem-details.dto';
import { problemExamplesFor } from './dto/problem.examples';

type HeaderObjects = Record<string, { description: string; schema: { type: 'string' } }>;

/** Headers that come with a status, whatever the route. */
const HEADERS_BY_STATUS: Record<number, HeaderObjects> = {
  401: {
    'WWW-Authenticate': { description: 'Bearer challenge (RFC 6750)', schema: { type: 'string' } },
  },
  409: {
    'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'string' } },
  },
  429: {
    'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'string' } },
  },
  503: {
    'Retry-After': { description: 'Seconds to wait, when known', schema: { type: 'string' } },
  },
};

/**
 * Documents error answers as problem+json, one response per status listing the codes it can carry,
 * with one named example per way each code happens (bodies rendered from the catalogue).
 * `@ApiProblemResponses({ 422: ['upstream_rejected', 'message_failed'] })`.
 */
export function ApiProblemResponses(
  codesByStatus: Record<number, ProblemCode[]>,
  /** Headers every problem answer of this route carries, beside those of its status. */
  routeHeaders: HeaderObjects = {},
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...Object.entries(codesByStatus).map(([status, codes]) =>
      ApiResponse({
        status: Number(status),
        description: codes
          .map((code) => `\`${code}\`: ${PROBLEM_CATALOGUE[code].title}`)
          .join('; '),
        ...headersFor(routeHeaders, statusHeaders(Number(status), codes)),
        content: {
          'application/problem+json': {
            schema: { $ref: getSchemaPath(ProblemDetailsDto) },
            examples: problemExamplesFor(Number(status), codes),
          },
        },
      }),
    ),
  );
}

/** The bearer challenge comes with `unauthenticated` only (a webhook's 401 has none). */
function statusHeaders(status: number, codes: ProblemCode[]): HeaderObjects | undefined {
  if (status === 401 && !codes.includes('unauthenticated')) return undefined;
  return HEADERS_BY_STATUS[status];
}

function headersFor(...sets: (HeaderObjects | undefined)[]): { headers?: HeaderObjects } {
  const headers: HeaderObjects = {};
  for (const set of sets) Object.assign(headers, set);
  return Object.keys(headers).length > 0 ? { headers } : {};
}
