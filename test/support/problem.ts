import type { Response } from 'supertest';

/** An RFC 9457 answer with this status and code, naming this request, without a stack trace. */
export function expectProblem(response: Response, status: number, code: string): void {
  expect(response.text).not.toContain('    at ');
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.headers['x-request-id']).toEqual(expect.any(String));
  expect(response.body).toMatchObject({
    type: expect.stringContaining(code),
    title: expect.any(String),
    status,
    code,
    detail: expect.any(String),
    requestId: response.headers['x-request-id'],
  });
}
