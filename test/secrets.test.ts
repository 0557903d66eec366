// Secrets never reach any output. Generated from the descriptors: every secret argument of every
// registered provider (and every URL or string argument given a URL with user-info) goes through
// every output path of the CLI: `check` text and JSON, validation and parse errors, `addrs` with its
// log lines and error, `join -v` lines, its progress (text and JSON) and its final error. A new
// provider is covered without a new test.
import test from 'ava';
import { runCli } from '../src/cli/run.js';
import { Discover } from '../src/discover.js';
import type { AnyProvider, ArgSpec } from '../src/provider.js';

const providers = await new Discover().registry.loadAll();

/** A secret value that shows where it leaked: unique per provider, key and path. */
const mark = (provider: string, key: string) => `Sx${provider}${key.replace(/_/g, '')}Q7`;

interface Run {
  code: number;
  out: string;
}

async function cli(argv: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  let out = '';
  const write = (text: string) => {
    out += text;
  };
  const code = await runCli(argv, {
    stdout: write,
    stderr: write,
    env: { AUTOJOIN_LOOPBACK_ONLY: '1', PATH: process.env.PATH, ...env },
    signal: new AbortController().signal,
    isTTY: false,
    cwd: process.cwd(),
  });
  return { code, out };
}

const secretArgs = (p: AnyProvider) => Object.entries(p.args).filter(([, spec]) => spec.secret) as Array<[string, ArgSpec]>;
const urlArgs = (p: AnyProvider) => Object.entries(p.args).filter(([, spec]) => spec.type === 'url') as Array<[string, ArgSpec]>;

/**
 * A config that passes `check`: the descriptor's example naming the most secret keys, every secret
 * key set to its mark, every URL argument a dead loopback URL with the mark as its password (or
 * without user-info where the provider refuses it: that refusal is tested with the errors).
 */
async function secretConfig(p: AnyProvider): Promise<{ words: string[]; marks: string[] }> {
  const secrets = secretArgs(p).map(([key]) => key);
  const examples = [...(p.examples ?? [`provider=${p.name}`])];
  const score = (example: string) => secrets.filter((key) => example.includes(`${key}=`)).length;
  examples.sort((a, b) => score(b) - score(a));
  const words = (examples[0] as string).match(/\S+="[^"]*"|\S+/g) ?? [];
  const pairs = new Map(words.map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]));
  const marks: string[] = [];
  for (const key of secrets) {
    pairs.set(key, mark(p.name, key));
    marks.push(mark(p.name, key));
  }
  const toWords = () => [...pairs].map(([key, value]) => `${key}=${value}`);
  for (const [key] of urlArgs(p)) {
    pairs.set(key, `http://user:${mark(p.name, key)}@127.0.0.1:1`);
    if ((await cli(['check', ...toWords()])).code === 0) marks.push(mark(p.name, key));
    else pairs.set(key, 'http://127.0.0.1:1');
  }
  return { words: toWords(), marks };
}

function assertClean(t: import('ava').ExecutionContext, run: Run, marks: readonly string[], what: string) {
  for (const m of marks) t.false(run.out.includes(m), `${what} printed ${m}:\n${run.out}`);
}

// Built before any test is declared: ava takes declarations only until the first test starts.
const configs = new Map<AnyProvider, { words: string[]; marks: string[] }>();
for (const p of providers) configs.set(p, await secretConfig(p));

for (const p of providers) {
  const { words, marks } = configs.get(p) as { words: string[]; marks: string[] };
  test(`${p.name}: validation and parse errors mask secrets`, async (t) => {
    // A validation error next to the secrets (an unknown key, a bad value for each URL argument).
    const broken = [...words, 'zz_unknown=1', ...urlArgs(p).map(([key]) => `${key}=http://user:${mark(p.name, key)}/x@:bad`)];
    const invalid = await cli(['check', ...broken]);
    t.is(invalid.code, 2, invalid.out);
    assertClean(t, invalid, [...marks, ...urlArgs(p).map(([key]) => mark(p.name, key))], 'the validation error');
    // A URL with user-info wherever a string may be a URL (consul's address): accepted or refused, never echoed.
    for (const [key, spec] of Object.entries(p.args)) {
      if (spec.secret || (spec.type !== 'string' && spec.type !== 'url')) continue;
      for (const url of [`http://user:${mark(p.name, key)}@127.0.0.1:1`, `http://user:${mark(p.name, key)}/x@127.0.0.1:1`]) {
        const run = await cli(['check', ...words.filter((word) => !word.startsWith(`${key}=`)), `${key}=${url}`]);
        assertClean(t, run, [mark(p.name, key)], `check with ${key}=${url}`);
      }
    }
    // go-discover names the token after a bad pair as a key: the rest of an unquoted secret.
    for (const [key] of secretArgs(p)) {
      const parse = await cli(['check', `provider=${p.name}`, `${key}=abc`, mark(p.name, key)]);
      t.is(parse.code, 2, parse.out);
      assertClean(t, parse, marks, `the parse error of ${key}`);
    }
  });

  // A provider with no secret argument, and URL arguments that refuse user-info, has nothing more to show.
  if (marks.length === 0) continue;

  test(`${p.name}: check (text and JSON) masks ${marks.length} secret(s)`, async (t) => {
    const text = await cli(['check', ...words]);
    t.is(text.code, 0, text.out);
    t.true(text.out.includes('***'), text.out);
    assertClean(t, text, marks, 'check');
    const json = await cli(['--format', 'json', 'check', ...words]);
    t.is(json.code, 0, json.out);
    assertClean(t, json, marks, 'check --format json');
    const parsed = JSON.parse(json.out) as { args: Record<string, unknown> };
    for (const [key] of secretArgs(p)) t.is(parsed.args[key], '***', key);
  });

  test(`${p.name}: --lenient masks mistyped secret keys`, async (t) => {
    const typos = secretArgs(p).map(([key]) => `${key.slice(0, -1)}=${mark(p.name, `${key}typo`)}`);
    const run = await cli(['--lenient', 'check', ...words, ...typos, 'tokn=SxtoknQ7']);
    t.is(run.code, 0, run.out);
    assertClean(t, run, [...marks, ...secretArgs(p).map(([key]) => mark(p.name, `${key}typo`)), 'SxtoknQ7'], 'check --lenient');
  });

  test(`${p.name}: addrs logs and its error mask secrets`, async (t) => {
    const run = await cli(['--timeout', '2s', 'addrs', ...words]);
    t.is(run.code, 1, run.out);
    t.true(run.out.includes('Registered providers'), 'the log lines were printed');
    assertClean(t, run, marks, 'addrs');
  });

  test(`${p.name}: join -v lines, progress and final error mask secrets`, async (t) => {
    const entry = words.join(' ');
    for (const format of ['text', 'json']) {
      const run = await cli(['join', '-v', '--format', format, '--retry-max', '1', '--retry-interval', '1ms', '--timeout', '2s', entry]);
      t.is(run.code, 1, run.out);
      t.true(run.out.includes('***'), run.out);
      assertClean(t, run, marks, `join --format ${format}`);
    }
  });

  const fromEnv = secretArgs(p).filter(([, spec]) => spec.env?.length);
  if (fromEnv.length > 0) {
    test(`${p.name}: secrets taken from the environment are masked too`, async (t) => {
      const env = Object.fromEntries(fromEnv.map(([key, spec]) => [spec.env?.[0] as string, mark(p.name, `env${key}`)]));
      const envMarks = Object.values(env);
      const bare = words.filter((word) => !fromEnv.some(([key]) => word.startsWith(`${key}=`)));
      const json = await cli(['--format', 'json', 'check', ...bare], env);
      assertClean(t, json, envMarks, 'check --format json');
      const run = await cli(['--timeout', '2s', 'addrs', ...bare], env);
      assertClean(t, run, envMarks, 'addrs');
    });
  }
}
