/**
 * What the CLI adds after a config-string parse error, in parentheses: go-discover's text comes
 * first, to the letter, and the library's `ConfigParseError.message` is left alone. A hint never
 * quotes a masked word: for `***` it names the key the word follows, not the word.
 */
import type { ConfigParseError } from '../errors.js';
import { REDACTED } from '../redact.js';

export interface HintContext {
  /** The config string as the engine read it: the arguments joined with single spaces. */
  cfg: string;
  /** The command the config string was given to (`addrs`, `check`). */
  command: string;
  /** Whether a word is a global flag that takes a value (`--timeout`), for the example. */
  takesValue: (flag: string) => boolean;
}

/** The hint for a parse error, with its leading space, or `''`. */
export function parseErrorHint(error: ConfigParseError, context: HintContext): string {
  const missingEquals = error.message.endsWith(": missing '='");
  if (!missingEquals && !error.message.endsWith(': duplicate key')) return '';
  if (error.key === REDACTED) {
    // The word may be the rest of a secret value: say where it is, never what it is.
    return error.after === undefined ? '' : ` (the word after ${error.after}=...; a value with spaces needs double quotes)`;
  }
  if (!missingEquals) return '';
  if (error.key.startsWith('-')) {
    // Go's flag parsing stops at the command's first argument; from the first key=value on, everything is config.
    const flag = `${error.key}${context.takesValue(error.key) ? ' VALUE' : ''}`;
    return ` (flags go before the config string: discover ${flag} ${context.command} key=val ...)`;
  }
  // A provider name never holds a space: `provider=aws foo` is a stray word, not a split value.
  if (error.after === undefined || error.after === 'provider') return '';
  const example = error.keyAt === undefined ? undefined : quotedExample(context.cfg, error.after, error.key, error.keyAt);
  return ` (a value with spaces needs double quotes inside the argument${example === undefined ? '' : `: ${example}`})`;
}

/**
 * `'tag_value="nomad server"'` for `tag_value=nomad server` and for `tag_value='nomad server'`
 * (shell quotes inside the argument are text to the parser): the value as it was probably meant,
 * up to the next `key=value`. Undefined when the pair is not written `key=value` or the value
 * holds a quote or a backslash.
 */
function quotedExample(cfg: string, key: string, word: string, at: number): string | undefined {
  const pairAt = cfg.lastIndexOf(`${key}=`, at);
  if (pairAt < 0) return undefined;
  const valueAt = pairAt + key.length + 1;
  let value: string;
  if (cfg[valueAt] === "'") {
    const close = cfg.indexOf("'", valueAt + 1);
    if (close < 0) return undefined;
    value = cfg.slice(valueAt + 1, close);
  } else {
    const more: string[] = [];
    for (const next of cfg.slice(at + word.length).split(' ')) {
      if (next === '') continue;
      if (next.includes('=') || next.startsWith('-')) break;
      more.push(next);
    }
    value = [cfg.slice(valueAt, at + word.length), ...more].join(' ');
  }
  if (/["'\\]/.test(value)) return undefined;
  return `'${key}="${value}"'`;
}
