import test from 'ava';
import fc from 'fast-check';
import { formatConfig, goQuote, goTrimSpace, goUnquote, parseConfig, toWellFormed } from '../src/config/index.js';
import { ConfigParseError } from '../src/errors.js';

// Characters that steer the lexer and the trimmer into their corners, mixed with arbitrary
// code points, so random strings hit quotes, escapes and Go-only whitespace often.
const interesting = fc.constantFrom(
  ' ',
  ' ',
  '=',
  '"',
  '\\',
  "'",
  'a',
  'k',
  'x',
  'u',
  'U',
  '0',
  '7',
  'f',
  '\t',
  '\n',
  '\r',
  '\u00a0',
  '\u0085',
  '\u3000',
  '\ufeff',
  '\u200b',
  '\ud800',
  '\udc00',
  '😀',
  'é',
);
const anyUnit = fc.oneof(
  { weight: 4, arbitrary: interesting },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 1 }) },
);
const piece = fc.string({ unit: anyUnit, maxLength: 8 });
// Near-valid configs: key, an `=` with blanks around it, a value that is sometimes quoted, and
// a separator that is sometimes not U+0020. Purely random strings rarely parse at all.
const pairish = fc
  .tuple(piece, fc.constantFrom('=', ' = ', '\t=', '=\t', '==', ''), piece, fc.boolean(), fc.constantFrom(' ', '  ', '\t', ' \t ', '\n'))
  .map(([key, equals, value, quote, separator]) => `${key}${equals}${quote ? `"${value}"` : value}${separator}`);
const configish = fc.oneof(
  fc.string({ unit: anyUnit, maxLength: 60 }),
  fc.array(pairish, { maxLength: 5 }).map((pairs) => pairs.join('')),
);

/**
 * go-discover's `lex` and `parse` (config.go), transcribed rune by rune from the reference
 * (go-discover.md §a.1, §a.2) with no Parsimmon and no regexps: the oracle that the real
 * parser's lexer must agree with on every input, offsets included.
 */
type GoItem = ['TEXT' | 'EQUAL' | 'ERROR', string, number];

function goLex(runes: string[]): GoItem {
  let state: 'start' | 'equal' | 'text' | 'qtext' | 'qtextesc' | 'qtextend' = 'start';
  const head = (i: number) => goTrimSpace(runes.slice(0, i).join(''));
  const unquote = (i: number): GoItem => {
    const value = goUnquote(head(i));
    return value === undefined ? ['ERROR', 'invalid syntax', i] : ['TEXT', value, i];
  };
  for (let i = 0; i < runes.length; i++) {
    const r = runes[i];
    switch (state) {
      case 'start':
        if (r === ' ') break;
        state = r === '=' ? 'equal' : r === '"' ? 'qtext' : 'text';
        break;
      case 'equal':
        return ['EQUAL', '', i];
      case 'text':
        if (r === '=' || r === ' ') return ['TEXT', head(i), i];
        break;
      case 'qtext':
        if (r === '"') state = 'qtextend';
        else if (r === '\\') state = 'qtextesc';
        break;
      case 'qtextesc':
        state = 'qtext';
        break;
      case 'qtextend':
        return unquote(i);
    }
  }
  const n = runes.length;
  if (state === 'equal') return ['EQUAL', '', n];
  if (state === 'qtext') return ['ERROR', 'unbalanced quotes', n];
  if (state === 'qtextesc') return ['ERROR', 'unterminated escape sequence', n];
  if (state === 'qtextend') return unquote(n);
  return ['TEXT', head(n), n];
}

type GoResult = { pairs: Array<[string, string]> } | { message: string; key: string; offset: number };

function goParse(input: string): GoResult {
  let runes = [...goTrimSpace(toWellFormed(input))];
  const total = runes.length;
  const pairs = new Map<string, string>();
  let state: 'key' | 'equal' | 'value' = 'key';
  let key = '';
  const fail = (message: string): GoResult => ({ message: `${key}: ${message}`, key, offset: total - runes.length });
  while (runes.length > 0) {
    const [item, val, n] = goLex(runes);
    runes = runes.slice(n);
    if (state === 'key') {
      if (item === 'TEXT') {
        key = val;
        if (pairs.has(key)) return fail('duplicate key');
        state = 'equal';
      } else if (val === '') {
        return fail(`- equals in key's value, enclosing double-quote needed ${key}="value-with-=-symbol"`);
      } else {
        return fail(`error with key=value pair ${val}`);
      }
    } else if (state === 'equal') {
      if (item !== 'EQUAL') return fail("missing '='");
      state = 'value';
    } else if (item === 'TEXT') {
      pairs.set(key, val);
      state = 'key';
    } else if (item === 'ERROR') {
      return fail(val);
    } else {
      return fail('missing value');
    }
  }
  if (state === 'equal') return fail("missing '='");
  if (state === 'value') return fail('missing value');
  return { pairs: [...pairs] };
}

function ourParse(input: string): GoResult {
  try {
    return { pairs: [...parseConfig(input)] };
  } catch (error) {
    if (!(error instanceof ConfigParseError)) throw error;
    return { message: error.message, key: error.key, offset: error.offset };
  }
}

test('parseConfig agrees with a rune-by-rune transcription of go-discover on every input', (t) => {
  fc.assert(
    fc.property(configish, (input) => {
      const want = goParse(input);
      const got = ourParse(input);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(`${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      }
    }),
    { numRuns: 10_000 },
  );
  t.pass();
});

function codePoints(s: string): number {
  return [...s].length;
}

test('parseConfig on any string returns a Map or throws ConfigParseError, nothing else', (t) => {
  fc.assert(
    fc.property(configish, (input) => {
      let config: Map<string, string>;
      try {
        config = parseConfig(input);
      } catch (error) {
        if (!(error instanceof ConfigParseError)) throw error;
        // The message always names the key it carries, and the offset lies within the input.
        if (!error.message.startsWith(`${error.key}: `)) throw new Error(`bad message ${error.message}`);
        const limit = codePoints(goTrimSpace(toWellFormed(input)));
        if (error.offset < 1 || error.offset > limit) throw new Error(`offset ${error.offset} of ${limit}`);
        return;
      }
      if (!(config instanceof Map)) throw new Error('not a Map');
      for (const [key, value] of config) {
        if (toWellFormed(key) !== key || toWellFormed(value) !== value) throw new Error('lone surrogate leaked');
      }
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

test('parseConfig is total on arbitrary UTF-16, including lone surrogates', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 80 }), (a, b) => {
      for (const input of [a, b, `${a}=${b}`, `${a}="${b}"`]) {
        try {
          parseConfig(input);
        } catch (error) {
          if (!(error instanceof ConfigParseError)) throw error;
        }
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

/**
 * A key or value that go-discover's printer can hand back to its parser unchanged.
 * Excluded, because Go itself does not round-trip them (go-discover.md §a.3):
 * - the empty string (an empty value is dropped; the empty key prints as `=v`, which fails);
 * - lone surrogates (a Go string cannot hold one; we print U+FFFD instead);
 * - a string printed unquoted (no space, `"`, `\` or `=`) that starts or ends with Go
 *   whitespace such as `\n`, `\t` or U+0085: the parser's TrimSpace strips it, and a value
 *   that is only whitespace, like "\n", re-parses as `key: missing value`.
 */
function roundTrips(s: string): boolean {
  if (s === '' || toWellFormed(s) !== s) return false;
  return /[ "\\=]/.test(s) || goTrimSpace(s) === s;
}

const token = fc.string({ unit: anyUnit, minLength: 1, maxLength: 20 }).filter(roundTrips);

test('parseConfig(formatConfig(m)) deep-equals m for maps with no empty values', (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(token, token), { selector: ([key]) => key, maxLength: 8 }), (pairs) => {
      const config = new Map(pairs);
      const printed = formatConfig(config);
      const reparsed = parseConfig(printed);
      if (reparsed.size !== config.size) throw new Error(`size ${reparsed.size} != ${config.size}: ${printed}`);
      for (const [key, value] of config) {
        if (reparsed.get(key) !== value) throw new Error(`${JSON.stringify(key)} lost: ${JSON.stringify(printed)}`);
      }
      // go-discover's TestConfigRoundTrip property: printing is stable after one trip.
      if (formatConfig(reparsed) !== printed) throw new Error('printed form changed');
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('anything that parses prints to a string that parses back to the same non-empty pairs', (t) => {
  fc.assert(
    fc.property(configish, (input) => {
      let config: Map<string, string>;
      try {
        config = parseConfig(input);
      } catch {
        return;
      }
      // Empty values are dropped by the printer; anything else must be printable as is.
      const kept = [...config].filter(([, value]) => value !== '');
      if (!kept.every(([key, value]) => roundTrips(key) && roundTrips(value))) return;
      const reparsed = parseConfig(formatConfig(config));
      if (JSON.stringify([...reparsed].sort()) !== JSON.stringify(kept.sort())) throw new Error(input);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('goUnquote(goQuote(s)) === s for well-formed strings', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: fc.oneof(anyUnit, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) }), (s) => {
      const wellFormed = toWellFormed(s);
      if (goUnquote(goQuote(wellFormed)) !== wellFormed) throw new Error(JSON.stringify(s));
    }),
    { numRuns: 5000 },
  );
  t.pass();
});
