/**
 * Text from outside (a server's error body, a helper's output) made safe to print: control
 * characters and terminal escapes become visible `\xHH`/`\u{...}` escapes, and the length is bounded.
 */

/** Default bound on a foreign text put into an error message, in characters. */
export const MAX_FOREIGN_TEXT = 512;

// C0 and C1 controls (ESC, NUL, CR, BEL, CSI...), DEL, and the bidi overrides that reorder a line.
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with control characters escaped (`\x1b`, `\x00`; tabs and newlines kept) and cut to
 * `max` characters with `…`. Linear in the part kept: a 200 MB input costs no more than `max`.
 * @example printable('\x1b[31mdenied\x00') === '\\x1b[31mdenied\\x00'
 */
export function printable(text: string, max = MAX_FOREIGN_TEXT): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(UNPRINTABLE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** As {@link printable}, on one line: newlines and tabs become spaces. */
export function printableLine(text: string, max = MAX_FOREIGN_TEXT): string {
  return printable(text.slice(0, max + 1).replace(/[\t\n]+/g, ' '), max);
}

/** Quote a value for a POSIX shell: single quotes, with `'` written as `'\\''`. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
