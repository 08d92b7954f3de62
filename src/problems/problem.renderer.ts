import { PROBLEM_CATALOGUE, PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from './problem-catalogue';
import type { ProblemDetails } from './problem-details';
import type { ResolvedProblem } from './problem.mapper';

export interface RenderedProblem {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The problem+json answer for a resolved problem: same input, same bytes (replays rely on it). */
export function renderProblem(problem: ResolvedProblem, requestId: string): RenderedProblem {
  const body: ProblemDetails = {
    ...problem.extensions,
    type: PROBLEM_TYPE_BASE + problem.code,
    title: PROBLEM_CATALOGUE[problem.code].title,
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
    requestId,
    ...(problem.errors && { errors: problem.errors }),
    ...(problem.upstream && { upstream: problem.upstream }),
  };
  return {
    status: problem.status,
    headers: { ...problem.headers, 'content-type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(body),
  };
}
