import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Dockerfile, its .dockerignore and the README's `docker run` examples, read as Docker would
 * (there is no Docker engine in CI): the build context holds what the build copies and nothing of
 * the tests or benchmarks, and each example runs as written.
 */

const REPO = join(__dirname, '..');
const read = (file: string) => readFileSync(join(REPO, file), 'utf8');

const dockerfile = read('Dockerfile');
const ignored = read('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

/** True when .dockerignore leaves `path` (a top-level file or folder) out of the context. */
function isIgnored(path: string): boolean {
  const name = path.replace(/^\.\//, '').replace(/\/$/, '');
  return ignored.some((pattern) => {
    const regex = new RegExp(
      `^${pattern
        .replace(/\/$/, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*/g, '[^/]*')}(?:/.*)?$`,
    );
    return regex.test(name);
  });
}

/** The README's fenced bash blocks, with `\` continuations joined into one line per command. */
function readmeCommands(): string[][] {
  const blocks = [...read('README.md').matchAll(/```bash\n([\s\S]*?)```/g)].map(([, body]) => body);
  return blocks.map((body) =>
    body
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter(Boolean),
  );
}

/** `--flag value` and `-e NAME=value` of one `docker run` line. */
function option(command: string, flag: string): string[] {
  const values: string[] = [];
  const pattern = new RegExp(`(?:^|\\s)${flag}(?:=|\\s+)(\\S+)`, 'g');
  for (const [, value] of command.matchAll(pattern)) values.push(value);
  return values;
}

describe('Docker image and examples (e2e)', () => {
  it('keeps tests, benchmarks and build leftovers out of the build context', () => {
    const mustBeIgnored = [
      'test',
      'bench',
      '.bench-builds',
      'dist',
      'node_modules',
      'coverage',
      '.git',
      'config/tenants.yaml',
      'src/app.spec.ts',
      'dist/.tsbuildinfo',
    ];
    expect(mustBeIgnored.filter((path) => !isIgnored(path))).toEqual([]);
  });

  it('leaves in the context every file the Dockerfile copies', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap(([, args]) =>
      args.trim().split(/\s+/).slice(0, -1),
    );
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'src']));
    expect(sources.filter(isIgnored)).toEqual([]);
    // And the sources compile on their own: nothing under src imports the tests.
    expect(read('tsconfig.build.json')).toMatch(/"exclude":[^\]]*"test"/);
  });

  it('runs as uid 1000 (node), which the README tells the tenant file to be readable by', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(read('README.md')).toMatch(/readable by\s+uid 1000/);
  });

  it("runs the README's docker examples as written: each Redis host is a container on a shared network", () => {
    const imageTenantsFile = /TENANTS_FILE=(\S+)/.exec(dockerfile)?.[1];
    const problems: string[] = [];
    let gatewayRuns = 0;
    for (const commands of readmeCommands()) {
      const runs = commands.filter((command) => command.startsWith('docker run '));
      for (const run of runs.filter((command) => /\sblooio-gateway$/.test(command))) {
        gatewayRuns += 1;
        const env = Object.fromEntries(
          option(run, '-e').map((pair) => [pair.split('=')[0], pair.slice(pair.indexOf('=') + 1)]),
        );
        const tenantsFile = env.TENANTS_FILE ?? imageTenantsFile;
        const mounts = option(run, '-v').map((volume) => volume.split(':')[1]);
        if (!mounts.includes(tenantsFile)) {
          problems.push(`${run}: mounts no tenant file at ${tenantsFile}`);
        }
        if (env.REDIS_URL === undefined) continue;
        const host = new URL(env.REDIS_URL).hostname;
        const [network] = option(run, '--network');
        if (!network) {
          problems.push(`${run}: REDIS_URL names ${host}, but the container is on no network`);
          continue;
        }
        const redis = runs.find(
          (command) =>
            option(command, '--name').includes(host) &&
            option(command, '--network').includes(network),
        );
        if (!redis) problems.push(`${run}: no container ${host} on the network ${network}`);
        if (!commands.some((command) => command === `docker network create ${network}`)) {
          problems.push(`${run}: the network ${network} is never created`);
        }
      }
    }
    expect(gatewayRuns).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});
