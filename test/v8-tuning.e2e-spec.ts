import { spawnSync, type SpawnSyncOptionsWithStringEncoding } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { V8_FLAGS } from '../src/runtime/v8-tuning';
import { distFile } from './support/process';

jest.setTimeout(60_000);

/** Children run with no NODE_OPTIONS of the runner's (a heap flag would change V8's decisions). */
const CHILD: SpawnSyncOptionsWithStringEncoding = {
  encoding: 'utf8',
  env: { PATH: process.env.PATH },
  timeout: 30_000,
  maxBuffer: 64 * 1024 * 1024,
};

/**
 * Objects from one literal that all survive their young collections: V8 decides to allocate that
 * literal's objects in the old generation ("=> tenure" in its pretenuring trace) unless told not to.
 * V8 12 (Node 22, the image's runtime) decides so only after a young collection of a full-size new
 * space ("maybe tenure" before that), as under load in production: a 1 MB semi-space gets there
 * at once on both Node 20 and 22.
 */
const SURVIVING_LITERALS = `
  const kept = [];
  for (let i = 0; i < 2e6; i++) kept.push({ id: i, tags: [i] });
  process.stdout.write('kept ' + kept.length + '\\n');
`;

function runWithPretenuringTrace(prelude: string): string {
  const result = spawnSync(
    process.execPath,
    [
      '--max-semi-space-size=1',
      '--trace-pretenuring',
      '--trace-pretenuring-statistics',
      '-e',
      prelude + SURVIVING_LITERALS,
    ],
    CHILD,
  );
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('kept 2000000');
  return result.stdout;
}

/** Old objects that keep dying: V8 marks the old generation again and again. */
const OLD_GARBAGE = `
  const kept = [];
  for (let i = 0; i < 3e6; i++) {
    kept.push({ id: i, tags: [i] });
    if (kept.length > 2e5) kept.splice(0, 1e5);
  }
`;

/** What V8's helper threads marked, in KB, over the run (its own trace says). */
function kilobytesMarkedConcurrently(prelude: string): number {
  const result = spawnSync(
    process.execPath,
    ['--trace-concurrent-marking', '-e', prelude + OLD_GARBAGE],
    CHILD,
  );
  expect(result.status).toBe(0);
  return [...result.stdout.matchAll(/concurrently marked (\d+)KB/g)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

describe('V8 tuning (runtime/v8-tuning)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bgw-v8-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('turns off allocation-site pretenuring when applied at run time', () => {
    const tuning = JSON.stringify(distFile('runtime/v8-tuning.js'));
    expect(runWithPretenuringTrace('')).toMatch(/=> tenure\b/);
    const tuned = runWithPretenuringTrace(`require(${tuning}).applyV8Tuning();`);
    expect(tuned).not.toMatch(/=> tenure\b/);
    expect(tuned).not.toMatch(/pretenuring:/);
  });

  it('turns off concurrent marking when applied at run time', () => {
    const tuning = JSON.stringify(distFile('runtime/v8-tuning.js'));
    const untuned = kilobytesMarkedConcurrently('');
    expect(untuned).toBeGreaterThan(10_000);
    // A task V8 posted before the flag was set may still mark a few KB (as with the flag on argv).
    const tuned = kilobytesMarkedConcurrently(`require(${tuning}).applyV8Tuning();`);
    expect(tuned).toBeLessThan(untuned / 100);
  });

  it('is applied by main.js before any other module loads, even when boot then fails', () => {
    // A preload that reports every V8 flag set, and every module loaded, in order; then a boot
    // that fails fast (production mode without a tenant file).
    const preload = join(dir, 'report.js');
    writeFileSync(
      preload,
      `const v8 = require('node:v8');
       const Module = require('node:module');
       const set = v8.setFlagsFromString;
       v8.setFlagsFromString = (flags) => { process.stderr.write('v8 flag: ' + flags + '\\n'); set(flags); };
       const load = Module._load;
       Module._load = function (request, ...rest) {
         process.stderr.write('load: ' + request + '\\n');
         return load.call(this, request, ...rest);
       };`,
    );
    const result = spawnSync(process.execPath, ['-r', preload, distFile('main.js')], {
      ...CHILD,
      env: { ...CHILD.env, NODE_ENV: 'production', TENANTS_FILE: join(dir, 'none.yaml') },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('blooio-gateway: invalid configuration');
    const lines = result.stderr.split('\n');
    const flags = lines.filter((line) => line.startsWith('v8 flag: '));
    expect(flags).toEqual(V8_FLAGS.map((flag) => `v8 flag: ${flag}`));
    const lastFlag = lines.lastIndexOf(flags[flags.length - 1]);
    const loadedBefore = lines.slice(0, lastFlag).filter((line) => line.startsWith('load: '));
    expect(lines).toContain('load: @nestjs/core');
    expect(loadedBefore.map((line) => line.slice('load: '.length))).toEqual([
      expect.stringContaining('main.js'),
      './runtime/apply-v8-tuning',
      './v8-tuning',
      'node:v8',
    ]);
  });

  it('uses only flags this Node knows (setFlagsFromString ignores a misspelt one silently)', () => {
    for (const flag of V8_FLAGS) {
      const result = spawnSync(process.execPath, [flag, '-e', '0'], CHILD);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
    expect(spawnSync(process.execPath, ['--no-such-v8-flag', '-e', '0'], CHILD).status).not.toBe(0);
  });
});
