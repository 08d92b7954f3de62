import { request as httpRequest, Agent, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { BlooioSimulator } from '../src/sandbox/blooio-simulator';
import { distFile, freePort, runNode, type RunningProcess } from './support/process';
import { BLOOIO_KEYS, KEYS, TEST_TENANT_ENV, testTenantsDocument } from './support/tenants.fixture';

/**
 * SIGTERM/SIGINT against the built gateway (`node dist/main.js`), with a slow Blooio simulator
 * in this process: readiness turns 503 at once, the listener closes after SHUTDOWN_DELAY_MS,
 * requests in flight still get their answers, SHUTDOWN_GRACE_MS bounds the wait, exit code 0.
 */

jest.setTimeout(30_000);

interface Gateway {
  run: RunningProcess;
  port: number;
  /** Date.now() when the process exited. */
  exitedAt: Promise<number>;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether the request went over a connection an earlier request had opened. */
  reusedSocket: boolean;
}

interface LogLine {
  level?: string;
  msg?: string;
  [field: string]: unknown;
}

const MESSAGE = { recipients: ['+15551234567'], text: 'hello' };

let simulator: BlooioSimulator | undefined;
const gateways: Gateway[] = [];
const agents: Agent[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  for (const { run } of gateways.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    await run.exited;
  }
  await simulator?.close();
  simulator = undefined;
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startSimulator(latencyMs: number): Promise<BlooioSimulator> {
  simulator = await BlooioSimulator.start({
    apiKeys: [BLOOIO_KEYS.acme, BLOOIO_KEYS.globex],
    latencyMs,
  });
  return simulator;
}

/** The built gateway with the test tenants in front of `upstream`, once it answers /health/live. */
async function startGateway(
  upstream: BlooioSimulator,
  env: Record<string, string> = {},
): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-shutdown-'));
  tempDirs.push(dir);
  const tenantsFile = join(dir, 'tenants.yaml');
  writeFileSync(tenantsFile, stringify(testTenantsDocument()));
  const port = await freePort();
  const run = runNode(distFile('main.js'), [], {
    env: {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      TENANTS_FILE: tenantsFile,
      BLOOIO_BASE_URL: upstream.baseUrl,
      ...TEST_TENANT_ENV,
      ...env,
    },
  });
  const gateway = { run, port, exitedAt: run.exited.then(() => Date.now()) };
  gateways.push(gateway);

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (run.child.exitCode !== null) {
      throw new Error(`the gateway exited at start:\n${run.stdout()}\n${run.stderr()}`);
    }
    const live = await send(port, { path: '/health/live' }).catch(() => undefined);
    if (live?.status === 200) return gateway;
    if (Date.now() > deadline) {
      throw new Error(`the gateway did not listen:\n${run.stdout()}\n${run.stderr()}`);
    }
    await sleep(50);
  }
}

/**
 * One HTTP request. Without `agent` it goes over a connection of its own (`agent: false`, so no
 * pool keeps it), which is what a new client does.
 */
function send(
  port: number,
  options: { method?: string; path: string; body?: object; agent?: Agent },
): Promise<Answer> {
  const body = options.body && JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        agent: options.agent ?? false,
        headers: {
          ...(body && { 'content-type': 'application/json' }),
          ...(options.path.startsWith('/v1/') && { authorization: `Bearer ${KEYS.acmeOrders}` }),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text,
            reusedSocket: request.reusedSocket,
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const postMessage = (port: number, agent?: Agent) =>
  send(port, { method: 'POST', path: '/v1/messages', body: MESSAGE, agent });

/** A fresh TCP connection: true when it is refused, false when the listener accepts it. */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNREFUSED' ? resolve(true) : reject(error),
    );
  });
}

/** Polls until `check` is true; resolves with Date.now() then, rejects after `timeoutMs`. */
async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 20,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Waits until Blooio has received the send, so it is in flight in the gateway. */
const upstreamReceived = (upstream: BlooioSimulator, count = 1) =>
  waitFor('the send reached the simulator', () => upstream.requests.length >= count, 5_000, 10);

/** Sends the signal; returns Date.now() just before. */
function signal(gateway: Gateway, name: NodeJS.Signals): number {
  const at = Date.now();
  expect(gateway.run.child.kill(name)).toBe(true);
  return at;
}

/** The JSON lines of the gateway's stdout. */
function logLines(gateway: Gateway): LogLine[] {
  return gateway.run
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** The first log line with these fields. */
const findLine = (lines: LogLine[], fields: Partial<LogLine>) =>
  lines.find((line) => Object.entries(fields).every(([key, value]) => line[key] === value));

/**
 * When a line was logged (NaN when there is no line). Lines are ordered by their `time`, not by
 * their position: pino writes stdout asynchronously and main.ts ends with process.exit(), whose
 * flush can put the last line before an earlier one that was still being written.
 */
const timeOf = (line: LogLine | undefined) => Date.parse(String(line?.time));

describe('graceful shutdown (e2e)', () => {
  it('SIGTERM during a slow request: the request gets its 202, then the process exits 0', async () => {
    const upstream = await startSimulator(1_500);
    const gateway = await startGateway(upstream);

    const startedAt = Date.now();
    const answer = postMessage(gateway.port);
    await upstreamReceived(upstream);
    await sleep(Math.max(0, startedAt + 300 - Date.now()));
    const signalledAt = signal(gateway, 'SIGTERM');

    const response = await answer;
    expect(response.status).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({
      status: 'queued',
      messageId: expect.stringMatching(/^msg_/),
    });
    expect(await gateway.run.exited).toBe(0);
    expect((await gateway.exitedAt) - signalledAt).toBeLessThan(5_000);

    const lines = logLines(gateway);
    const shuttingDown = findLine(lines, { msg: 'shutting down', signal: 'SIGTERM' });
    const request = findLine(lines, { msg: 'request', route: '/v1/messages', status: 202 });
    const shutDown = findLine(lines, { msg: 'shut down', clean: true });
    expect(shuttingDown).toMatchObject({ level: 'info', delayMs: 2_000, graceMs: 10_000 });
    expect(request).toMatchObject({ level: 'info', tenant: 'acme', upstreamStatus: 202 });
    expect(shutDown).toMatchObject({ level: 'info' });
    expect(timeOf(request)).toBeGreaterThan(timeOf(shuttingDown));
    expect(timeOf(shutDown)).toBeGreaterThanOrEqual(timeOf(request));
    expect(gateway.run.stderr()).toBe('');
  });

  it('SHUTDOWN_DELAY_MS: readiness 503 at once, still serving (Connection: close), then the listener closes', async () => {
    const upstream = await startSimulator(0);
    const gateway = await startGateway(upstream, { SHUTDOWN_DELAY_MS: '1500' });
    // A client with a keep-alive connection open before the signal.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const before = await send(gateway.port, { path: '/health/ready', agent });
    expect(before.status).toBe(200);
    expect(before.headers.connection).toBe('keep-alive');

    const signalledAt = signal(gateway, 'SIGTERM');

    let ready: Answer | undefined;
    const notReadyAt = await waitFor(
      'readiness 503',
      async () => {
        ready = await send(gateway.port, { path: '/health/ready' });
        return ready.status !== 200;
      },
      500,
    );
    expect(notReadyAt - signalledAt).toBeLessThan(500);
    expect(ready?.status).toBe(503);
    expect(ready?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(ready?.body ?? '{}')).toMatchObject({ status: 503, code: 'not_ready' });

    const live = await send(gateway.port, { path: '/health/live' });
    expect(live.status).toBe(200);

    // During the delay: the open connection is still served, and told to close.
    const during = await postMessage(gateway.port, agent);
    expect(during.status).toBe(202);
    expect(JSON.parse(during.body)).toMatchObject({ messageId: expect.stringMatching(/^msg_/) });
    expect(during.reusedSocket).toBe(true);
    expect(during.headers.connection).toBe('close');
    // …and so is a new connection.
    expect(await connectionRefused(gateway.port)).toBe(false);
    const fresh = await postMessage(gateway.port);
    expect(fresh.status).toBe(202);
    expect(Date.now() - signalledAt).toBeLessThan(1_500);

    // After the delay the listener closes.
    const refusedAt = await waitFor(
      'connection refused',
      () => connectionRefused(gateway.port),
      3_000,
    );
    expect(refusedAt - signalledAt).toBeGreaterThanOrEqual(1_400);
    expect(await gateway.run.exited).toBe(0);
    expect((await gateway.exitedAt) - signalledAt).toBeLessThan(3_500);
    expect(findLine(logLines(gateway), { msg: 'shut down', clean: true })).toBeDefined();
  });

  it('SHUTDOWN_DELAY_MS=0: new connections are refused at once, the request in flight still completes', async () => {
    const upstream = await startSimulator(1_500);
    const gateway = await startGateway(upstream, { SHUTDOWN_DELAY_MS: '0' });
    const agent = new Agent({ keepAlive: true });
    agents.push(agent);

    const answer = postMessage(gateway.port, agent);
    let answeredAt: number | undefined;
    void answer.then(
      () => (answeredAt = Date.now()),
      () => undefined,
    );
    await upstreamReceived(upstream);
    const signalledAt = signal(gateway, 'SIGTERM');

    const refusedAt = await waitFor(
      'connection refused',
      () => connectionRefused(gateway.port),
      1_000,
    );
    expect(refusedAt - signalledAt).toBeLessThan(500);
    expect(answeredAt).toBeUndefined();

    const response = await answer;
    expect(response.status).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({ messageId: expect.stringMatching(/^msg_/) });
    // The client asked for keep-alive; the answer tells it not to reuse this connection.
    expect(response.headers.connection).toBe('close');
    expect(await gateway.run.exited).toBe(0);
    expect((await gateway.exitedAt) - signalledAt).toBeLessThan(5_000);
  });

  it('SHUTDOWN_GRACE_MS bounds the wait: a request still running is cut, the process exits 0', async () => {
    const upstream = await startSimulator(5_000);
    const gateway = await startGateway(upstream, {
      SHUTDOWN_GRACE_MS: '500',
      SHUTDOWN_DELAY_MS: '0',
      // Neither the deadline nor an attempt timeout may end the request before the grace period.
      BLOOIO_TIMEOUT_MS: '8000',
      BLOOIO_MAX_RETRIES: '0',
    });

    const answer = postMessage(gateway.port);
    const failedAt = answer.then(
      () => undefined,
      () => Date.now(),
    );
    await upstreamReceived(upstream);
    const signalledAt = signal(gateway, 'SIGTERM');

    await expect(answer).rejects.toThrow(/socket hang up|ECONNRESET/);
    const cutAfter = ((await failedAt) ?? 0) - signalledAt;
    expect(cutAfter).toBeGreaterThanOrEqual(400);
    expect(cutAfter).toBeLessThan(2_500);
    expect(await gateway.run.exited).toBe(0);

    const lines = logLines(gateway);
    const warning = lines.find((line) => /shutdown grace period/.test(line.msg ?? ''));
    const shutDown = findLine(lines, { msg: 'shut down', clean: false });
    expect(warning).toMatchObject({ level: 'warn', graceMs: 500 });
    expect(shutDown).toMatchObject({ level: 'info' });
    expect(timeOf(shutDown)).toBeGreaterThanOrEqual(timeOf(warning));
    // The grace period bounds the whole shutdown, not only the client's connection.
    const exitAfter = (await gateway.exitedAt) - signalledAt;
    expect(exitAfter).toBeGreaterThanOrEqual(400);
    expect(exitAfter).toBeLessThan(2_500);
  });

  it('ignores a repeated SIGTERM while draining; a second SIGINT exits at once', async () => {
    const upstream = await startSimulator(1_500);
    const patient = await startGateway(upstream, { SHUTDOWN_DELAY_MS: '0' });
    const answer = postMessage(patient.port);
    await upstreamReceived(upstream);
    signal(patient, 'SIGTERM');
    await sleep(200);
    signal(patient, 'SIGTERM');
    expect((await answer).status).toBe(202);
    expect(await patient.run.exited).toBe(0);
    expect(findLine(logLines(patient), { msg: 'already shutting down' })).toBeDefined();

    const impatient = await startGateway(upstream);
    const cut = postMessage(impatient.port);
    await upstreamReceived(upstream, 2);
    signal(impatient, 'SIGINT');
    await sleep(200);
    const secondAt = signal(impatient, 'SIGINT');
    await expect(cut).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(await impatient.run.exited).toBe(130);
    expect((await impatient.exitedAt) - secondAt).toBeLessThan(1_000);
  });

  it('SIGINT behaves like SIGTERM, without the delay', async () => {
    const upstream = await startSimulator(1_000);
    const gateway = await startGateway(upstream);

    const answer = postMessage(gateway.port);
    await upstreamReceived(upstream);
    const signalledAt = signal(gateway, 'SIGINT');

    expect((await answer).status).toBe(202);
    expect(await gateway.run.exited).toBe(0);
    expect((await gateway.exitedAt) - signalledAt).toBeLessThan(5_000);
    const lines = logLines(gateway);
    expect(findLine(lines, { msg: 'shutting down', signal: 'SIGINT' })).toBeDefined();
    expect(findLine(lines, { msg: 'shut down', clean: true })).toBeDefined();
  });
});
