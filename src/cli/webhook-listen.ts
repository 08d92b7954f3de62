/**
 * `npm run webhooks:listen -- --port 4000 --secret whsec_… [--secret …] [--host 127.0.0.1] [--body]`
 * A local endpoint for the gateway's deliveries (like `stripe listen`): it reads each POST (at most
 * MAX_BODY_BYTES), verifies it per Standard Webhooks with the given secrets, answers 204 when it
 * verifies and 401 when not, and prints one line per delivery: time, verdict, event type,
 * webhook-id, data.messageId (and the body with --body). Never prints a secret.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Secret } from '../common/secret';
import { isWebhookSecret } from '../common/webhook-secret';
import { DEFAULT_TOLERANCE_SECONDS, verifyWebhook } from '../events/signing/standard-webhooks';

const USAGE =
  'usage: npm run webhooks:listen -- --port <port> --secret <whsec_…> [--secret <whsec_…>] [--host 127.0.0.1] [--tolerance 300] [--body]';
/** Far more than any event the gateway sends; a larger body is refused with 413 unread. */
export const MAX_BODY_BYTES = 1_048_576;
/** webhook-ids remembered to mark a delivery seen before (a retry or a replay). */
const REMEMBERED_IDS = 10_000;
/** A printed field at most this long, control characters dropped: the body is the sender's text. */
const MAX_FIELD = 120;

interface Options {
  host: string;
  port: number;
  secrets: Secret[];
  toleranceSeconds: number;
  printBody: boolean;
}

function fail(message: string): never {
  process.stderr.write(`webhooks:listen: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseCommandLine(): Options {
  let values: {
    port?: string;
    host?: string;
    secret?: string[];
    tolerance?: string;
    body?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        secret: { type: 'string', multiple: true },
        tolerance: { type: 'string' },
        body: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const port = Number(values.port ?? '4000');
  if (!/^\d{1,5}$/.test(values.port ?? '4000') || port > 65_535) {
    fail('--port must be a whole number from 0 to 65535');
  }
  const secrets = values.secret ?? [];
  if (secrets.length === 0) fail('--secret is required (npm run webhooks:secret makes one)');
  secrets.forEach((secret, index) => {
    // Never echoes the value: it may be a real secret, one character off.
    if (!isWebhookSecret(secret)) {
      fail(`--secret #${index + 1} must be whsec_ followed by the base64 of 24 to 64 bytes`);
    }
  });
  const tolerance = values.tolerance ?? String(DEFAULT_TOLERANCE_SECONDS);
  if (!/^\d{1,6}$/.test(tolerance)) fail('--tolerance must be whole seconds');
  return {
    host: values.host ?? '127.0.0.1',
    port,
    secrets: secrets.map((secret) => new Secret(secret)),
    toleranceSeconds: Number(tolerance),
    printBody: values.body ?? false,
  };
}

/** A value of the sender's, safe to print on one terminal line. */
function printable(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '-';
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ');
  return clean.length > MAX_FIELD ? `${clean.slice(0, MAX_FIELD)}…` : clean;
}

/** The event's type and message id, when the body is the JSON of one. */
function describeEvent(body: Buffer): { type: string; messageId: string } {
  try {
    const event = JSON.parse(body.toString('utf8')) as {
      type?: unknown;
      data?: { messageId?: unknown };
    };
    return { type: printable(event?.type), messageId: printable(event?.data?.messageId) };
  } catch {
    return { type: '(not JSON)', messageId: '-' };
  }
}

/** Reads the body, at most `limit` bytes: undefined when it is longer (the rest is drained). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
      } else if (!over) {
        chunks.push(chunk);
      }
    });
    request.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function answer(response: ServerResponse, status: number, body?: object): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function main(): void {
  const options = parseCommandLine();
  const seen = new Set<string>();
  const print = (line: string) => process.stdout.write(`${new Date().toISOString()}  ${line}\n`);

  const server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'POST') {
        response.setHeader('allow', 'POST');
        answer(response, 405, { error: 'method_not_allowed' });
        return;
      }
      const declared = Number(request.headers['content-length'] ?? '0');
      if (declared > MAX_BODY_BYTES) {
        print(`refused   413 body of ${declared} bytes is over ${MAX_BODY_BYTES}`);
        response.setHeader('connection', 'close');
        answer(response, 413, { error: 'body_too_large' });
        return;
      }
      const body = await readBody(request, MAX_BODY_BYTES);
      if (body === undefined) {
        print(`refused   413 body over ${MAX_BODY_BYTES} bytes`);
        answer(response, 413, { error: 'body_too_large' });
        return;
      }
      const verdict = verifyWebhook(
        request.headers,
        body,
        options.secrets,
        options.toleranceSeconds,
        Date.now(),
      );
      const { type, messageId } = describeEvent(body);
      const id = printable(request.headers['webhook-id']);
      if (verdict.valid) {
        const again = seen.has(verdict.id) ? '  (seen before: a retry or a replay)' : '';
        if (seen.size >= REMEMBERED_IDS) seen.clear();
        seen.add(verdict.id);
        print(`verified  204 ${type}  webhook-id=${id}  messageId=${messageId}${again}`);
        if (options.printBody) process.stdout.write(`${body.toString('utf8')}\n`);
        answer(response, 204);
      } else {
        print(
          `REFUSED   401 ${type}  webhook-id=${id}  messageId=${messageId}  ${verdict.reason}: ${verdict.detail}`,
        );
        answer(response, 401, { error: verdict.reason, detail: verdict.detail });
      }
    })().catch(() => {
      if (!response.headersSent) answer(response, 400, { error: 'unreadable_request' });
      else response.destroy();
    });
  });
  // A sender that stalls is cut off (the gateway's own deliveries are bounded too).
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  server.once('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(
      `webhooks:listen: cannot listen on ${options.host}:${options.port} (${error.code ?? error.message})\n`,
    );
    process.exit(1);
  });
  server.listen(options.port, options.host, () => {
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const count = options.secrets.length;
    process.stdout.write(
      `webhooks:listen: listening on http://${host}:${address.port} with ${count} secret${count === 1 ? '' : 's'}` +
        ` (tolerance ${options.toleranceSeconds} s); Ctrl-C to stop\n`,
    );
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
  }
}

main();
