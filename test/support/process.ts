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
 * A replica as production runs it (`node dist/main.js`, NODE_ENV=production) on a loopback port of
 * its own, with `tenants` as its tenant file (the fixture's ${…} variables set), plus `env`.
 */
export async function spawnReplica(
  tenants: unknown,
  env: NodeJS.ProcessEnv,
): Promise<{ process: RunningProcess; port: number }> {
  const port = await freePort();
  const tenantsFile = join(mkdtempSync(join(tmpdir(), 'bgw-replica-')), 'tenants.yaml');
  writeFileSync(tenantsFile, JSON.stringify(tenants));
  const child = runNode(distFile('main.js'), [], {
    env: {
      ...TEST_TENANT_ENV,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      TENANTS_FILE: tenantsFile,
      ...env,
    },
  });
  return { process: child, port };
}
