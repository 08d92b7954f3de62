import type { BlooioConfig } from '../config/blooio.config';
import type { AttemptDeadline } from './attempt-deadline';
import { Secret } from '../common/secret';
import type { BlooioClient, BlooioSendCommand, BlooioSendResult } from './blooio.client';
import {
  BlooioCircuitOpenError,
  BlooioHttpError,
  BlooioNetworkError,
  BlooioTimeoutError,
} from './blooio.errors';
import { GatewayMetrics } from '../metrics/gateway.metrics';
import { BlooioSender, type BlooioSendRequest } from './blooio.sender';

type Step = BlooioSendResult | Error | 'hang';

/** A client that answers from a script, one step per attempt, and remembers what it was sent. */
function scriptedClient(steps: Step[]) {
  const commands: BlooioSendCommand[] = [];
  const client = {
    sendMessage(command: BlooioSendCommand, signal: AttemptDeadline): Promise<BlooioSendResult> {
      commands.push({ ...command }); // as it was at this attempt
      const step = steps.shift() ?? {
        status: 202,
        body: { message_id: 'msg_ok', status: 'queued' },
      };
      if (step === 'hang') {
        return new Promise((_resolve, reject) =>
          signal.once('abort', () => reject(new BlooioTimeoutError())),
        );
      }
      return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
    },
  };
  return { client: client as unknown as BlooioClient, commands };
}

const config = (overrides: Partial<BlooioConfig> = {}): BlooioConfig => ({
  baseUrl: 'http://blooio.test',
  timeoutMs: 1_000,
  attemptTimeoutMs: 300,
  maxRetries: 2,
  retryBaseDelayMs: 5,
  retryMaxDelayMs: 20,
  maxConnections: 1,
  breakerFailureThreshold: 3,
  breakerCooldownMs: 200,
  ...overrides,
});

const request = (tenantId = 'acme'): BlooioSendRequest => ({
  tenantId,
  apiKey: new Secret('bl_key'),
  chatId: '+15551234567',
  body: { text: 'hi' },
  idempotencyKey: 'upstream-key-1',
  requestId: 'req-1',
});

const accepted: BlooioSendResult = { status: 202, body: { message_id: 'msg_1', status: 'queued' } };

describe('BlooioSender', () => {
  it('retries 500, 502, a reset and a timeout with the same key, and returns the success', async () => {
    const { client, commands } = scriptedClient([
      new BlooioHttpError(500, {}),
      new BlooioNetworkError('ECONNRESET'),
      accepted,
    ]);
    const report = await new BlooioSender(client, config(), new GatewayMetrics()).send(request());
    expect(report).toMatchObject({ status: 202, attempts: 3 });
    expect(commands.map((c) => c.idempotencyKey)).toEqual([
      'upstream-key-1',
      'upstream-key-1',
      'upstream-key-1',
    ]);
  });

  it('traces attempts and statuses, and measures every call and retry by tenant', async () => {
    const { client } = scriptedClient([new BlooioHttpError(502, {}), accepted]);
    const metrics = new GatewayMetrics();
    const trace = { attempts: 0 };
    await new BlooioSender(client, config(), metrics).send({ ...request('globex'), trace });
    expect(trace).toEqual({ attempts: 2, status: 202 });
    const text = await metrics.render();
    expect(text).toMatch(
      /bgw_upstream_request_duration_seconds_count\{tenant="globex",outcome="server_error"\} 1\n/,
    );
    expect(text).toMatch(
      /bgw_upstream_request_duration_seconds_count\{tenant="globex",outcome="accepted"\} 1\n/,
    );
    expect(text).toContain('bgw_upstream_retries_total{tenant="globex"} 1\n');
    expect(text).toContain('bgw_upstream_circuit_state{tenant="globex"} 0\n');
  });

  it('stops after BLOOIO_MAX_RETRIES and answers with the last error', async () => {
    const last = new BlooioHttpError(504, {});
    const { client, commands } = scriptedClient([
      new BlooioHttpError(500, {}),
      new BlooioHttpError(502, {}),
      last,
    ]);
    await expect(
      new BlooioSender(client, config(), new GatewayMetrics()).send(request()),
    ).rejects.toBe(last);
    expect(commands).toHaveLength(3);
  });

  it.each([400, 401, 402, 403, 404, 409, 503])('never retries a %i', async (status) => {
    const { client, commands } = scriptedClient([new BlooioHttpError(status, {})]);
    await expect(
      new BlooioSender(client, config(), new GatewayMetrics()).send(request()),
    ).rejects.toBeInstanceOf(BlooioHttpError);
    expect(commands).toHaveLength(1);
  });

  it('never retries a coded 429, and retries a plain one', async () => {
    const coded = scriptedClient([new BlooioHttpError(429, { code: 'outbound_limit_reached' })]);
    await expect(
      new BlooioSender(coded.client, config(), new GatewayMetrics()).send(request()),
    ).rejects.toBeInstanceOf(BlooioHttpError);
    expect(coded.commands).toHaveLength(1);
    const plain = scriptedClient([new BlooioHttpError(429, {}), accepted]);
    await expect(
      new BlooioSender(plain.client, config(), new GatewayMetrics()).send(request()),
    ).resolves.toMatchObject({
      attempts: 2,
    });
  });

  it('gives each attempt its own timeout and answers a timeout when Blooio hangs past the deadline', async () => {
    const { client, commands } = scriptedClient(['hang', 'hang', 'hang', 'hang']);
    const started = Date.now();
    await expect(
      new BlooioSender(
        client,
        config({ timeoutMs: 500, attemptTimeoutMs: 200 }),
        new GatewayMetrics(),
      ).send(request()),
    ).rejects.toBeInstanceOf(BlooioTimeoutError);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(900);
    expect(commands.length).toBeGreaterThanOrEqual(2);
    expect(commands.length).toBeLessThanOrEqual(3);
  });

  it('does not wait for a Retry-After that ends past the deadline', async () => {
    const limited = new BlooioHttpError(429, {}, '5');
    const { client, commands } = scriptedClient([limited]);
    const started = Date.now();
    await expect(
      new BlooioSender(client, config(), new GatewayMetrics()).send(request()),
    ).rejects.toBe(limited);
    expect(Date.now() - started).toBeLessThan(200);
    expect(commands).toHaveLength(1);
  });

  it("opens one tenant's circuit after consecutive failed sends, refusing fast while others send", async () => {
    const failures = Array.from({ length: 9 }, () => new BlooioHttpError(500, {}));
    const { client, commands } = scriptedClient(failures);
    const sender = new BlooioSender(client, config(), new GatewayMetrics());
    // Each send is 3 attempts; the breaker counts sends, so it opens after the third send, not the first.
    for (let i = 0; i < 3; i += 1) {
      await expect(sender.send(request())).rejects.toBeInstanceOf(BlooioHttpError);
      expect(sender.breakerFor('acme').state).toBe(i < 2 ? 'closed' : 'open');
    }
    expect(commands).toHaveLength(9);
    await expect(sender.send(request())).rejects.toBeInstanceOf(BlooioCircuitOpenError);
    expect(commands).toHaveLength(9);
    await expect(sender.send(request('globex'))).resolves.toMatchObject({ status: 202 });
    expect(sender.breakerFor('globex').state).toBe('closed');
  });

  it('lets one trial send through after the cool-down; its success closes the circuit', async () => {
    const { client } = scriptedClient([
      new BlooioHttpError(500, {}),
      new BlooioHttpError(500, {}),
      new BlooioHttpError(500, {}),
    ]);
    const sender = new BlooioSender(
      client,
      config({ maxRetries: 0, breakerCooldownMs: 50 }),
      new GatewayMetrics(),
    );
    for (let i = 0; i < 3; i += 1)
      await expect(sender.send(request())).rejects.toBeInstanceOf(BlooioHttpError);
    await expect(sender.send(request())).rejects.toBeInstanceOf(BlooioCircuitOpenError);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await expect(sender.send(request())).resolves.toMatchObject({ status: 202 });
    expect(sender.breakerFor('acme').state).toBe('closed');
  });

  it('does not count refusals (4xx) towards opening the circuit', async () => {
    const refusals = Array.from({ length: 5 }, () => new BlooioHttpError(403, {}));
    const { client } = scriptedClient(refusals);
    const sender = new BlooioSender(client, config({ maxRetries: 0 }), new GatewayMetrics());
    for (let i = 0; i < 5; i += 1)
      await expect(sender.send(request())).rejects.toBeInstanceOf(BlooioHttpError);
    await expect(sender.send(request())).resolves.toMatchObject({ status: 202 });
  });
});

describe('BlooioSender.status', () => {
  /** A client whose status calls answer from a script; sends always succeed. */
  function statusClient(steps: (Error | { status: number; body: object })[]) {
    const calls: { chatId: string; messageId: string; key: string }[] = [];
    const client = {
      getMessageStatus(chatId: string, messageId: string, apiKey: Secret) {
        calls.push({ chatId, messageId, key: apiKey.reveal() });
        const step = steps.shift() ?? { status: 200, body: { status: 'sent' } };
        return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
      },
      sendMessage: () => Promise.resolve(accepted),
    };
    return { client: client as unknown as BlooioClient, calls };
  }
  const statusRequest = (tenantId = 'acme') => ({
    tenantId,
    apiKey: new Secret('bl_key'),
    chatId: '+15551234567',
    messageId: 'msg_1',
  });

  it("asks with the tenant's key, retrying a 502 like a send", async () => {
    const { client, calls } = statusClient([new BlooioHttpError(502, {})]);
    const trace = { attempts: 0 };
    const report = await new BlooioSender(client, config(), new GatewayMetrics()).status({
      ...statusRequest(),
      trace,
    });
    expect(report).toEqual({ status: 200, body: { status: 'sent' }, attempts: 2 });
    expect(calls).toEqual([
      { chatId: '+15551234567', messageId: 'msg_1', key: 'bl_key' },
      { chatId: '+15551234567', messageId: 'msg_1', key: 'bl_key' },
    ]);
    expect(trace).toEqual({ attempts: 2, status: 200 });
  });

  it('shares the tenant breaker with sends: failing reads open it for sends too', async () => {
    const failures = Array.from({ length: 9 }, () => new BlooioHttpError(500, {}));
    const { client } = statusClient(failures);
    const sender = new BlooioSender(client, config({ maxRetries: 0 }), new GatewayMetrics());
    for (let i = 0; i < 3; i += 1) {
      await expect(sender.status(statusRequest())).rejects.toBeInstanceOf(BlooioHttpError);
    }
    await expect(sender.status(statusRequest())).rejects.toBeInstanceOf(BlooioCircuitOpenError);
    await expect(sender.send(request())).rejects.toBeInstanceOf(BlooioCircuitOpenError);
    await expect(sender.status(statusRequest('globex'))).rejects.toBeInstanceOf(BlooioHttpError);
  });
});
