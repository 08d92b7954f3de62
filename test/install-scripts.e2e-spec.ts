import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * No analytics or other network call at install time (the run time makes none of its own): every
 * package in the lockfile with an install script is reviewed in package.json's allowScripts (npm
 * 11.16+ denies a `false` one, and warns about any not listed), @scarf/scarf is denied and opted
 * out of for npm versions that ignore allowScripts, and the image installs with no scripts at all.
 */

const REPO = join(__dirname, '..');
const read = (file: string) => readFileSync(join(REPO, file), 'utf8');

interface PackageJson {
  allowScripts?: Record<string, boolean | string>;
  scarfSettings?: { enabled?: boolean };
}
interface Lockfile {
  packages: Record<string, { hasInstallScript?: boolean }>;
}

describe('install scripts (e2e)', () => {
  const pkg = JSON.parse(read('package.json')) as PackageJson;

  it('reviews every install script of the lockfile in allowScripts', () => {
    const lock = JSON.parse(read('package-lock.json')) as Lockfile;
    const withScripts = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts).toContain('@scarf/scarf');
    const unreviewed = withScripts.filter((name) => pkg.allowScripts?.[name] === undefined);
    expect(unreviewed).toEqual([]);
  });

  it("denies @scarf/scarf's postinstall and opts out of its analytics", () => {
    expect(pkg.allowScripts?.['@scarf/scarf']).toBe(false);
    // Read by scarf's own report.js from the root package.json, whatever the npm version.
    expect(pkg.scarfSettings?.enabled).toBe(false);
  });

  it('builds the image with no install script', () => {
    const installs = read('Dockerfile')
      .split('\n')
      .filter((line) => /\bnpm (ci|install)\b/.test(line));
    expect(installs).toHaveLength(2);
    for (const line of installs) expect(line).toContain('--ignore-scripts');
  });
});
