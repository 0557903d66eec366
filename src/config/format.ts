/**
 * The go-discover config printer (`Config.String()`), plus optional redaction of secrets.
 */

import { REDACTED, redactUserInfo } from '../redact.js';
import { compareCodePoints, goQuote, toWellFormed } from './go.js';

/** Options for {@link formatConfig}. */
export interface FormatConfigOptions {
  /**
   * Print the value of every key in `secretKeys`, and of every key outside `knownKeys`, as `***`,
   * and mask the user-info of URL values (`http://***@host`).
   * @default false
   */
  redact?: boolean;
  /**
   * The keys whose values are secret, matched exactly (keys are case-sensitive): a provider's
   * descriptor says which (`secretKeys(provider)` in the engine). Without it every value but the
   * provider name is masked, since the printer cannot know which are secret.
   */
  secretKeys?: Iterable<string>;
  /**
   * The keys the provider knows; the value of any other key is masked: a mistyped key accepted by
   * `--lenient` (`tokn=`, `secret_acces_key=`) may well hold a secret.
   * @default every key is known
   */
  knownKeys?: Iterable<string>;
}

// PR #287 (go-discover v1.1.0) added `=` so the printed form always re-parses.
const NEEDS_QUOTES = /[ "\\=]/;

function quoteIfNeeded(s: string): string {
  return NEEDS_QUOTES.test(s) ? goQuote(s) : s;
}

/**
 * Prints a config the way go-discover's `Config.String()` does: `provider` first, the other
 * keys in code-point order (Go's byte order on UTF-8, not JS's UTF-16 order), empty values
 * dropped, and a key or value quoted with Go's `strconv.Quote` only when it holds a space,
 * `"`, `\` or `=`. Tabs, newlines and other controls are printed raw, as in Go.
 *
 * Not every config round-trips, as in go-discover: a value that is only whitespace (`"\t"`)
 * prints unquoted and re-parses as `key: missing value`; the empty key prints as `=v`.
 *
 * @example
 *   formatConfig({ tag_value: 'consul server', provider: 'aws', secret_access_key: 'abc' },
 *     { redact: true, secretKeys: ['secret_access_key'] })
 *   // 'provider=aws secret_access_key=*** tag_value="consul server"'
 */
export function formatConfig(cfg: ReadonlyMap<string, string> | Readonly<Record<string, string>>, options: FormatConfigOptions = {}): string {
  const entries: Iterable<readonly [string, string]> = cfg instanceof Map ? cfg.entries() : Object.entries(cfg as Readonly<Record<string, string>>);
  const secrets = options.secretKeys === undefined ? undefined : new Set(options.secretKeys);
  const known = options.knownKeys === undefined ? undefined : new Set(options.knownKeys);
  const masked = (key: string) =>
    options.redact === true && key !== 'provider' && (secrets === undefined || secrets.has(key) || (known !== undefined && !known.has(key)));

  let provider: string | undefined;
  const rest: Array<readonly [string, string]> = [];
  for (const [rawKey, rawValue] of entries) {
    // A Go string cannot hold a lone surrogate; U+FFFD is what Go would print in its place.
    const key = toWellFormed(rawKey);
    const value = typeof rawValue === 'string' ? toWellFormed(rawValue) : rawValue;
    if (key === 'provider') provider = value;
    else rest.push([key, value]);
  }
  rest.sort((a, b) => compareCodePoints(a[0], b[0]));
  if (provider !== undefined) rest.unshift(['provider', provider]);

  const pairs: string[] = [];
  for (const [key, value] of rest) {
    // Go reads a missing key as "" and skips it; a JS caller may also hand us `undefined`.
    if (value === undefined || value === '') continue;
    const shown = masked(key) ? REDACTED : options.redact ? redactUserInfo(value) : value;
    pairs.push(`${quoteIfNeeded(key)}=${quoteIfNeeded(shown)}`);
  }
  return pairs.join(' ');
}
