import { spawn, type ChildProcess } from 'node:child_process';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const HOST = '127.0.0.1';

/** A free loopback port: listen on port 0, read the port, close. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One entry of Prism's `sl-violations` response header. */
export interface PrismViolation {
  location: (string | number)[];
  severity: string;
  code: string | number;
  message: string;
}

export interface PrismMock {
  /** e.g. http://127.0.0.1:41234; Prism serves the spec's paths without the server's base path. */
  origin: string;
  /** The command line, for reports. */
  command: string;
  close: () => Promise<void>;
}

const PRISM_BIN = path.resolve(
  path.dirname(require.resolve('@stoplight/prism-cli/package.json')),
  'dist/index.js',
);

/**
 * Starts `prism mock` (static examples, one process) on the spec in its own process group, and
 * resolves once it answers HTTP. close() ends the whole group and waits for the exit.
 */
export async function startPrism(specPath: string, readyTimeoutMs = 45_000): Promise<PrismMock> {
  const port = await freePort();
  const args = ['mock', specPath, '--host', HOST, '--port', String(port), '--no-multiprocess'];
  const child = spawn(process.execPath, [PRISM_BIN, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => keep(Buffer.from(`\nspawn error: ${error.message}\n`)));
  // Safety net: never leave Prism behind if Jest exits without afterAll.
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);

  const close = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
  };

  const origin = `http://${HOST}:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await close();
      throw new Error(`Prism exited before it was ready:\n${output}`);
    }
    try {
      // Any HTTP answer (Prism says 404 for an unknown route) means it is listening.
      await fetch(`${origin}/__ready__`, { signal: AbortSignal.timeout(1_000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await close();
        throw new Error(`Prism did not answer within ${readyTimeoutMs} ms:\n${output}`);
      }
      await sleep(200);
    }
  }
  return { origin, command: `prism ${args.join(' ')}`, close };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the group this helper created (detached: true)
  } catch {
    // already gone
  }
}

/** One request the gateway (or a test) sent upstream, and what Prism said about it. */
export interface UpstreamExchange {
  method: string;
  /** The path as sent to the proxy, base path included, still percent-encoded. */
  path: string;
  /** The path forwarded to Prism (base path stripped). */
  prismPath: string;
  headers: IncomingHttpHeaders;
  /** The request body, parsed when it is JSON. */
  body: unknown;
  status: number;
  /** Decoded `sl-violations` header; undefined when Prism sent none. */
  violations?: PrismViolation[];
}

export interface RecordingProxy {
  /** Base URL for the gateway's BLOOIO_BASE_URL: the proxy's origin plus the base path. */
  baseUrl: string;
  exchanges: UpstreamExchange[];
  clear: () => void;
  close: () => Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
]);

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name) && name !== 'host'),
  );
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function decodeViolations(header: string | string[] | undefined): PrismViolation[] | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  try {
    return JSON.parse(text) as PrismViolation[];
  } catch {
    return [{ location: [], severity: 'Error', code: 'unparsed', message: text }];
  }
}

/**
 * A small HTTP proxy between the gateway and Prism: strips `basePath`, forwards, and records every
 * exchange (the gateway does not pass upstream headers such as `sl-violations` back to its caller).
 */
export async function startRecordingProxy(
  targetOrigin: string,
  basePath: string,
): Promise<RecordingProxy> {
  const target = new URL(targetOrigin);
  const exchanges: UpstreamExchange[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const requestPath = req.url ?? '/';
      const prismPath = requestPath.startsWith(`${basePath}/`)
        ? requestPath.slice(basePath.length)
        : requestPath;
      const exchange = {
        method: req.method ?? 'GET',
        path: requestPath,
        prismPath,
        headers: req.headers,
        body: parseBody(raw.toString('utf8')),
      };
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: prismPath,
          headers: { ...forwardable(req.headers), 'content-length': String(raw.length) },
        },
        (answer) => {
          const answerChunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
          answer.on('end', () => {
            const status = answer.statusCode ?? 0;
            exchanges.push({
              ...exchange,
              status,
              violations: decodeViolations(answer.headers['sl-violations']),
            });
            const payload = Buffer.concat(answerChunks);
            res.writeHead(status, {
              ...forwardable(answer.headers),
              'content-length': String(payload.length),
            });
            res.end(payload);
          });
        },
      );
      upstream.on('error', (error) => {
        exchanges.push({ ...exchange, status: 502 });
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy could not reach Prism: ${error.message}`);
      });
      upstream.end(raw);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://${HOST}:${port}${basePath}`,
    exchanges,
    clear: () => {
      exchanges.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
