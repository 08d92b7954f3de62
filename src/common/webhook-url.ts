/**
 * Where the gateway may push a tenant's events (DESIGN §11): `https:`, or `http:` to a loopback
 * host only (a listener on the developer's machine), and never with credentials in the URL (they
 * would show wherever the URL does: answers, logs). Here, in common/, for the tenant file's schema
 * and for SANDBOX_WEBHOOK_URL alike.
 */
export const WEBHOOK_URL_EXAMPLE = 'https://crm.example.com/hooks/imessage';

/** `localhost`, 127.0.0.0/8 and [::1] (URL has already turned `127.1` and the like into dotted form). */
function isLoopback(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  const octets = hostname.split('.');
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255)
  );
}

/** Why `value` cannot be an endpoint's URL, or undefined when it can. Never echoes the value. */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute URL such as ${WEBHOOK_URL_EXAMPLE}`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    return 'must use https: (http: only to localhost, 127.0.0.0/8 or [::1])';
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not hold credentials (user:password@)';
  }
  return undefined;
}
