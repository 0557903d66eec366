/**
 * The handful of Go standard-library behaviours the config grammar leans on, ported rune for
 * rune: `strings.TrimSpace`, `strconv.Unquote`, `strconv.Quote`, `strconv.IsPrint` and Go's
 * byte-wise (= code-point) string order. Pure functions, no I/O.
 *
 * One difference is forced by the platform: a Go string is bytes and may hold invalid UTF-8,
 * a JS string is UTF-16 and may hold lone surrogates. Both are mapped to U+FFFD, one per
 * invalid byte or lone surrogate, which is what Go's own `[]rune(s)` conversion does.
 */

import { goIsPrint } from './go-isprint.js';

export { goIsPrint };

/**
 * Go's `unicode.IsSpace`: `\t \n \v \f \r`, space, U+0085, U+00A0 and the other Unicode
 * White_Space runes. Unlike JS `\s`/`trim()` it includes U+0085 and excludes U+FEFF.
 */
export function isGoSpace(codePoint: number): boolean {
  if (codePoint <= 0xff) {
    return codePoint === 0x20 || (codePoint >= 0x09 && codePoint <= 0x0d) || codePoint === 0x85 || codePoint === 0xa0;
  }
  return (
    codePoint === 0x1680 ||
    (codePoint >= 0x2000 && codePoint <= 0x200a) ||
    codePoint === 0x2028 ||
    codePoint === 0x2029 ||
    codePoint === 0x202f ||
    codePoint === 0x205f ||
    codePoint === 0x3000
  );
}

/**
 * Go's `strings.TrimSpace`: strips {@link isGoSpace} runes from both ends.
 * @example goTrimSpace('\u0085 a\u00a0') === 'a'; goTrimSpace('\ufeffa') === '\ufeffa'
 */
export function goTrimSpace(s: string): string {
  // Every Go space is in the BMP, so UTF-16 units can be tested directly.
  let start = 0;
  let end = s.length;
  while (start < end && isGoSpace(s.charCodeAt(start))) start++;
  while (end > start && isGoSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Replaces each lone UTF-16 surrogate with U+FFFD (like `String.prototype.toWellFormed`), the
 * JS counterpart of Go turning each invalid UTF-8 byte into U+FFFD when it decodes runes.
 */
export function toWellFormed(s: string): string {
  return SURROGATE.test(s) ? s.replace(LONE_SURROGATE, '\uFFFD') : s;
}

/**
 * Compares two strings by Unicode code point, the order of Go's `sort.Strings` on UTF-8.
 * Plain `<` compares UTF-16 units, which puts astral runes (surrogate pairs) before
 * U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates above U+E000–U+FFFF so unit order matches code-point order. */
function codeUnitRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/**
 * Decodes bytes the way Go's `utf8.DecodeRune` walks a string: a valid sequence gives its
 * rune; otherwise the first byte alone gives U+FFFD and decoding resumes at the next byte.
 * (WHATWG `TextDecoder` would merge some invalid runs into one U+FFFD; Go never does.)
 */
export function decodeGoUtf8(bytes: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    let need = 0;
    let low = 0x80;
    let high = 0xbf;
    let rune = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      rune = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      rune = b0 & 0x0f;
      if (b0 === 0xe0) low = 0xa0;
      if (b0 === 0xed) high = 0x9f; // surrogates are not valid UTF-8
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      rune = b0 & 0x07;
      if (b0 === 0xf0) low = 0x90;
      if (b0 === 0xf4) high = 0x8f; // nothing above U+10FFFF
    }
    let valid = need > 0;
    for (let k = 1; valid && k <= need; k++) {
      const b = bytes[i + k];
      // Only the second byte has the narrowed range; the rest are plain continuations.
      const lo = k === 1 ? low : 0x80;
      const hi = k === 1 ? high : 0xbf;
      if (b === undefined || b < lo || b > hi) valid = false;
      else rune = (rune << 6) | (b & 0x3f);
    }
    if (valid) {
      out += String.fromCodePoint(rune);
      i += need + 1;
    } else {
      out += '\uFFFD';
      i++;
    }
  }
  return out;
}

function hexValue(unit: number): number {
  if (unit >= 0x30 && unit <= 0x39) return unit - 0x30;
  if (unit >= 0x61 && unit <= 0x66) return unit - 0x61 + 10;
  if (unit >= 0x41 && unit <= 0x46) return unit - 0x41 + 10;
  return -1;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
};

/**
 * Go's `strconv.Unquote` for a double-quoted literal. Returns `undefined` where Go returns
 * `strconv.ErrSyntax` ("invalid syntax"): a missing quote, text after the closing quote, a
 * raw newline, or a bad escape (`\q`, `\'`, `\x4`, `\400`, `\uD800`, `\U00110000`, …).
 *
 * `\xHH` and `\NNN` give single bytes in Go; runs of them are decoded as UTF-8 with
 * {@link decodeGoUtf8}, so `"\xc3\xa9"` is `é` and a lone `"\xff"` is U+FFFD (a Go string
 * would hold the raw byte, which a JS string cannot).
 * @example goUnquote('"a\\tb"') === 'a\tb'; goUnquote('"\\q"') === undefined
 */
export function goUnquote(literal: string): string | undefined {
  const n = literal.length;
  if (n < 2 || literal.charCodeAt(0) !== 0x22) return undefined;
  // Go's fast path: no escapes and no newline, the text between the quotes is the value.
  const close = literal.indexOf('"', 1);
  if (close === n - 1 && literal.indexOf('\\') < 0 && literal.indexOf('\n') < 0) {
    return literal.slice(1, -1);
  }
  let out = '';
  let pendingBytes: number[] | undefined;
  let i = 1;
  while (i < n) {
    const unit = literal.charCodeAt(i);
    if (unit === 0x22) break;
    if (unit === 0x0a) return undefined;
    if (unit !== 0x5c) {
      if (pendingBytes) {
        out += decodeGoUtf8(pendingBytes);
        pendingBytes = undefined;
      }
      out += literal[i];
      i++;
      continue;
    }
    if (i + 1 >= n) return undefined;
    const escapeChar = literal[i + 1]!;
    i += 2;
    const simple = SIMPLE_ESCAPES[escapeChar];
    if (simple !== undefined) {
      if (pendingBytes) {
        out += decodeGoUtf8(pendingBytes);
        pendingBytes = undefined;
      }
      out += simple;
      continue;
    }
    let value: number;
    let isByte: boolean;
    if (escapeChar === 'x' || escapeChar === 'u' || escapeChar === 'U') {
      const digits = escapeChar === 'x' ? 2 : escapeChar === 'u' ? 4 : 8;
      if (i + digits > n) return undefined;
      value = 0;
      for (let k = 0; k < digits; k++) {
        const digit = hexValue(literal.charCodeAt(i + k));
        if (digit < 0) return undefined;
        value = value * 16 + digit;
      }
      i += digits;
      isByte = escapeChar === 'x';
      // utf8.ValidRune: no surrogates, nothing above U+10FFFF.
      if (!isByte && (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))) return undefined;
    } else if (escapeChar >= '0' && escapeChar <= '7') {
      if (i + 2 > n) return undefined;
      value = escapeChar.charCodeAt(0) - 0x30;
      for (let k = 0; k < 2; k++) {
        const digit = literal.charCodeAt(i + k) - 0x30;
        if (digit < 0 || digit > 7) return undefined;
        value = value * 8 + digit;
      }
      i += 2;
      if (value > 0xff) return undefined;
      isByte = true;
    } else {
      return undefined;
    }
    if (isByte && value >= 0x80) {
      if (pendingBytes) pendingBytes.push(value);
      else pendingBytes = [value];
      continue;
    }
    if (pendingBytes) {
      out += decodeGoUtf8(pendingBytes);
      pendingBytes = undefined;
    }
    out += String.fromCodePoint(value);
  }
  // The closing quote must be the last character (Unquote rejects anything after it).
  if (i !== n - 1) return undefined;
  if (pendingBytes) out += decodeGoUtf8(pendingBytes);
  return out;
}

const LOWER_HEX = '0123456789abcdef';
const NEEDS_ESCAPE_SLOW_PATH = /[^\x20-\x7e]|["\\]/;

function hex(value: number, width: number): string {
  let digits = '';
  for (let shift = (width - 1) * 4; shift >= 0; shift -= 4) digits += LOWER_HEX[(value >>> shift) & 0xf];
  return digits;
}

/**
 * Go's `strconv.Quote`: a double-quoted Go literal. `"` and `\` are backslashed, printable
 * runes ({@link goIsPrint}) are kept, `\a \b \f \n \r \t \v` are used for those controls,
 * other runes below U+0020 and U+007F become `\xHH`, other non-printables `\uHHHH` or
 * `\UHHHHHHHH` (lower-case hex). A lone surrogate is quoted as U+FFFD, which is printable.
 * @example goQuote('a "b"\n') === '"a \\"b\\"\\n"'; goQuote('\u00a0') === '"\\u00a0"'
 */
export function goQuote(s: string): string {
  if (!NEEDS_ESCAPE_SLOW_PATH.test(s)) return `"${s}"`;
  let out = '"';
  for (const char of toWellFormed(s)) {
    const rune = char.codePointAt(0)!;
    if (rune === 0x22 || rune === 0x5c) {
      out += `\\${char}`;
    } else if (goIsPrint(rune)) {
      out += char;
    } else if (rune === 0x07) {
      out += '\\a';
    } else if (rune === 0x08) {
      out += '\\b';
    } else if (rune === 0x0c) {
      out += '\\f';
    } else if (rune === 0x0a) {
      out += '\\n';
    } else if (rune === 0x0d) {
      out += '\\r';
    } else if (rune === 0x09) {
      out += '\\t';
    } else if (rune === 0x0b) {
      out += '\\v';
    } else if (rune < 0x20 || rune === 0x7f) {
      out += `\\x${hex(rune, 2)}`;
    } else if (rune < 0x10000) {
      out += `\\u${hex(rune, 4)}`;
    } else {
      out += `\\U${hex(rune, 8)}`;
    }
  }
  return `${out}"`;
}
