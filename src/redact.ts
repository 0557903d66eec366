/**
 * What every printer of secrets shares: the mask, and which argument or parameter names hold a
 * credential. Used by URL scrubbing (src/http/redact.ts), `exec=` entries in the join loop, the
 * config printer and argument validation.
 */

/** What a masked value is replaced with. */
export const REDACTED = '***';

// Ends in token/secret/password/credential/signature or a *_key that is a credential (api_key,
// access-key, secret_key...), or is exactly key/sig/auth. `tag_key` and `label_key` are not secrets.
const SECRET_NAME = /(token|secret|passw(or)?d|credentials?|signature|(api|access|private|secret|auth|client|signing)[-_]?key)$|^-*(key|sig|auth)$/i;

/**
 * Whether a parameter, flag or key name holds a credential: `api_key`, `--token`, `X-Amz-Signature`,
 * `client_secret`, `password` (not `tag_key`, `page`).
 */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}
