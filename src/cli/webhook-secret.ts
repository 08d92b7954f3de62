/**
 * `npm run webhooks:secret`
 * Prints a new Standard Webhooks secret for a tenant endpoint (`whsec_` + base64 of 32 random
 * bytes), the tenant-file line to paste, and how to listen with it locally.
 */
import { parseArgs } from 'node:util';
import { generateWebhookSecret } from '../events/signing/standard-webhooks';

function main(): void {
  try {
    parseArgs({ options: {}, strict: true });
  } catch (error) {
    process.stderr.write(
      `webhooks:secret: ${(error as Error).message}\nusage: npm run webhooks:secret\n`,
    );
    process.exit(2);
  }
  const secret = generateWebhookSecret();
  process.stdout.write(
    [
      'New webhook endpoint secret (Standard Webhooks). It is shown only now: give it to the endpoint that verifies the deliveries.',
      '',
      `  ${secret}`,
      '',
      'Add it to the endpoint under webhooks in the tenant file (or keep it in an environment variable and write "${NAME}"):',
      '',
      `        secrets: ["${secret}"]`,
      '',
      'To see deliveries on this machine:',
      '',
      `  npm run webhooks:listen -- --port 4000 --secret ${secret}`,
      `  SANDBOX_WEBHOOK_URL=http://127.0.0.1:4000 SANDBOX_WEBHOOK_SECRET=${secret} npm start`,
      '',
    ].join('\n'),
  );
}

main();
