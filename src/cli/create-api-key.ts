/**
 * `npm run keys:create -- --tenant acme --id orders-service [--scopes messages:send]`
 * Prints a new gateway API key (once) and the tenant-file entry holding only its SHA-256.
 */
import { parseArgs } from 'node:util';
import { generateApiKey, hashApiKey } from '../common/api-key';
import { KEY_ID_PATTERN, SCOPES, TENANT_ID_PATTERN } from '../tenants/tenant';

function fail(message: string): never {
  process.stderr.write(
    `keys:create: ${message}\nusage: npm run keys:create -- --tenant <tenant id> --id <key id> [--scopes ${SCOPES.join(',')}]\n`,
  );
  process.exit(2);
}

function main(): void {
  let values: { tenant?: string; id?: string; scopes?: string };
  try {
    ({ values } = parseArgs({
      options: { tenant: { type: 'string' }, id: { type: 'string' }, scopes: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const { tenant, id } = values;
  if (!tenant) fail('--tenant is required');
  if (!TENANT_ID_PATTERN.test(tenant)) fail('--tenant must match ^[a-z0-9][a-z0-9-]{0,62}$');
  if (!id) fail('--id is required');
  if (!KEY_ID_PATTERN.test(id)) fail('--id must be 1 to 64 letters, digits, ".", "_" or "-"');
  const scopes = values.scopes?.split(',').map((scope) => scope.trim());
  const unknown = scopes?.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknown?.length) fail(`unknown scope ${unknown.join(', ')} (known: ${SCOPES.join(', ')})`);

  const key = generateApiKey();
  const entry = [
    // Quoted: YAML would read an id such as 2024 or true as a number or a boolean.
    `      - id: "${id}"`,
    `        sha256: "${hashApiKey(key)}"`,
    ...(scopes ? [`        scopes: [${scopes.map((scope) => `"${scope}"`).join(', ')}]`] : []),
  ];
  process.stdout.write(
    [
      `New API key "${id}" for tenant "${tenant}". It is shown only now: hand it to the service that will use it.`,
      '',
      `  ${key}`,
      '',
      `Add this entry under apiKeys of tenant "${tenant}" in the tenant file (it holds only the key's SHA-256):`,
      '',
      ...entry,
      '',
    ].join('\n'),
  );
}

main();
