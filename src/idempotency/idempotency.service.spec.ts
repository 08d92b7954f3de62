import { BlooioHttpError, BlooioTimeoutError } from '../blooio/blooio.errors';
import type { BlooioConfig } from '../config/blooio.config';
import { ProblemException } from '../problems/problem.exception';
import type { StoredResponse } from './idempotency-store.interface';
import { InFlightWork } from '../lifecycle/in-flight-work';
import { IdempotencyService } from './idempotency.service';
import { MemoryIdempotencyStore } from './memory-idempotency.store';

const ok: StoredResponse = {
  status: 202,
  headers: { 'content-type': 'application/json' },
  body: '{"messageId":"msg_1"}',
};

function service(store = new MemoryIdempotencyStore(100), work = new InFlightWork()) {
  return new IdempotencyService(
    store,
    { ttlSeconds: 60, maxEntries: 100 },
    { timeoutMs: 1_000 } as BlooioConfig,
    work,
  );
}

const call = (
  overrides: Partial<{
    tenantId: string;
    key: string;
    fingerprint: string;
    requestId: string;
  }> = {},
) => ({
  tenantId: 'acme',
  key: 'k1',
  fingerprint: 'f1',
  requestId: 'r1',
  ...overrides,
});

async function problemOf(promise: Promise<unknown>): Promise<ProblemException> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof ProblemException) return error;
  throw new Error(`expected a ProblemException, got ${String(error)}`);
}

describe('IdempotencyService', () => {
  it('sends once and replays the answer as 200 with the same body and Idempotent-Replayed', async () => {
    const idempotency = service();
    const send = jest.fn().mockResolvedValue(ok);
    await expect(idempotency.run(call(), send)).resolves.toEqual(ok);
    const replay = await idempotency.run(call({ requestId: 'r2' }), send);
    expect(replay).toEqual({
      ...ok,
      status: 200,
      headers: { ...ok.headers, 'idempotent-replayed': 'true' },
    });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('refuses the same key for a different request with 422 idempotency_key_reused', async () => {
    const idempotency = service();
    await idempotency.run(call(), () => Promise.resolve(ok));
    const problem = await problemOf(
      idempotency.run(call({ fingerprint: 'f2' }), () => Promise.resolve(ok)),
    );
    expect(problem.code).toBe('idempotency_key_reused');
    expect(problem.getStatus()).toBe(422);
  });

  it('answers 409 idempotency_key_in_use with Retry-After: 1 while the first is in flight', async () => {
    const idempotency = service();
    let finish: (value: StoredResponse) => void = () => undefined;
    const first = idempotency.run(
      call(),
      () => new Promise<StoredResponse>((resolve) => (finish = resolve)),
    );
    const problem = await problemOf(idempotency.run(call(), () => Promise.resolve(ok)));
    expect(problem.code).toBe('idempotency_key_in_use');
    expect(problem.problem.headers).toEqual({ 'retry-after': '1' });
    finish(ok);
    await expect(first).resolves.toEqual(ok);
  });

  it('keeps tenants apart: the same key in two tenants is two records', async () => {
    const idempotency = service();
    const send = jest.fn().mockResolvedValue(ok);
    await idempotency.run(call({ tenantId: 'acme' }), send);
    await expect(
      idempotency.run(call({ tenantId: 'globex', fingerprint: 'other' }), send),
    ).resolves.toEqual(ok);
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('records a final refusal and replays its exact problem body without sending again', async () => {
    const idempotency = service();
    const refusal = new BlooioHttpError(403, {
      code: 'inbound_only_no_prior_inbound',
      message: 'inbound only',
    });
    const send = jest.fn().mockRejectedValue(refusal);
    await expect(idempotency.run(call(), send)).rejects.toBe(refusal);
    const replay = await idempotency.run(call({ requestId: 'r2' }), send);
    expect(send).toHaveBeenCalledTimes(1);
    expect(replay.status).toBe(403);
    expect(replay.headers).toMatchObject({
      'content-type': 'application/problem+json; charset=utf-8',
      'idempotent-replayed': 'true',
    });
    expect(JSON.parse(replay.body)).toMatchObject({
      code: 'upstream_rejected',
      requestId: 'r1',
      upstream: { status: 403 },
    });
  });

  it("records Blooio's rate limit like any upstream answer: a retry with the key gets it again", async () => {
    const idempotency = service();
    const limited = new BlooioHttpError(429, { code: 'outbound_limit_reached' }, '60');
    const send = jest.fn().mockRejectedValue(limited);
    await expect(idempotency.run(call(), send)).rejects.toBe(limited);
    const replay = await idempotency.run(call({ requestId: 'r2' }), send);
    expect(send).toHaveBeenCalledTimes(1);
    expect(replay).toMatchObject({
      status: 429,
      headers: { 'retry-after': '60', 'idempotent-replayed': 'true' },
    });
  });

  it.each([
    ['a 5xx', new BlooioHttpError(502, {})],
    ['a timeout', new BlooioTimeoutError()],
  ])('releases the key after %s so that the caller may retry', async (_name, error) => {
    const idempotency = service();
    await expect(idempotency.run(call(), () => Promise.reject(error))).rejects.toBe(error);
    await expect(idempotency.run(call(), () => Promise.resolve(ok))).resolves.toEqual(ok);
  });

  it("keeps the send's outcome when the store fails to record it, and frees the key", async () => {
    const store = new MemoryIdempotencyStore(100);
    const idempotency = service(store);
    jest.spyOn(store, 'complete').mockRejectedValueOnce(new Error('store down'));
    jest.spyOn(idempotency['logger'], 'warn').mockImplementation(() => undefined);
    await expect(idempotency.run(call(), () => Promise.resolve(ok))).resolves.toEqual(ok);
    const send = jest.fn().mockResolvedValue(ok);
    await expect(idempotency.run(call(), send)).resolves.toEqual(ok);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('tracks each run as in-flight work until its record is settled', async () => {
    const work = new InFlightWork();
    const idempotency = service(new MemoryIdempotencyStore(100), work);
    let answer!: (response: StoredResponse) => void;
    const running = idempotency.run(call(), () => new Promise((resolve) => (answer = resolve)));
    await Promise.resolve();
    expect(work.size).toBe(1);
    const settled = work.settled(5_000);
    answer(ok);
    await settled;
    await expect(running).resolves.toEqual(ok);
    expect(work.size).toBe(0);
  });

  it('warns when the lock expired and another request took the key before the answer', async () => {
    const store = new MemoryIdempotencyStore(100);
    const idempotency = service(store);
    const warn = jest.spyOn(idempotency['logger'], 'warn').mockImplementation(() => undefined);
    jest.spyOn(store, 'complete').mockResolvedValueOnce(false);
    await expect(idempotency.run(call(), () => Promise.resolve(ok))).resolves.toEqual(ok);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('lock expired'));
  });
});
