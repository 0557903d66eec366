// Flags as go-discover users and GNU users type them, before and after every command; help topics.
import path from 'node:path';
import test from 'ava';
import { installExamplePlugin, runDiscover } from './helpers/cli.js';

// Node's parseArgs texts, which must never reach the user.
const NODE_PARSER_TEXT = /Unknown option|To specify a positional argument|ERR_PARSE_ARGS|Option '.*' argument/;

test('global flags with a value before join: --timeout, --format, --plugin; and --plugin after join', async (t) => {
  const plugin = path.join(installExamplePlugin(t), 'index.js');
  const json = await runDiscover(['--format', 'json', '--timeout', '5s', 'join', '10.0.0.1']);
  t.is(json.code, 0, json.stderr);
  t.like(JSON.parse(json.stdout), { joined: 1, addresses: ['10.0.0.1'] });
  const before = await runDiscover(['-q', '--plugin', plugin, 'join', 'provider=static addrs=10.0.0.3 port=4648']);
  t.is(before.code, 0, before.stderr);
  t.is(before.stdout, '10.0.0.3:4648\n');
  const after = await runDiscover(['join', '-q', '--plugin', plugin, 'provider=static addrs=10.0.0.4']);
  t.is(after.code, 0, after.stderr);
  t.is(after.stdout, '10.0.0.4\n');
  const fromEnv = await runDiscover(['join', '-q', 'provider=static addrs=10.0.0.5'], { env: { DISCOVER_PLUGINS: plugin } });
  t.is(fromEnv.code, 0, fromEnv.stderr);
  t.is(fromEnv.stdout, '10.0.0.5\n');
  // A global --timeout before join bounds join's discovery: a bad one is join's usage error.
  const badTimeout = await runDiscover(['--timeout', 'soon', 'join', '10.0.0.1']);
  t.is(badTimeout.code, 2);
  t.regex(badTimeout.stderr, /^--timeout: invalid duration "soon"/);
});

test('--plugin and DISCOVER_PLUGINS work with addrs, check, help and providers', async (t) => {
  const plugin = path.join(installExamplePlugin(t), 'index.js');
  const env = { DISCOVER_PLUGINS: plugin };
  t.is((await runDiscover(['-q', 'addrs', 'provider=static', 'addrs=10.0.0.6'], { env })).stdout, '10.0.0.6\n');
  t.is((await runDiscover(['check', 'provider=static', 'addrs=10.0.0.6'], { env })).stdout, 'provider=static addrs=10.0.0.6\n');
  t.regex((await runDiscover(['check', '--plugin', plugin, 'provider=static', 'addrs=a'])).stdout, /^provider=static/);
  t.regex((await runDiscover(['help', 'static'], { env })).stdout, /^static: Fixed addresses/);
  t.regex((await runDiscover(['help'], { env })).stdout, /^ {2}static +Fixed addresses/m);
});

const goForms: Array<{ argv: string[]; code: number; stdout?: RegExp; stderr?: RegExp }> = [
  { argv: ['-q=true', 'join', '10.0.0.1'], code: 0, stdout: /^10\.0\.0\.1\n$/, stderr: /^$/ },
  { argv: ['-q=false', 'join', '10.0.0.1'], code: 0, stderr: /^discover join: attempt 1/ },
  { argv: ['join', '-q=true', '10.0.0.1'], code: 0, stderr: /^$/ },
  { argv: ['-timeout=5s', 'join', '-retry-max=0', '10.0.0.1'], code: 0, stdout: /^10\.0\.0\.1\n$/ },
  { argv: ['-h'], code: 0, stdout: /^Usage: discover \[flags\] <command>/ },
  { argv: ['--h'], code: 0, stdout: /^Usage: discover \[flags\] <command>/ },
  { argv: ['-help'], code: 0, stdout: /^Usage: discover \[flags\] <command>/ },
  { argv: ['--version'], code: 0, stdout: /^autojoin \d+\.\d+\.\d+\n$/ },
  { argv: ['-version'], code: 0, stdout: /^autojoin \d+\.\d+\.\d+\n$/ },
  { argv: ['help', 'join'], code: 0, stdout: /^Usage: discover join \[flags\] ENTRY/ },
  { argv: ['join', '--help'], code: 0, stdout: /^Usage: discover join \[flags\] ENTRY/ },
  { argv: ['join', '-h'], code: 0, stdout: /^Usage: discover join \[flags\] ENTRY/ },
  { argv: ['help', 'sim'], code: 0, stdout: /^Usage: discover sim \[--fleet FILE\] \[--port N\]/ },
  { argv: ['sim', '--help'], code: 0, stdout: /^Usage: discover sim \[--fleet FILE\] \[--port N\]/ },
  { argv: ['sim', '-h'], code: 0, stdout: /^Usage: discover sim/ },
  { argv: ['-q=maybe', 'addrs', 'provider=aws'], code: 2, stderr: /^discover: invalid boolean value "maybe" for flag -q \(true or false\)\n/ },
  { argv: ['--bogus', 'addrs', 'provider=aws'], code: 2, stderr: /^discover: flag provided but not defined: --bogus\nRun 'discover help' for usage\.\n$/ },
  { argv: ['--timeout'], code: 2, stderr: /^discover: flag needs an argument: -timeout\n/ },
  { argv: ['sim', '--fleet'], code: 2, stderr: /^discover sim: flag needs an argument: -fleet\n/ },
  { argv: ['sim', '--prot', '1'], code: 2, stderr: /^discover sim: flag provided but not defined: --prot \(did you mean "port"\?\)/ },
  { argv: ['join', '--retry-max'], code: 2, stderr: /^discover join: flag needs an argument: -retry-max\n/ },
  { argv: ['adrs', 'provider=aws'], code: 2, stderr: /^discover: unknown command "adrs" \(did you mean "addrs"\?\)\n/ },
  // A string flag whose value was left out: the command or the config string is not taken for it.
  { argv: ['--timeout', 'addrs', 'provider=consul'], code: 2, stderr: /^discover: flag needs an argument: -timeout \("addrs" is the command\)\n/ },
  { argv: ['--format', 'addrs', 'provider=aws'], code: 2, stderr: /^discover: flag needs an argument: -format \("addrs" is the command\)\n/ },
  { argv: ['--plugin', 'check', 'provider=aws'], code: 2, stderr: /^discover: flag needs an argument: -plugin \("check" is the command\)\n/ },
  {
    argv: ['addrs', '--timeout', 'provider=aws'],
    code: 2,
    stderr: /^discover addrs: flag needs an argument: -timeout \(the next word is the config string\)\n/,
  },
  // Values are checked as they are read, whatever the command.
  { argv: ['--timeout', '5x', 'providers'], code: 2, stderr: /^--timeout: invalid duration "5x"/ },
  { argv: ['-timeout=addrs', 'addrs', 'provider=aws'], code: 2, stderr: /^--timeout: invalid duration "addrs"/ },
  { argv: ['--format', 'yaml', 'help'], code: 2, stderr: /^--format: "yaml" is not one of text, json\n$/ },
  // Commands that take no arguments refuse them; a pair is shown by its key only.
  { argv: ['providers', 'extra'], code: 2, stderr: /^discover providers: unexpected argument "extra" \(providers takes no arguments\)\n/ },
  { argv: ['version', 'extra'], code: 2, stderr: /^discover version: unexpected argument "extra" \(version takes no arguments\)\n/ },
];
for (const c of goForms) {
  test(`discover ${c.argv.join(' ')}`, async (t) => {
    const r = await runDiscover(c.argv);
    t.is(r.code, c.code, r.stderr);
    if (c.stdout) t.regex(r.stdout, c.stdout);
    if (c.stderr) t.regex(r.stderr, c.stderr);
    t.notRegex(r.stdout + r.stderr, NODE_PARSER_TEXT);
  });
}

test('a usage error quotes a key=value word by its key: the value may be a secret', async (t) => {
  const cases: Array<[string[], string]> = [
    [['version', 'secret_access_key=S3CRETVALUE'], 'discover version: unexpected argument "secret_access_key=..."'],
    [['providers', 'secret_access_key=S3CRETVALUE'], 'discover providers: unexpected argument "secret_access_key=..."'],
    [['help', 'secret_access_key=S3CRETVALUE'], 'discover: unknown help topic "secret_access_key=..."'],
    [['secret_access_key=S3CRETVALUE', 'addrs'], 'discover: unknown command "secret_access_key=..."'],
  ];
  for (const [argv, start] of cases) {
    const r = await runDiscover(argv);
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.true(r.stderr.startsWith(start), r.stderr);
    t.false(r.stderr.includes('S3CRETVALUE'), r.stderr);
  }
});

test('discover help is short: usage, the providers one line each, where the rest is', async (t) => {
  const r = await runDiscover(['help']);
  t.is(r.code, 0);
  const lines = r.stdout.split('\n');
  t.true(lines.length < 60, `${lines.length} lines`);
  t.regex(r.stdout, /^ {2}aws +Amazon EC2/m);
  t.regex(r.stdout, /discover help <provider>/);
  t.notRegex(r.stdout, /tag_key: /);
  t.is((await runDiscover([])).stdout, r.stdout);
  // Every provider's arguments, go-discover's long form, on request.
  const all = await runDiscover(['help', 'all']);
  t.regex(all.stdout, /^aws: Amazon EC2/m);
  t.regex(all.stdout, /^gce: /m);
  // A command's help through its topic.
  t.regex((await runDiscover(['help', 'join', 'aws'])).stdout, /^Usage: discover join[\s\S]*^aws: Amazon EC2/m);
});
