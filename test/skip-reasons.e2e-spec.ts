import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * A suite that skips says why in the full `npm test` output, not only when run alone: Jest drops
 * the console output of a file whose tests were all skipped, so the reason must reach stderr.
 */

jest.setTimeout(180_000);

const ROOT = join(__dirname, '..');

/** Jest on `files` as `npm test` runs it (several files, so the multi-file reporter). */
function runJest(
  files: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [require.resolve('jest/bin/jest'), '--runInBand', '--ci', ...files],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('skip reasons in a full run (e2e)', () => {
  it("prints why the contract suite skipped when Blooio's document is absent", async () => {
    const missing = join(ROOT, 'no-such-dir', 'blooio-v2.openapi.json');
    const { code, output } = await runJest(
      ['test/contract.e2e-spec.ts', 'src/common/secret.spec.ts'],
      { BLOOIO_OPENAPI_SPEC: missing },
    );
    expect(code).toBe(0);
    expect(output).toContain(
      `SKIPPED "Blooio contract: the gateway's upstream requests against Blooio's OpenAPI document": ` +
        `Blooio's OpenAPI document is not at ${missing}`,
    );
    expect(output).toMatch(/Test Suites: 1 skipped, 1 passed/);
  });
});
