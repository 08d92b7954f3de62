import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { V8_FLAGS } from '../src/runtime/v8-tuning';
import { distFile } from './support/process';

jest.setTimeout(30_000);

/**
 * Objects from one literal that all survive their young collections: V8 decides to allocate that
 * literal's objects in the old generation ("=> tenure" in its pretenuring trace) unless told not to.
 */
const SURVIVING_LITERALS = `
  const kept = [];
  for (let i = 0; i < 2e6; i++) kept.push({ id: i, tags: [i] });
  process.stdout.write('kept ' + kept.length + '\\n');
`;

function runWithPretenuringTrace(prelude: string): string {
  const result = spawnSync(
    process.execPath,
    ['--trace-pretenuring', '--trace-pretenuring-statistics', '-e', prelude + SURVIVING_LITERALS],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('kept 2000000');
  return result.stdout;
}

describe('V8 tuning (runtime/v8-tuning)', () => {
  it('turns off allocation-site pretenuring when applied at run time', () => {
    const tuning = JSON.stringify(distFile('runtime/v8-tuning.js'));
    expect(runWithPretenuringTrace('')).toMatch(/=> tenure\b/);
    const tuned = runWithPretenuringTrace(`require(${tuning}).applyV8Tuning();`);
    expect(tuned).not.toMatch(/=> tenure\b/);
    expect(tuned).not.toMatch(/pretenuring:/);
  });

  it('is applied by main.js before anything else, even when boot then fails', () => {
    // A preload that reports every V8 flag the process sets, then a boot that fails fast.
    const dir = mkdtempSync(join(tmpdir(), 'bgw-v8-'));
    const preload = join(dir, 'report-flags.js');
    writeFileSync(
      preload,
      `const v8 = require('node:v8');
       const set = v8.setFlagsFromString;
       v8.setFlagsFromString = (flags) => { process.stderr.write('v8 flag: ' + flags + '\\n'); set(flags); };`,
    );
    const result = spawnSync(process.execPath, ['-r', preload, distFile('main.js')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, NODE_ENV: 'production', TENANTS_FILE: join(dir, 'none.yaml') },
    });
    expect(result.status).toBe(1);
    const reported = result.stderr.split('\n').filter((line) => line.startsWith('v8 flag: '));
    expect(reported).toEqual(V8_FLAGS.map((flag) => `v8 flag: ${flag}`));
    expect(result.stderr).toContain('blooio-gateway: invalid configuration');
  });

  it('uses only flags this Node knows (setFlagsFromString ignores a misspelt one silently)', () => {
    for (const flag of V8_FLAGS) {
      const result = spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
    expect(spawnSync(process.execPath, ['--no-such-v8-flag', '-e', '0']).status).not.toBe(0);
  });
});
