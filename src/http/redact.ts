/**
 * Credential scrubbing for anything that may reach a message, a log line or an error.
 * Every URL the HTTP stack prints goes through {@link redactUrl} first.
 */

import { isSecretName, REDACTED, userInfoSecrets } from '../redact.js';

export { REDACTED, scrubSecrets } from '../redact.js';

/**
 * Returns `url` without user info and with credential-like query values masked.
 * Input that does not parse as a URL is returned with any `user:pass@` removed, so a
 * malformed proxy setting cannot leak its password through an error message either.
 * @example
 *   redactUrl('http://bob:hunter2@proxy:3128/') === 'http://proxy:3128/'
 *   redactUrl('https://h/x?api_key=abc&page=2') === 'https://h/x?api_key=***&page=2'
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    // Up to the last `@`: a password holding `/` or a space (`http://u:a/b@h`) does not parse.
    return String(url).replace(/\/\/.*@/s, '//');
  }
  parsed.username = '';
  parsed.password = '';
  // Rebuilt by hand rather than through searchParams so untouched parameters keep their
  // original encoding (URLSearchParams would re-encode `%20` as `+`).
  if (parsed.search) {
    const query = parsed.search
      .slice(1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 0) return pair;
        let name = pair.slice(0, eq);
        try {
          name = decodeURIComponent(name.replace(/\+/g, ' '));
        } catch {
          // Keep the raw name; it is only used for the test below.
        }
        return isSecretName(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
      })
      .join('&');
    parsed.search = `?${query}`;
  }
  return parsed.href;
}

/** The user name and password of `url` (raw and decoded), for {@link scrubSecrets}. */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  const raw = userInfoSecrets(url);
  try {
    const parsed = new URL(url);
    const parts = [parsed.username, parsed.password].filter((s) => s.length > 0);
    const decoded = parts.map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
    // Longest first so a password containing the user name is masked whole.
    return [...new Set([...parts, ...decoded, ...raw])].sort((a, b) => b.length - a.length);
  } catch {
    return raw;
  }
}
