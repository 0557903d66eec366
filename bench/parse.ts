// Claim: parsing go-discover config strings is cheap enough never to matter to the CLI or the
// retry-join loop. Parses a corpus of realistic retry_join strings for ~2 s, and beside it, in
// the same run and interleaved with it, a naive split(' ') + split('=') on the same corpus,
// which is wrong (no quotes, no escapes, no errors) but sets the scale. Asserts nothing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../src/config/index.js';
import { ROOT } from './lib.js';

const corpusPath = path.join(ROOT, 'fixtures/config/retry-join-corpus.txt');
const corpus = readFileSync(corpusPath, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'));
const corpusBytes = corpus.reduce((sum, line) => sum + Buffer.byteLength(line, 'utf8'), 0);

// A corpus line that fails would time the error path instead: refuse to measure that.
for (const line of corpus) parseConfig(line);

function naiveSplit(s: string): Map<string, string> {
  const config = new Map<string, string>();
  for (const pair of s.trim().split(' ')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    config.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return config;
}

interface Tally {
  strings: number;
  ns: bigint;
}

let sink = 0; // keeps the results alive so nothing is optimised away
function run(parse: (s: string) => Map<string, string>, ms: number, tally: Tally): void {
  const started = process.hrtime.bigint();
  const stopAt = started + BigInt(ms) * 1_000_000n;
  let now = started;
  while (now < stopAt) {
    for (const line of corpus) sink += parse(line).size;
    tally.strings += corpus.length;
    now = process.hrtime.bigint();
  }
  tally.ns += now - started;
}

const parsed: Tally = { strings: 0, ns: 0n };
const naive: Tally = { strings: 0, ns: 0n };
run(parseConfig, 200, { strings: 0, ns: 0n }); // warm up both before measuring
run(naiveSplit, 200, { strings: 0, ns: 0n });
// Interleaved rounds, so whatever else the machine does hits both alike: 2 s of parseConfig.
for (let round = 0; round < 8; round++) {
  run(parseConfig, 250, parsed);
  run(naiveSplit, 125, naive);
}

function rate(tally: Tally): { perSecond: number; mbPerSecond: number; usPerString: number } {
  const seconds = Number(tally.ns) / 1e9;
  const perSecond = tally.strings / seconds;
  return {
    perSecond,
    mbPerSecond: (perSecond * (corpusBytes / corpus.length)) / 1e6,
    usPerString: 1e6 / perSecond,
  };
}

const ours = rate(parsed);
const base = rate(naive);
const round = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`corpus: ${corpus.length} strings, ${corpusBytes} bytes (${path.relative(ROOT, corpusPath)})`);
console.log(
  `  parseConfig          ${round(ours.perSecond).padStart(11)} strings/s  ${ours.mbPerSecond.toFixed(1).padStart(6)} MB/s  ${ours.usPerString.toFixed(2)} µs/string`,
);
console.log(
  `  naive split baseline ${round(base.perSecond).padStart(11)} strings/s  ${base.mbPerSecond.toFixed(1).padStart(6)} MB/s  ${base.usPerString.toFixed(2)} µs/string`,
);
if (sink < 0) console.log(sink);
console.log(`parse: ${round(ours.perSecond)} strings/s (baseline naive split: ${round(base.perSecond)} strings/s)`);
