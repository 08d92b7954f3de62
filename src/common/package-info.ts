import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** package.json sits one level above both src/ and dist/. */
const packageJson = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'),
) as {
  version: string;
};

export const PACKAGE_VERSION = packageJson.version;
