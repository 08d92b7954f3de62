import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_TENANT_ENV } from './tenants.fixture';

export const DIST = join(__dirname, '..', '..', 'dist');

/** The built gateway, as `npm start` and production run it. `npm test` builds it first. */
export function distFile(relative: string): string {
  const file = join(DIST, relative);
  if (!existsSync(file))
    throw new Error(`${file} is missing: run \`npm run build\` (npm test does it)`);
  return file;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RunningProcess {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
  waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  stop: () => Promise<number | null>;
}

export function runNode(
  script: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): RunningProcess {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: async (pattern, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = pattern.exec(out) ?? pattern.exec(err);
        if (match) return match;
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no ${pattern} in output:\n${out}\n${err}`);
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * The built gateway as a real process (`node dist/main.js`, NODE_ENV=production) on a loopback port
 * of its own, with `tenants` as its TENANTS_FILE (the fixture's ${…} variables set), plus `env`;
 * resolves once it is ready.
 */
export async function startGatewayProcess(
  tenants: unknown,
  env: Record<string, string>,
): Promise<{ process: RunningProcess; url: string }> {
  const port = await freePort();
  const tenantsFile = join(mkdtempSync(join(tmpdir(), 'bgw-process-')), 'tenants.yaml');
  writeFileSync(tenantsFile, JSON.stringify(tenants));
  const child = runNode(distFile('main.js'), [], {
    env: {
      ...TEST_TENANT_ENV,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      TENANTS_FILE: tenantsFile,
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await fetch(`${url}/health/ready`).then(
      (answer) => answer.ok,
      () => false,
    );
    if (ready) return { process: child, url };
    if (child.child.exitCode !== null || Date.now() > deadline) {
      child.child.kill('SIGKILL');
      throw new Error(`the gateway did not get ready:\n${child.stdout()}\n${child.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
