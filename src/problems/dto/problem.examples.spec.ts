import { PROBLEM_CATALOGUE, PROBLEM_TYPE_BASE, type ProblemCode } from '../problem-catalogue';
import { resolveProblem } from '../problem.mapper';
import { renderProblem } from '../problem.renderer';
import {
  EXAMPLE_REQUEST_ID,
  PROBLEM_CASES,
  caseStatus,
  problemExampleBody,
  problemExamplesFor,
} from './problem.examples';

describe('problem examples', () => {
  const cases = Object.entries(PROBLEM_CASES).flatMap(([code, list]) =>
    (list ?? []).map((problemCase) => ({ code: code as ProblemCode, problemCase })),
  );

  it('renders each case with the catalogue title, type and the case status', () => {
    for (const { code, problemCase } of cases) {
      expect(problemExampleBody(code, problemCase)).toMatchObject({
        type: PROBLEM_TYPE_BASE + code,
        title: PROBLEM_CATALOGUE[code].title,
        status: caseStatus(code, problemCase),
        code,
        requestId: EXAMPLE_REQUEST_ID,
      });
    }
  });

  it('names every case uniquely', () => {
    const names = cases.map(({ problemCase }) => problemCase.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('shows internal_error exactly as an unexpected exception is answered', () => {
    const [internal] = PROBLEM_CASES.internal_error ?? [];
    const answered = renderProblem(resolveProblem(new Error('boom')), EXAMPLE_REQUEST_ID);
    expect(problemExampleBody('internal_error', internal)).toEqual(JSON.parse(answered.body));
  });

  it('lists upstream_rejected under each status it is answered with, and only there', () => {
    expect(Object.keys(problemExamplesFor(403, ['upstream_rejected']))).toEqual([
      'upstream_rejected_inbound_only',
    ]);
    expect(Object.keys(problemExamplesFor(422, ['upstream_rejected']))).toEqual([
      'upstream_rejected',
    ]);
  });

  it('refuses to document a code at a status it has no example for', () => {
    expect(() => problemExamplesFor(418, ['validation_failed'])).toThrow(
      'no problem example for validation_failed with status 418',
    );
  });
});
