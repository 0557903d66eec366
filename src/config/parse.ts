/**
 * The go-discover config-string parser (`discover.Parse`), rune for rune: a Parsimmon lexer
 * that yields go-discover's TEXT / EQUAL / ERROR items, and go-discover's KEY → EQUAL → VAL
 * state machine on top. docs/config-string.md has the grammar and every quirk kept.
 */

import { createRequire } from 'node:module';
import type Parsimmon from 'parsimmon';
import { ConfigParseError } from '../errors.js';
import { goTrimSpace, goUnquote, isGoSpace, toWellFormed } from './go.js';

// Loaded through require: Node's ESM wrapper for this CommonJS package costs ~7 ms more at startup.
const P: typeof Parsimmon = createRequire(import.meta.url)('parsimmon');

type Token = { kind: 'text'; value: string; end: number } | { kind: 'equal'; end: number } | { kind: 'error'; value: string; end: number };

// Each token may start with U+0020 spaces (go-discover's lexer swallows them into the token);
// no other whitespace separates tokens. `$` pins the unterminated quote forms to the end of
// input, where go-discover's lexer reports them.
const QUOTED_BODY = String.raw`"(?:[^"\\]|\\[\s\S])*`;

/**
 * A Parsimmon parser for one token shape, matched in place with a sticky regexp: Parsimmon's
 * own `P.regexp` slices the input at every attempt, which dominated the parse time.
 */
function lexeme(pattern: string, make: (match: RegExpExecArray, end: number) => Token): Parsimmon.Parser<Token> {
  const sticky = new RegExp(pattern, 'y');
  return P((input, index) => {
    sticky.lastIndex = index;
    const match = sticky.exec(input);
    if (match === null) return P.makeFailure(index, pattern);
    const end = index + match[0].length;
    return P.makeSuccess(end, make(match, end));
  });
}

// Unquoted text runs to the next `=` or U+0020, then is trimmed with Go's whitespace set, so a
// token made only of tabs or NBSPs becomes an empty key or value, as in go-discover.
const text = lexeme(' *[^ ="][^ =]*', (match, end) => ({ kind: 'text', value: goTrimSpace(match[0]), end }));

const equal = lexeme(' *=', (_match, end) => ({ kind: 'equal', end }));

// A `"` opens a quoted token only as the token's first non-space rune. The token ends at the
// closing quote whatever follows it; `strconv.Unquote` then judges the escapes.
const quoted = lexeme(` *(${QUOTED_BODY}")`, (match, end) => {
  const value = goUnquote(match[1]!);
  return value === undefined ? { kind: 'error', value: 'invalid syntax', end } : { kind: 'text', value, end };
});

const unterminatedEscape = lexeme(` *${QUOTED_BODY}\\\\$`, (_match, end) => ({
  kind: 'error',
  value: 'unterminated escape sequence',
  end,
}));

const unbalanced = lexeme(` *${QUOTED_BODY}$`, (_match, end) => ({ kind: 'error', value: 'unbalanced quotes', end }));

// Only reachable on trailing spaces, which the outer trim normally removes.
const blank = lexeme(' +$', (_match, end) => ({ kind: 'text', value: '', end }));

// The shapes are told apart by their first non-space rune, so the order only matters within
// the quoted family; the common ones come first.
const token = P.alt(text, equal, quoted, unterminatedEscape, unbalanced, blank);

/** The lexer is total: every non-empty remainder starts some token, so `many` reaches the end. */
const tokens = token.many();

/** Code points in `s.slice(0, unitIndex)`; `s` is well-formed. */
function codePointOffset(s: string, unitIndex: number): number {
  let pairs = 0;
  for (let i = 0; i < unitIndex; i++) {
    const unit = s.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff) pairs++;
  }
  return unitIndex - pairs;
}

/**
 * Parses a go-discover config string (`key=val key="quoted val" …`) into a Map, exactly as
 * go-discover's `Parse` does, errors included.
 *
 * - Only U+0020 separates pairs; each token is trimmed with Go's `strings.TrimSpace` set.
 * - A `"` opens a quoted token only at a token's start; inside, Go string-literal escapes.
 * - `key=""` gives `''`; `key=` is an error; a duplicate key is an error; `__proto__` is an
 *   ordinary key.
 * - Empty or blank input gives an empty Map (go-discover returns a nil config).
 * - Deviation forced by JS strings: a lone surrogate in `s`, and a `\xHH`/`\NNN` escape whose
 *   bytes are not valid UTF-8, become U+FFFD (one per surrogate or byte).
 *
 * @throws {ConfigParseError} with go-discover's message to the letter (`key: missing '='`,
 *   `key: duplicate key`, `key: invalid syntax`, …), the key it names (the previous key, as
 *   go-discover does) and the offset in code points into the trimmed input after the token
 *   where parsing stopped.
 * @example
 *   parseConfig('provider=aws tag_key=role tag_value="consul server"')
 *   // Map { 'provider' => 'aws', 'tag_key' => 'role', 'tag_value' => 'consul server' }
 */
export function parseConfig(s: string): Map<string, string> {
  const wellFormed = toWellFormed(s);
  const input = goTrimSpace(wellFormed);
  const config = new Map<string, string>();
  if (input === '') return config;

  const lexed = tokens.parse(input);
  // Unreachable: the lexer accepts every string. Kept so a regression fails loudly, not silently.
  if (!lexed.status) throw new Error(`config lexer stopped at offset ${lexed.index.offset}`);

  // Where `input` starts in `s` (toWellFormed keeps the length): `keyAt` is an index into `s`.
  let lead = 0;
  while (lead < wellFormed.length && isGoSpace(wellFormed.charCodeAt(lead))) lead++;
  let keyAt: number | undefined;
  const fail = (message: string, key: string, end: number): never => {
    throw new ConfigParseError(message, key, codePointOffset(input, end), { keyAt: key === '' ? undefined : keyAt });
  };

  let state: 'key' | 'equal' | 'value' = 'key';
  let key = '';
  let tokenStart = 0;
  for (const item of lexed.value) {
    const start = tokenStart;
    tokenStart = item.end;
    if (state === 'key') {
      if (item.kind === 'text') {
        key = item.value;
        // Spaces lead the raw token; unquoted, the key is its first non-space run.
        const quoted = input.slice(start, item.end).replace(/^ +/, '').startsWith('"');
        keyAt = quoted ? undefined : lead + input.indexOf(key, start);
        // Checked before the `=` is read, as go-discover does: `key=a key` is a duplicate.
        if (config.has(key)) fail(`${key}: duplicate key`, key, item.end);
        state = 'equal';
      } else if (item.kind === 'equal') {
        fail(`${key}: - equals in key's value, enclosing double-quote needed ${key}="value-with-=-symbol"`, key, item.end);
      } else {
        fail(`${key}: error with key=value pair ${item.value}`, key, item.end);
      }
    } else if (state === 'equal') {
      if (item.kind !== 'equal') fail(`${key}: missing '='`, key, item.end);
      state = 'value';
    } else {
      if (item.kind === 'text') {
        config.set(key, item.value);
        state = 'key';
      } else if (item.kind === 'error') {
        fail(`${key}: ${item.value}`, key, item.end);
      } else {
        fail(`${key}: missing value`, key, item.end);
      }
    }
  }
  if (state === 'equal') fail(`${key}: missing '='`, key, input.length);
  if (state === 'value') fail(`${key}: missing value`, key, input.length);
  return config;
}
