import test from 'ava';
import { parseConfig } from '../src/config/index.js';
import { ConfigParseError } from '../src/errors.js';

/** A row that parses: the input and the expected pairs, in insertion order. */
interface Ok {
  name?: string;
  input: string;
  want: Record<string, string> | Array<[string, string]>;
}

/** A row that fails: go-discover's message, and the key the error names. */
interface Bad {
  name?: string;
  input: string;
  message: string;
  key: string;
  /** Code points into the trimmed input after the token where parsing stopped. */
  offset?: number;
}

const equalsHint = (key: string) => `${key}: - equals in key's value, enclosing double-quote needed ${key}="value-with-=-symbol"`;

function checkOk(rows: readonly Ok[]): void {
  for (const row of rows) {
    test(`parses ${row.name ?? JSON.stringify(row.input)}`, (t) => {
      const want = Array.isArray(row.want) ? row.want : Object.entries(row.want);
      t.deepEqual([...parseConfig(row.input)], want);
    });
  }
}

function checkBad(rows: readonly Bad[]): void {
  for (const row of rows) {
    test(`rejects ${row.name ?? JSON.stringify(row.input)}`, (t) => {
      const error = t.throws(() => parseConfig(row.input), {
        instanceOf: ConfigParseError,
        code: 'ERR_CONFIG_PARSE',
        message: row.message,
      });
      t.is(error?.key, row.key);
      if (row.offset !== undefined) t.is(error?.offset, row.offset);
    });
  }
}

// hashicorp/go-discover config_test.go, TestConfigParse (every row, Go raw strings kept raw).
checkOk([
  { name: 'upstream: empty', input: ``, want: {} },
  { input: `key=a`, want: { key: 'a' } },
  { input: `key=a key2=b`, want: { key: 'a', key2: 'b' } },
  { input: `key=a+b key2=c/d`, want: { key: 'a+b', key2: 'c/d' } },
  { input: ` key=a    key2=b `, want: { key: 'a', key2: 'b' } },
  { input: ` key = a   key2 = b `, want: { key: 'a', key2: 'b' } },
  { input: String.raw`  "k e \\\" y" = "a \" b" key2=c`, want: { [String.raw`k e \" y`]: `a " b`, key2: 'c' } },
  {
    input: `secret_access_key="fpOfcHQJAQBczjAxiVpeyLmX1M0M0KPBST+GU2GvEN4="`,
    want: { secret_access_key: 'fpOfcHQJAQBczjAxiVpeyLmX1M0M0KPBST+GU2GvEN4=' },
  },
  {
    input: `project_name=Test zone_pattern=us-(?west|east).+ tag_value="consul server" credentials_file=xxx`,
    want: {
      project_name: 'Test',
      zone_pattern: 'us-(?west|east).+',
      tag_value: 'consul server',
      credentials_file: 'xxx',
    },
  },
]);
checkBad([
  { name: 'upstream: provider=aws foo', input: `provider=aws foo`, message: `foo: missing '='`, key: 'foo' },
  { name: 'upstream: key', input: `key`, message: `key: missing '='`, key: 'key' },
  { name: 'upstream: key=', input: `key=`, message: `key: missing value`, key: 'key' },
  { name: 'upstream: key="a', input: `key="a`, message: `key: unbalanced quotes`, key: 'key' },
  { name: 'upstream: key="\\', input: `key="\\`, message: `key: unterminated escape sequence`, key: 'key' },
  { name: 'upstream: key=a key=b', input: `key=a key=b`, message: `key: duplicate key`, key: 'key' },
  { name: 'upstream: key key2', input: `key key2`, message: `key: missing '='`, key: 'key' },
  {
    name: 'upstream: unquoted = in value',
    input: `secret_access_key=fpOfcHQJAQBczjAxiVpeyLmX1M0M0KPBST+GU2GvEN4=`,
    message: equalsHint('secret_access_key'),
    key: 'secret_access_key',
  },
]);

// /work/shared/reference/go-discover.md §a.2, the error table (checked against go-discover's code).
checkBad([
  { name: 'a.2: key==a', input: `key==a`, message: `key: missing value`, key: 'key', offset: 5 },
  { name: 'a.2: key= =a', input: `key= =a`, message: `key: missing value`, key: 'key', offset: 6 },
  { name: 'a.2: key="a\\"', input: String.raw`key="a\"`, message: `key: unbalanced quotes`, key: 'key', offset: 8 },
  { name: 'a.2: key="\\q"', input: String.raw`key="\q"`, message: `key: invalid syntax`, key: 'key', offset: 8 },
  { name: 'a.2: key=a key', input: `key=a key`, message: `key: duplicate key`, key: 'key', offset: 9 },
  { name: 'a.2: secret=abc=', input: `secret_access_key=abc=`, message: equalsHint('secret_access_key'), key: 'secret_access_key' },
  { name: 'a.2: key="a"=b', input: `key="a"=b`, message: equalsHint('key'), key: 'key', offset: 8 },
  { name: 'a.2: key=a<LF>key2=b', input: 'key=a\nkey2=b', message: equalsHint('key'), key: 'key', offset: 11 },
  { name: 'a.2: =a', input: `=a`, message: equalsHint(''), key: '', offset: 1 },
  { name: 'a.2: =', input: `=`, message: equalsHint(''), key: '', offset: 1 },
  { name: 'a.2: "key', input: `"key`, message: `: error with key=value pair unbalanced quotes`, key: '', offset: 4 },
  {
    name: 'a.2: a=b "k\\',
    input: 'a=b "k\\',
    message: `a: error with key=value pair unterminated escape sequence`,
    key: 'a',
    offset: 7,
  },
]);

// go-discover.md §a.1 and §a.2 worked examples: only U+0020 separates, Go TrimSpace per token,
// quotes only at a token's start, literal backslashes and single quotes outside quotes.
checkOk([
  { name: 'a.1: key<TAB>=a', input: 'key\t=a', want: { key: 'a' } },
  { name: 'a.1: key= <TAB> x=1 (lone tab is an empty value)', input: 'key= \t x=1', want: { key: '', x: '1' } },
  { name: 'a.1: key=a"b', input: `key=a"b`, want: { key: 'a"b' } },
  { name: 'a.1: key=<TAB>"a" keeps the quotes', input: 'key=\t"a"', want: { key: '"a"' } },
  { name: 'a.1: key="a"<TAB>b=c', input: 'key="a"\tb=c', want: { key: 'a', b: 'c' } },
  { name: 'a.1: key=a\\b', input: String.raw`key=a\b`, want: { key: String.raw`a\b` } },
  { name: 'a.1: raw TAB and CR in quotes', input: 'key="a\tb\rc"', want: { key: 'a\tb\rc' } },
  { name: 'a.2: ""=a (empty key)', input: `""=a`, want: { '': 'a' } },
  { name: 'a.2: quoted key with spaces and quotes', input: String.raw`"k e \\\" y"=v`, want: { [String.raw`k e \" y`]: 'v' } },
  { name: 'a.2: key=""', input: `key=""`, want: { key: '' } },
  { name: 'a.2: spaces around everything', input: `  key  =  "a"  `, want: { key: 'a' } },
  { name: 'a.2: no URL decoding', input: `key=a%3Db plus=a+b`, want: { key: 'a%3Db', plus: 'a+b' } },
  { name: 'a.2: keys are case-sensitive', input: `Provider=aws provider=gce`, want: { Provider: 'aws', provider: 'gce' } },
]);
checkBad([
  { name: 'a.1: key=a<TAB>key2=b', input: 'key=a\tkey2=b', message: equalsHint('key'), key: 'key' },
  { name: 'a.1: key=a <TAB> key2=b (empty key)', input: 'key=a  \t  key2=b', message: `: missing '='`, key: '', offset: 14 },
  { name: 'a.1: key="a"b', input: `key="a"b`, message: `b: missing '='`, key: 'b', offset: 8 },
  { name: 'a.1: key="a""b"', input: `key="a""b"`, message: `b: missing '='`, key: 'b', offset: 10 },
  { name: "a.1: key='a b'", input: `key='a b'`, message: `b': missing '='`, key: "b'" },
  { name: 'a.2: duplicate with equal values', input: `key=a key=a`, message: `key: duplicate key`, key: 'key' },
]);

// a.1: legal escapes inside double quotes (Go string-literal rules, via strconv.Unquote).
checkOk([
  { name: 'every single-letter escape', input: String.raw`k="\a\b\f\n\r\t\v\\\""`, want: { k: '\x07\b\f\n\r\t\v\\"' } },
  { name: '\\xHH lower and upper hex', input: String.raw`k="\x41\x7a\x7A"`, want: { k: 'Azz' } },
  { name: '\\NNN octal', input: String.raw`k="\000\101\177"`, want: { k: '\0A\x7f' } },
  { name: '\\uHHHH', input: String.raw`k="\u00e9\u20AC\ud7ff\ue000"`, want: { k: 'é€\ud7ff\ue000' } },
  { name: '\\UHHHHHHHH', input: String.raw`k="\U0001f600\U0010FFFF"`, want: { k: '😀\u{10ffff}' } },
  { name: 'escaped quote does not end the string', input: String.raw`k="a\" b=c"`, want: { k: 'a" b=c' } },
  { name: 'raw U+2028 inside quotes is kept', input: 'k="a\u2028b"', want: { k: 'a\u2028b' } },
]);
// a.1: illegal escapes and raw newlines: `strconv.ErrSyntax`, printed as "invalid syntax".
for (const body of [
  String.raw`\'`,
  String.raw`\/`,
  String.raw`\q`,
  String.raw`\X41`,
  String.raw`\x`,
  String.raw`\x4`,
  String.raw`\xg0`,
  String.raw`\0`,
  String.raw`\08`,
  String.raw`\400`,
  String.raw`\u12`,
  String.raw`\uD800`,
  String.raw`\udfff`,
  String.raw`\U00110000`,
  String.raw`\UFFFFFFFF`,
  String.raw`\U0000D800`,
  String.raw`\é`,
  'a\nb',
]) {
  checkBad([{ name: `escape ${JSON.stringify(body)}`, input: `key="${body}"`, message: 'key: invalid syntax', key: 'key' }]);
}

// Go's whitespace set (unicode.IsSpace), not JS trim(): U+0085 is space, U+FEFF and U+200B are not.
checkOk([
  { name: 'outer NBSP and U+0085 are trimmed', input: '\u00a0\u0085key=a\u0085\u00a0', want: { key: 'a' } },
  { name: 'interior NBSP is text', input: 'key=a\u00a0b', want: { key: 'a\u00a0b' } },
  { name: 'a lone NBSP value trims to empty', input: 'key=\u00a0 x=1', want: { key: '', x: '1' } },
  { name: 'a lone U+0085 value trims to empty', input: 'key=\u0085 x=1', want: { key: '', x: '1' } },
  { name: 'U+3000, U+2028, U+1680, U+202F, U+205F trim', input: 'key=\u3000\u2028\u1680\u202f\u205f x=1', want: { key: '', x: '1' } },
  { name: 'U+2000..U+200A trim', input: 'key=\u2000\u2005\u200a x=1', want: { key: '', x: '1' } },
  { name: 'vertical tab and form feed trim', input: 'key=\v\f x=1', want: { key: '', x: '1' } },
  { name: 'U+FEFF (BOM) is not trimmed', input: '\ufeffkey=a\ufeff', want: { '\ufeffkey': 'a\ufeff' } },
  { name: 'U+200B is not trimmed', input: 'key=\u200b', want: { key: '\u200b' } },
  { name: 'U+180E is not space since Unicode 6.3', input: 'key=\u180e', want: { key: '\u180e' } },
  { name: 'U+001C..U+001F are not Go space', input: 'key=\u001c\u001f', want: { key: '\u001c\u001f' } },
  { name: 'tab inside a value', input: 'key=a\tb x=1', want: { key: 'a\tb', x: '1' } },
]);
checkBad([
  { name: 'trailing tab after = is trimmed away', input: 'key=\t', message: 'key: missing value', key: 'key' },
  { name: 'U+0085 after = is trimmed away', input: 'key=\u0085', message: 'key: missing value', key: 'key' },
  { name: 'newline is not a separator', input: 'a=1\nb=2', message: equalsHint('a'), key: 'a' },
]);

// \xHH and \NNN make bytes; Go's string would hold them raw. Runs of them are decoded as Go's
// []rune(s) would: valid UTF-8 gives its rune, each invalid byte gives one U+FFFD (documented).
checkOk([
  { name: 'bytes forming é', input: String.raw`k="\xc3\xa9"`, want: { k: 'é' } },
  { name: 'octal bytes forming é', input: String.raw`k="\303\251"`, want: { k: 'é' } },
  { name: 'bytes forming €', input: String.raw`k="\xe2\x82\xac"`, want: { k: '€' } },
  { name: 'bytes forming 😀', input: String.raw`k="\xf0\x9f\x98\x80"`, want: { k: '😀' } },
  { name: '\\xff is U+FFFD', input: String.raw`k="\xff"`, want: { k: '\ufffd' } },
  { name: '\\377 is U+FFFD', input: String.raw`k="a\377b"`, want: { k: 'a\ufffdb' } },
  { name: 'truncated sequence: one U+FFFD per byte, as Go', input: String.raw`k="\xe2\x82"`, want: { k: '\ufffd\ufffd' } },
  { name: 'lead byte then ASCII', input: String.raw`k="\xc3A"`, want: { k: '\ufffdA' } },
  { name: 'lead byte then \\x41', input: String.raw`k="\xc3\x41"`, want: { k: '\ufffdA' } },
  { name: 'encoded surrogate is invalid', input: String.raw`k="\xed\xa0\x80"`, want: { k: '\ufffd\ufffd\ufffd' } },
  { name: 'overlong NUL is invalid', input: String.raw`k="\xc0\x80"`, want: { k: '\ufffd\ufffd' } },
  { name: 'above U+10FFFF is invalid', input: String.raw`k="\xf4\x90\x80\x80"`, want: { k: '\ufffd\ufffd\ufffd\ufffd' } },
  { name: 'lead byte then a \\u escape', input: String.raw`k="\xc3\u00a9"`, want: { k: '\ufffd©' } },
]);

// JS strings may hold lone surrogates, Go strings cannot; each becomes U+FFFD (documented).
checkOk([
  { name: 'lone high surrogate in a value', input: 'key=\ud800', want: { key: '\ufffd' } },
  { name: 'lone low surrogate in quotes', input: 'key="\udc00"', want: { key: '\ufffd' } },
  { name: 'lone surrogate in a key', input: '\ud800=a', want: { '\ufffd': 'a' } },
  { name: 'a valid pair is untouched', input: 'k=\ud83d\ude00', want: { k: '😀' } },
]);

// Keys are Map keys, never object properties.
checkOk([
  {
    name: 'prototype-ish keys are ordinary keys',
    input: '__proto__=x constructor=y toString=z hasOwnProperty=w',
    want: { ['__proto__']: 'x', constructor: 'y', toString: 'z', hasOwnProperty: 'w' },
  },
  { name: 'quoted keys with = and space', input: `"a=b"=1 "c d"=2 "provider"=aws`, want: { 'a=b': '1', 'c d': '2', provider: 'aws' } },
  { name: 'unicode keys and values', input: 'ключ=значение 鍵="値 です" 😀=🎉', want: { ключ: 'значение', 鍵: '値 です', '😀': '🎉' } },
]);
// In `a=1"b"=2`, `1"b"` is one unquoted token, so the `=` after it is an equals-in-value error.
checkBad([
  { name: 'quote mid-token is literal, then =', input: `a=1"b"=2`, message: equalsHint('a'), key: 'a' },
  { name: 'duplicate via a quoted key', input: `a=1 "a"=2`, message: 'a: duplicate key', key: 'a' },
  { name: 'duplicate empty key', input: `""=1 ""=2`, message: ': duplicate key', key: '' },
  { name: 'two empty quotes as value then key', input: `key=""""`, message: `: missing '='`, key: '' },
  { name: 'quoted value = quoted value', input: `"a"="b"="c"`, message: equalsHint('a'), key: 'a' },
  { name: 'unterminated quoted key', input: `a=1 "b c`, message: 'a: error with key=value pair unbalanced quotes', key: 'a' },
  { name: 'invalid escape in a key', input: String.raw`a=1 "\z"=2`, message: 'a: error with key=value pair invalid syntax', key: 'a' },
]);

// Offsets count code points of the trimmed input, not UTF-16 units and not leading blanks.
checkBad([
  { name: 'offset after leading blanks', input: ' \t key=', message: 'key: missing value', key: 'key', offset: 4 },
  { name: 'offset counts an astral rune once', input: '😀😀=', message: '😀😀: missing value', key: '😀😀', offset: 3 },
  { name: 'offset of a duplicate is after the key', input: 'é=1 é=2', message: 'é: duplicate key', key: 'é', offset: 5 },
]);

// keyAt: where the named word starts in the string as given (UTF-16 units, leading blanks counted),
// so the engine masks the word at fault and not an earlier or later occurrence of it.
const keyAtCases: Array<{ input: string; keyAt: number | undefined }> = [
  { input: 'a=x def b=def', keyAt: 4 },
  { input: ' \t key=', keyAt: 3 },
  { input: '😀=1 k=2 k', keyAt: 9 },
  { input: 'k=1 k=2', keyAt: 4 },
  { input: 'k=1 "k"=2', keyAt: undefined },
  { input: '=a', keyAt: undefined },
  { input: 'a=x   def "x def y"', keyAt: 6 },
];
for (const c of keyAtCases) {
  test(`keyAt of ${JSON.stringify(c.input)} is ${c.keyAt}`, (t) => {
    const error = t.throws(() => parseConfig(c.input), { instanceOf: ConfigParseError });
    t.is(error?.keyAt, c.keyAt);
  });
}

test('empty or blank input is an empty Map (go-discover returns nil, no error)', (t) => {
  for (const input of ['', '   ', '\t\n\r\v\f', '\u0085\u00a0\u3000']) {
    const config = parseConfig(input);
    t.true(config instanceof Map);
    t.is(config.size, 0);
  }
});

test('a __proto__ key does not touch any prototype', (t) => {
  const config = parseConfig('__proto__=polluted');
  t.is(config.get('__proto__'), 'polluted');
  t.is(({} as Record<string, unknown>).polluted, undefined);
  t.is(Object.getPrototypeOf(config), Map.prototype);
});

test('the error carries code, key and offset and is an Error', (t) => {
  const error = t.throws(() => parseConfig('provider=aws region'), { instanceOf: ConfigParseError });
  t.true(error instanceof Error);
  t.is(error?.name, 'ConfigParseError');
  t.is(error?.code, 'ERR_CONFIG_PARSE');
  t.is(error?.key, 'region');
  t.is(error?.offset, 19);
});
