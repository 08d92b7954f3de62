import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CATALOGUE, type ProblemCode } from './problem-catalogue';
import { ProblemDetailsDto } from './dto/problem-details.dto';

/**
 * Documents error answers as problem+json, one response per status listing the codes it can carry.
 * `@ApiProblemResponses({ 422: ['upstream_rejected', 'message_failed'] })`.
 */
export function ApiProblemResponses(
  codesByStatus: Record<number, ProblemCode[]>,
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...Object.entries(codesByStatus).map(([status, codes]) =>
      ApiResponse({
        status: Number(status),
        description: codes
          .map((code) => `\`${code}\`: ${PROBLEM_CATALOGUE[code].title}`)
          .join('; '),
        content: {
          'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsDto) } },
        },
      }),
    ),
  );
}
