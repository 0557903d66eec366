/**
 * What every printer of secrets shares: the mask, the one name rule for `exec=` arguments and URL
 * parameters, URL user-info masking, and the scrubbing of known secret values from free text.
 * Config keys are secret when a provider's descriptor says so (`secret: true`, see `secretKeys` in
 * src/args.ts); this file names no cloud and no provider argument.
 */

/** What a masked value is replaced with. */
export const REDACTED = '***';

/**
 * Known secret values shorter than this are not searched for in free text: masking every `ab` of
 * a message would garble it. They are still masked wherever they are printed as a value.
 */
export const MIN_SCRUBBED_LENGTH = 4;

// Ends in token/secret/pass/password/credential/signature/bearer/authorization, a secret id, or a
// *_key that is a credential (api_key, access-key, secret_key...), or is exactly key/sig/auth/p
// (`-p` is the password flag of mysql, redis-cli, sshpass...). `tag_key`, `label_key`, `page` are not.
const SECRET_NAME =
  /(token|secret|pass|passw(or)?d|pwd|credentials?|signature|bearer|authorization|(api|access|private|secret|auth|client|signing)[-_]?key|secret[-_]?id)$|^(key|sig|auth|p)$/i;

/**
 * The one name rule: whether a parameter, flag, header or key name holds a credential.
 * Leading dashes and a trailing `:` (a header name) are ignored.
 * @example isSecretName('--secret-id') && isSecretName('Authorization:') && !isSecretName('tag_key')
 */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.replace(/^-+/, '').replace(/:$/, ''));
}

// `scheme://` then everything up to the last `@` of the value: a password may hold `/`, `:`, `#`
// or (quoted) a space, so a URL that does not parse still has its user-info found.
const VALUE_USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/is;
// In free text a URL ends at white space.
const TEXT_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s@]*@/gi;

/**
 * One value with the user-info of a URL (`scheme://user:pass@`) masked; other values unchanged.
 * Works on values that do not parse as URLs (`http://u:pa/ss@h`).
 * @example redactUserInfo('http://u:p@h:1/x') === 'http://***@h:1/x'
 */
export function redactUserInfo(value: string): string {
  return value.replace(VALUE_USER_INFO, `$1${REDACTED}@`);
}

/** The user-info of a URL-like value, whole, as its password, and URL-decoded: for {@link scrubSecrets}. */
export function userInfoSecrets(value: string): string[] {
  const match = VALUE_USER_INFO.exec(value);
  if (!match) return [];
  const userInfo = match[2] as string;
  const colon = userInfo.indexOf(':');
  const parts = [userInfo, colon < 0 ? '' : userInfo.slice(colon + 1)];
  for (const part of [...parts]) {
    try {
      parts.push(decodeURIComponent(part));
    } catch {
      // Not percent-encoded; the raw form is already listed.
    }
  }
  return parts.filter((part) => part !== '');
}

/**
 * Free text with every known secret value replaced by `***` (longest first, so a password holding
 * the user name is masked whole) and the user-info of any URL in it masked.
 */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  return secretScrubber(secrets)(text);
}

/**
 * `scrubSecrets` with `secrets` sorted once, for a caller that scrubs many texts with the same ones
 * (a provider's logger: one debug line per request).
 */
export function secretScrubber(secrets: Iterable<string>): (text: string) => string {
  const sorted = [...new Set(secrets)].filter((s) => s.length >= MIN_SCRUBBED_LENGTH).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of sorted) out = out.split(secret).join(REDACTED);
    return out.replace(TEXT_USER_INFO, `$1${REDACTED}@`);
  };
}

/**
 * The error with its message (and its causes' messages) scrubbed of `secrets`; the same object,
 * so its class and code stay. Anything else is returned unchanged.
 */
export function scrubError<T>(error: T, secrets: Iterable<string>): T {
  const list = [...secrets];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    const scrubbed = scrubSecrets(current.message, list);
    if (scrubbed !== current.message) {
      try {
        current.message = scrubbed;
      } catch {
        // A frozen error keeps its message; the printers scrub again.
      }
    }
    current = current.cause;
  }
  return error;
}
