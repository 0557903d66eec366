import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import test from 'ava';
import { parseConfig } from '../src/config/index.js';
import { ProviderRegistry } from '../src/registry.js';
import { generatedFiles } from '../scripts/docs-lib.js';

const registry = new ProviderRegistry();
const providers = await registry.loadAll();
const generated = await generatedFiles();

for (const [file, wanted] of generated) {
  test(`${file} matches what the descriptors and simulator modules generate`, (t) => {
    t.is(readFileSync(file, 'utf8'), wanted, 'run `npm run docs` and commit the result');
  });
}

test('every generated provider doc belongs to a registered provider', (t) => {
  const names = new Set(providers.map((p) => p.name));
  const stale = readdirSync('docs/providers').filter((f) => f.endsWith('.md') && !names.has(f.slice(0, -3)));
  t.deepEqual(stale, []);
});

test('every argument has help text and every provider a summary', (t) => {
  for (const provider of providers) {
    t.true(provider.summary.length > 10, provider.name);
    for (const [key, spec] of Object.entries(provider.args)) t.true(spec.help.length > 5, `${provider.name}.${key}`);
  }
});

test("every provider doc's examples, pasted into a shell, hand discover the config string they show", (t) => {
  for (const provider of providers) {
    const doc = readFileSync(`docs/providers/${provider.name}.md`, 'utf8');
    const commands = doc.split('\n').filter((line) => line.startsWith('discover addrs '));
    t.is(commands.length, provider.examples?.length ?? 0, provider.name);
    for (const [i, command] of commands.entries()) {
      // What a POSIX shell makes of the line: the words after `discover addrs`, NUL-separated.
      const words = execFileSync('sh', ['-c', `printf '%s\\0' ${command.slice('discover addrs '.length)}`], { encoding: 'utf8' })
        .split('\0')
        .slice(0, -1);
      t.deepEqual(parseConfig(words.join(' ')), parseConfig(provider.examples?.[i] ?? ''), command);
    }
  }
});

/** The first fenced block in `file` that starts with `firstLine`. */
function documentedBlock(file: string, firstLine: string): string {
  const text = readFileSync(file, 'utf8');
  const blocks = [...text.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const block = blocks.find((b) => b.startsWith(firstLine));
  if (block === undefined) throw new Error(`${file}: no block starting with ${firstLine}`);
  return block;
}

// docs/sim.md's paste sample is generated (scripts/docs-lib.ts simPasteSample), so the drift test above covers it.

test('docs/retry-join.md: the log lines are spaced as the logger writes them', async (t) => {
  const { lineLogger } = await import('../src/log.js');
  const block = documentedBlock('docs/retry-join.md', '[INFO]');
  for (const line of block.trimEnd().split('\n')) {
    const [, level, message] = /^\[(\w+)\]\s*(.*)$/.exec(line) ?? [];
    let written = '';
    const logger = lineLogger((text) => (written += text));
    logger[(level as string).toLowerCase() as 'info' | 'warn' | 'error' | 'debug'](message as string);
    t.is(written, `${line}\n`);
  }
});

test('docs/cli.md: the invalid-arguments sample is what validation says', async (t) => {
  const { Discover } = await import('../src/discover.js');
  const error = await t.throwsAsync(new Discover().check('provider=aws tag_kye=role tag_value=nomad'));
  t.is(`${error?.message}\n`, documentedBlock('docs/cli.md', 'discover-aws: invalid arguments:'));
});

test('docs/cli.md: the log sample is what discover addrs prints first', async (t) => {
  const { runDiscover } = await import('./helpers/cli.js');
  const result = await runDiscover(['addrs', 'provider=aws', 'tag_key=a', 'tag_value=b', 'region=eu-west-1', 'endpoint=http://127.0.0.1:1']);
  const documented = documentedBlock('docs/cli.md', 'Registered providers:').split('\n');
  t.is(result.stderr.split('\n').slice(0, 2).join('\n'), documented.slice(0, 2).join('\n'));
});
