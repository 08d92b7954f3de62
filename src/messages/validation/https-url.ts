const MAX_URL_LENGTH = 2_048;

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const WHITESPACE_OR_CONTROL = /[\s\x00-\x1f\x7f]/;

/** An absolute https: URL with a host, no credentials, whitespace or control characters. */
export function isHttpsUrl(value: unknown): value is string {
  if (
    typeof value !== 'string' ||
    value.length > MAX_URL_LENGTH ||
    WHITESPACE_OR_CONTROL.test(value)
  ) {
    return false;
  }
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname.length > 0 && !url.username && !url.password;
  } catch {
    return false;
  }
}
