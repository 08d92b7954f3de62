'use strict';

/** The one bench tenant: a fresh gateway key (only its digest goes to the file), a Blooio key. */
const { createHash, randomBytes } = require('node:crypto');
const { writeFileSync } = require('node:fs');
const path = require('node:path');

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SENDER = '+15550001111';
/** Blooio's webhook secret format: `whsec_` and printable characters (the tenant schema's rule). */
const newBlooioSigningSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

/** `bgw_` + 40 base62 characters, the gateway's own key format (src/tenants/api-key.ts). */
function generateGatewayKey() {
  let body = '';
  while (body.length < 40) {
    for (const byte of randomBytes(64)) {
      // 248 = 4 × 62: rejecting larger bytes keeps every character equally likely.
      if (byte < 248 && body.length < 40) body += BASE62[byte % 62];
    }
  }
  return `bgw_${body}`;
}

/**
 * Writes the tenant file (JSON, which is YAML) into `dir`. The limits are far above any load the
 * bench offers, so the rate limiter is measured as work done, never as 429s. The tenant has a
 * Blooio webhook signing secret (its receiver, `npm run bench -- --receiver`), its sender as its
 * inbound number, and `webhooks` (its own endpoints, issue 19) when `endpoints` are given.
 */
function writeTenantsFile(dir, { endpoints } = {}) {
  const gatewayKey = generateGatewayKey();
  const blooioKey = `bl_bench_${randomBytes(16).toString('hex')}`;
  const blooioSigningSecret = newBlooioSigningSecret();
  const document = {
    tenants: [
      {
        id: 'bench',
        name: 'Benchmark',
        blooio: {
          apiKey: blooioKey,
          senders: [SENDER],
          defaultSender: SENDER,
          webhook: { signingSecrets: [blooioSigningSecret], inboundNumbers: [SENDER] },
        },
        maxRecipients: 20,
        rateLimit: { perSecond: 1_000_000, perMinute: 60_000_000 },
        apiKeys: [
          {
            id: 'bench-runner',
            sha256: createHash('sha256').update(gatewayKey, 'utf8').digest('hex'),
            scopes: ['messages:send', 'messages:read', 'events:read'],
          },
        ],
        ...(endpoints && { webhooks: endpoints }),
      },
    ],
  };
  const file = path.join(dir, 'tenants.json');
  writeFileSync(file, JSON.stringify(document, null, 2), { mode: 0o600 });
  return { id: 'bench', file, gatewayKey, blooioKey, blooioSigningSecret, sender: SENDER };
}

module.exports = { writeTenantsFile, SENDER };
