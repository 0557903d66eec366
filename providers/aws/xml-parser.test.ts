/**
 * The AWS bundle parses EC2's XML with a rewritten copy of @aws-sdk/xml-builder's parser
 * (`scanningXmlParser` in scripts/bundle-providers.mjs: each piece taken with one `slice` instead of
 * one character at a time). The copy must be the SDK's parser in all but speed: these tests run the
 * installed parser and the rewritten one side by side on the recorded DescribeInstances answer, on
 * simulator pages, on edge cases of the grammar and on thousands of mutated documents, and require
 * the same object or the same error from both.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { describeInstancesXml, ec2Error } from './sim-ec2.js';
import awsSim from './sim.js';
import type { FleetInstance } from '../../src/sim/fleet.js';

type Parse = (xml: string) => unknown;
type Outcome = { value: unknown } | { error: string };

const ROOT = path.resolve(import.meta.dirname, '../..');
// The build script is plain JavaScript with no type declarations.
const { scanningXmlParser } = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'bundle-providers.mjs')).href)) as {
  scanningXmlParser: (text: string, file?: string) => string;
};
const require = createRequire(import.meta.url);
const SOURCE = path.join(path.dirname(require.resolve('@aws-sdk/xml-builder/package.json')), 'dist-es', 'xml-parser.js');

async function parsers(): Promise<{ installed: Parse; scanning: Parse }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-xml-'));
  try {
    const text = readFileSync(SOURCE, 'utf8');
    writeFileSync(path.join(dir, 'installed.mjs'), text);
    writeFileSync(path.join(dir, 'scanning.mjs'), scanningXmlParser(text));
    const installed = await import(pathToFileURL(path.join(dir, 'installed.mjs')).href);
    const scanning = await import(pathToFileURL(path.join(dir, 'scanning.mjs')).href);
    return { installed: installed.parseXML, scanning: scanning.parseXML };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { installed, scanning } = await parsers();

function outcome(parse: Parse, xml: string): Outcome {
  try {
    return { value: parse(xml) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Both parsers on every document; one failure names the first document they disagree on. */
function same(t: ExecutionContext, documents: Iterable<string>): number {
  let count = 0;
  for (const xml of documents) {
    const a = outcome(installed, xml);
    const b = outcome(scanning, xml);
    if (!isDeepStrictEqual(a, b)) {
      t.deepEqual(b, a, `the parsers disagree on ${JSON.stringify(xml.slice(0, 300))}`);
      return count;
    }
    count++;
  }
  t.pass();
  return count;
}

const fixture = readFileSync(path.join(import.meta.dirname, 'fixtures', 'ec2-describe-instances.xml'), 'utf8');

const EDGE_CASES = [
  '<a>text</a>',
  '<a></a>',
  '<a/>',
  '<a />',
  '<a> </a>',
  '<a>\n  </a>',
  '<a>\r\n  </a>',
  '<a>line\r\nline\rline</a>',
  '<a>x &amp; y &lt; z &gt; &quot;q&quot; &apos;s&apos; &#65;&#x42;&#x1F600; &unknown; &amp</a>',
  '<a b="1" c=\'2\'>t</a>',
  '<a b="x&amp;y &#65;"/>',
  '<a b="1"/>',
  '<a b=1/>',
  '<a b = "spaced" >t</a>',
  '<a\tb="1"\n c="2"\r\n/>',
  '<a b c="1"/>',
  '<a b?="1"/>',
  '<a b="1" b="2"/>',
  '<a b="1">text<c/>more</a>',
  '<a><![CDATA[<not a="tag">&amp;]]></a>',
  '<a>t<![CDATA[x]]>u</a>',
  '<a><!-- a comment --><b>1</b><!-- another --></a>',
  '<a><?pi data?><b/></a>',
  '<?xml version="1.0" encoding="UTF-8"?>\n<a>1</a>',
  '<!-- lead --><?xml version="1.0"?><a/>',
  '<!DOCTYPE a [<!ENTITY x "y"> <!ELEMENT a ANY>]>\n<a>1</a>',
  '<!doctype a><a/>',
  '<a>t<b>u</b>v</a>',
  '<a><b>1</b><b>2</b><b>3</b></a>',
  '<a><b>1</b><c>x</c><b>2</b></a>',
  '<a><b><c><d>deep</d></c></b></a>',
  '<a><__proto__>x</__proto__></a>',
  '<a><__proto__>x</__proto__><__proto__>y</__proto__></a>',
  '<a __proto__="x"/>',
  '<a __proto__="x"><b/></a>',
  '<a><constructor>1</constructor><toString>2</toString></a>',
  '<a>#text</a>',
  '<a b="1">  \n  </a>',
  '<a b="1"> x </a>',
  '<ä ü="ö">€ 😀</ä>',
  '<a>\uD800 lone \uDC00</a>',
  '<a></a >',
  '<a></ a>',
  '<a><b></c></a>',
  '<a><b></a>',
  '<a',
  '<a b',
  '<a b=',
  '<a b="unterminated',
  "<a b='1",
  '<a>text',
  '<a/',
  '<a/x>',
  '<a b="1"',
  '<a><!-- never closed </a>',
  '<a><![CDATA[ never closed </a>',
  '<!DOCTYPE a [',
  '',
  '   ',
  'text',
  '<?xml version="1.0"?>',
  '<a>1</a><b>2</b>',
  '<a>1</a>trailing',
];

test('the rewrite replaces every character-by-character loop of the installed parser', (t) => {
  const text = readFileSync(SOURCE, 'utf8');
  t.regex(text, /\+= p\.x\[p\.i\+\+\]/, 'the installed parser appends characters one by one');
  t.notRegex(scanningXmlParser(text), /\+= p\.x\[p\.i\+\+\]/);
});

test('the build stops when the installed parser no longer has a loop the rewrite replaces', (t) => {
  const text = readFileSync(SOURCE, 'utf8').replace('tag += p.x[p.i++];', 'tag = tag + p.x[p.i++];');
  t.throws(() => scanningXmlParser(text, 'xml-parser.js'), { message: /xml-parser\.js no longer has \(once\) "let tag = \\"\\";/ });
});

test('the recorded DescribeInstances answer parses to the same object', (t) => {
  t.is(same(t, [fixture, fixture.replaceAll('\n', '\r\n')]), 2);
  const parsed = scanning(fixture) as { DescribeInstancesResponse: { reservationSet: { item: unknown[] } } };
  t.true(Array.isArray(parsed.DescribeInstancesResponse.reservationSet.item));
});

test('simulator pages, with tags that need escaping, parse to the same object', (t) => {
  const bench = awsSim.fleet?.bench as (i: number) => FleetInstance;
  const instances = Array.from({ length: 300 }, (_, i) => {
    const instance = bench(i);
    return i % 3 ? instance : { ...instance, tags: { ...instance.tags, note: `a<b & "c" 'd' > ${i}` } };
  });
  const error = ec2Error(400, 'InvalidParameterValue', 'Value (<x> & y) for parameter is invalid').body;
  t.is(same(t, [describeInstancesXml(instances, 'token-1', '123456789012'), describeInstancesXml([], undefined, '1'), String(error)]), 3);
});

test('edge cases of the grammar, and malformed documents, give the same object or the same error', (t) => {
  const errors = EDGE_CASES.filter((xml) => 'error' in outcome(installed, xml)).length;
  t.true(errors >= 15, 'the list holds malformed documents');
  t.is(same(t, EDGE_CASES), EDGE_CASES.length);
});

test('every truncation and thousands of seeded mutations give the same object or the same error', (t) => {
  const small = '<?xml version="1.0"?>\n<r x="1"><a b=\'2\'>t &amp; u</a><!-- c --><c><![CDATA[d]]></c><e/>\r\n<f>1</f><f>2</f></r>';
  const truncations = [...EDGE_CASES.filter((x) => x.length > 3), small, fixture].flatMap((xml) =>
    Array.from({ length: xml.length }, (_, n) => xml.slice(0, n)),
  );
  t.is(same(t, truncations), truncations.length);

  let seed = 9;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const alphabet = [
    '<',
    '>',
    '/',
    '=',
    '"',
    "'",
    ' ',
    '&',
    ';',
    '!',
    '?',
    '[',
    ']',
    '-',
    '\n',
    '\r',
    '\t',
    'a',
    'b',
    '#',
    '&amp;',
    '<!--',
    '-->',
    '<![CDATA[',
    ']]>',
  ];
  const mutants: string[] = [];
  for (const base of [small, fixture, ...EDGE_CASES.slice(0, 40)]) {
    for (let m = 0; m < 120; m++) {
      let xml = base;
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
        const at = Math.floor(random() * (xml.length + 1));
        const insert = random() < 0.6 ? alphabet[Math.floor(random() * alphabet.length)] : '';
        const cut = random() < 0.5 ? Math.floor(random() * 4) : 0;
        xml = xml.slice(0, at) + insert + xml.slice(at + cut);
      }
      mutants.push(xml);
    }
  }
  t.is(same(t, mutants), mutants.length);
});

test('the built aws bundle carries the rewritten parser', (t) => {
  const dir = path.join(ROOT, 'dist', 'bundles', 'aws');
  const chunks = readdirSync(dir).filter((f) => f.endsWith('.cjs'));
  const parser = chunks.filter((f) => readFileSync(path.join(dir, f), 'utf8').includes('class _AwsXmlParser'));
  t.is(parser.length, 1, 'one chunk holds the parser');
  const text = readFileSync(path.join(dir, parser[0] as string), 'utf8');
  t.true(text.includes('endsTagName'));
  t.false(/\+= p\.x\[p\.i\+\+\]/.test(text));
});
