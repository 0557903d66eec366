import test from 'ava';
import { compareCodePoints, formatConfig, goIsPrint, goQuote, goTrimSpace, goUnquote, parseConfig } from '../src/config/index.js';
import { ConfigParseError } from '../src/errors.js';

// hashicorp/go-discover config_test.go, TestConfigString: Parse(in).String() == out.
const upstreamString: Array<[string, string]> = [
  [``, ``],
  [`   `, ``],
  [`b=c "a a"="b b"`, `"a a"="b b" b=c`],
  [`a=b provider=foo x=y`, `provider=foo a=b x=y`],
  [
    `provider=k8s namespace=vault label_selector="app.kubernetes.io/name=vault,component=server"`,
    `provider=k8s label_selector="app.kubernetes.io/name=vault,component=server" namespace=vault`,
  ],
];
for (const [input, want] of upstreamString) {
  test(`upstream TestConfigString: ${JSON.stringify(input)}`, (t) => {
    t.is(formatConfig(parseConfig(input)), want);
  });
}

// hashicorp/go-discover config_test.go, TestConfigRoundTrip: Parse(Parse(s).String()).String() == s.
const upstreamRoundTrip = [
  ``,
  `"a a"="b b" b=c`,
  `provider=foo a=b x=y`,
  `key=a`,
  `key=a key2=b`,
  `key=a+b key2=c/d`,
  `key=a key2=b`,
  String.raw`"k e \\\" y"="a \" b" key2=c`,
  `secret_access_key="fpOfcHQJAQBczjAxiVpeyLmX1M0M0KPBST+GU2GvEN4="`,
  `credentials_file=xxx project_name=Test tag_value="consul server" zone_pattern=us-(?west|east).+`,
  `provider=k8s label_selector="app.kubernetes.io/name=vault,component=server" namespace=vault`,
];
for (const [i, input] of upstreamRoundTrip.entries()) {
  test(`upstream TestConfigRoundTrip #${i}: ${JSON.stringify(input)}`, (t) => {
    t.is(formatConfig(parseConfig(formatConfig(parseConfig(input)))), input);
  });
}

interface FormatRow {
  name: string;
  cfg: Record<string, string> | Map<string, string>;
  want: string;
}

// go-discover.md §a.3 and edge cases of our own.
const formatRows: FormatRow[] = [
  { name: 'empty config prints as ""', cfg: {}, want: '' },
  { name: 'provider first even when it sorts last', cfg: { a: '1', provider: 'zz', b: '2' }, want: 'provider=zz a=1 b=2' },
  { name: 'missing provider is dropped', cfg: { b: '2', a: '1' }, want: 'a=1 b=2' },
  { name: 'empty provider is dropped', cfg: { provider: '', a: '1' }, want: 'a=1' },
  { name: 'empty values are dropped', cfg: { a: '', b: 'x', c: '' }, want: 'b=x' },
  { name: 'quotes a value holding =', cfg: { k: 'a=b' }, want: 'k="a=b"' },
  { name: 'quotes a value holding a space', cfg: { k: 'a b' }, want: 'k="a b"' },
  { name: 'quotes and escapes " and \\', cfg: { k: 'a"b\\c' }, want: String.raw`k="a\"b\\c"` },
  { name: 'quotes keys the same way', cfg: { 'a b': '1', 'c=d': '2' }, want: '"a b"=1 "c=d"=2' },
  { name: 'tab, newline, NBSP alone do not trigger quoting', cfg: { k: 'a\tb\nc\u00a0d' }, want: 'k=a\tb\nc\u00a0d' },
  { name: 'single quotes do not trigger quoting', cfg: { k: "it's" }, want: "k=it's" },
  { name: 'once quoted, controls use Go escapes', cfg: { k: 'a b\t\n\r\x07\b\f\v' }, want: String.raw`k="a b\t\n\r\a\b\f\v"` },
  { name: 'other C0 controls and DEL are \\xHH', cfg: { k: ' \x00\x1b\x7f' }, want: String.raw`k=" \x00\x1b\x7f"` },
  {
    name: 'non-printables are \\u / \\U, lower-case hex',
    cfg: { k: ' \u00a0\u00ad\u0085\ufeff\u200b\u2028\ue000\u{10ffff}\u{e0001}' },
    want: String.raw`k=" \u00a0\u00ad\u0085\ufeff\u200b\u2028\ue000\U0010ffff\U000e0001"`,
  },
  { name: 'printable non-ASCII is kept as is', cfg: { k: ' é€😀ключ\ufffd' }, want: 'k=" é€😀ключ\ufffd"' },
  {
    // Go 1.25 uses Unicode 15.0.0. U+2FFC (15.1) and U+1FAE9 (16.0) are unassigned there,
    // so Go escapes them even though Node's newer ICU calls them symbols.
    name: 'printability follows Go (Unicode 15.0), not Node ICU',
    cfg: { k: ' \u2ffc\u{1fae9}\u{1fae8}' },
    want: 'k=" \\u2ffc\\U0001fae9\u{1fae8}"',
  },
  { name: 'a lone surrogate prints as U+FFFD', cfg: { k: 'a\ud800', q: 'a \udc00' }, want: 'k=a\ufffd q="a \ufffd"' },
  {
    name: 'keys sort by code point: astral after U+E000..U+FFFF',
    cfg: { '\u{10000}': '7', '\uE000': '6', é: '5', z: '4', a: '3', _: '2', Z: '1', '\uffef': '6b' },
    want: 'Z=1 _=2 a=3 z=4 é=5 \uE000=6 \uffef=6b \u{10000}=7',
  },
  {
    name: 'a Map works like a Record',
    cfg: new Map([
      ['b', '1'],
      ['provider', 'aws'],
      ['__proto__', 'x'],
    ]),
    want: 'provider=aws __proto__=x b=1',
  },
  { name: 'the empty key prints as =v (not re-parseable, as in Go)', cfg: { '': 'v' }, want: '=v' },
  { name: 'a whitespace-only value prints raw (not re-parseable, as in Go)', cfg: { k: '\n' }, want: 'k=\n' },
];
for (const row of formatRows) {
  test(`formatConfig: ${row.name}`, (t) => {
    t.is(formatConfig(row.cfg), row.want);
  });
}

test('a Record with an own __proto__ key is printed like any key', (t) => {
  const cfg = JSON.parse('{"__proto__":"x","provider":"aws"}') as Record<string, string>;
  t.is(formatConfig(cfg), 'provider=aws __proto__=x');
});

test("go-discover's known non-round-trips stay non-round-trips (a.3)", (t) => {
  for (const [cfg, message] of [
    [{ key: '\n' }, 'key: missing value'],
    [{ key: '\t' }, 'key: missing value'],
    [{ key: '\u0085' }, 'key: missing value'],
    [{ '': 'a' }, `: - equals in key's value, enclosing double-quote needed ="value-with-=-symbol"`],
  ] as const) {
    t.throws(() => parseConfig(formatConfig(cfg)), { instanceOf: ConfigParseError, message });
  }
  t.deepEqual([...parseConfig(formatConfig({ key: 'a\tb\nc' }))], [['key', 'a\tb\nc']], 'internal tabs and newlines survive');
});

test('redact: values of secret keys print as ***', (t) => {
  const cfg = { provider: 'aws', secret_access_key: 'abc def', access_key_id: 'AKIA', tag_value: 'x' };
  t.is(formatConfig(cfg, { redact: true, secretKeys: ['secret_access_key'] }), 'provider=aws access_key_id=AKIA secret_access_key=*** tag_value=x');
  t.is(
    formatConfig(cfg, { redact: true, secretKeys: new Set(['secret_access_key', 'access_key_id']) }),
    'provider=aws access_key_id=*** secret_access_key=*** tag_value=x',
  );
});

test('redact without secretKeys masks every value but the provider name: the printer names no cloud', (t) => {
  t.is(formatConfig({ provider: 'os', password: 'hunter2', user_name: 'u' }, { redact: true }), 'provider=os password=*** user_name=***');
});

test('redact: keys outside knownKeys are masked (a mistyped secret key under --lenient)', (t) => {
  const cfg = { provider: 'x', tokn: 'SECRET1', secret_acces_key: 'SECRET2', region: 'r' };
  t.is(formatConfig(cfg, { redact: true, secretKeys: [], knownKeys: ['provider', 'region'] }), 'provider=x region=r secret_acces_key=*** tokn=***');
});

test('redact: the user-info of any URL value is masked, parsable or not', (t) => {
  const cfg = { provider: 'x', endpoint: 'http://u:SECRET@h:1/p', address: 'http://u:SE/CRET@:x', other: 'a@b' };
  t.is(formatConfig(cfg, { redact: true, secretKeys: [] }), 'provider=x address=http://***@:x endpoint=http://***@h:1/p other=a@b');
  t.is(formatConfig(cfg, { redact: false }).includes('SECRET'), true, 'unredacted output keeps it');
});

test('redact: false, or no options, prints secrets as they are', (t) => {
  const cfg = { password: 'p w' };
  t.is(formatConfig(cfg, { redact: false, secretKeys: ['password'] }), 'password="p w"');
  t.is(formatConfig(cfg), 'password="p w"');
});

test('redact: an empty secret is dropped like any empty value', (t) => {
  t.is(formatConfig({ provider: 'x', password: '' }, { redact: true, secretKeys: ['password'] }), 'provider=x');
});

// strconv.Quote / Unquote / IsPrint / strings.TrimSpace / sort.Strings, the exported Go helpers.
const quoteRows: Array<[string, string]> = [
  ['', '""'],
  ['abc', '"abc"'],
  ['"', String.raw`"\""`],
  ['\\', String.raw`"\\"`],
  ['\x07\b\f\n\r\t\v', String.raw`"\a\b\f\n\r\t\v"`],
  ['\x01\x7f', String.raw`"\x01\x7f"`],
  ['\u00a0\u00ad', String.raw`"\u00a0\u00ad"`],
  ['\u{1d400}\u{10fffd}', String.raw`"𝐀\U0010fffd"`],
];
for (const [input, want] of quoteRows) {
  test(`goQuote(${JSON.stringify(input)})`, (t) => {
    t.is(goQuote(input), want);
    t.is(goUnquote(want), input);
  });
}

test('goUnquote rejects what strconv.Unquote rejects', (t) => {
  for (const literal of ['', '"', 'a', '"a', 'a"', '"a"b', '"a""', '"\\"', '"\n"', "'a'", '`a`']) {
    t.is(goUnquote(literal), undefined, JSON.stringify(literal));
  }
});

test('goTrimSpace trims Go whitespace only', (t) => {
  t.is(goTrimSpace(' \t\n\v\f\r\u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000x y\u3000 '), 'x y');
  t.is(goTrimSpace('\ufeffx\u200b'), '\ufeffx\u200b');
  t.is(goTrimSpace('\u180ex\u001c'), '\u180ex\u001c');
});

test('goIsPrint matches Go strconv.IsPrint on known runes', (t) => {
  const printable = [0x20, 0x7e, 0xa1, 0xe9, 0x2010, 0xfffd, 0x1f600, 0x1fae8, 0xe0100, 0x20000, 0x31350];
  const notPrintable = [0x00, 0x1f, 0x7f, 0x80, 0xa0, 0xad, 0x378, 0x2028, 0xd800, 0xe000, 0xfeff, 0x2ffc, 0x1fae9, 0x10ffff];
  for (const cp of printable) t.true(goIsPrint(cp), cp.toString(16));
  for (const cp of notPrintable) t.false(goIsPrint(cp), cp.toString(16));
});

test('goIsPrint never calls a rune printable that Node does not (Unicode keeps categories stable)', (t) => {
  const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
  let count = 0;
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (goIsPrint(cp)) {
      count++;
      if (cp !== 0x20 && !printable.test(String.fromCodePoint(cp))) t.fail(`U+${cp.toString(16)}`);
    }
  }
  // Unicode 15.0.0 (Go 1.21-1.25) has 148,997 code points in L, M, N, P and S; plus U+0020.
  t.is(count, 148_998);
});

test('compareCodePoints is UTF-8 byte order', (t) => {
  const words = ['', 'a', 'ab', 'b', 'Z', 'é', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}'];
  for (const a of words) {
    for (const b of words) {
      t.is(Math.sign(compareCodePoints(a, b)), Buffer.compare(Buffer.from(a), Buffer.from(b)), `${a} vs ${b}`);
    }
  }
});
