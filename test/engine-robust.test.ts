/**
 * The engine's own guards: targets checked in one place, the deadline covering provider loading,
 * config errors said by their classes.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { targetProblem } from '../src/address.js';
import { Discover } from '../src/discover.js';
import {
  AbortError,
  ConfigParseError,
  isConfigError,
  MalformedResponseError,
  NetworkError,
  ProviderArgsError,
  ProviderError,
  TimeoutError,
  UsageError,
} from '../src/errors.js';
import { InvalidAddressError, JoinConfigError, RetryJoinExhaustedError, retryJoin } from '../src/join/index.js';
import { defineProvider, type Target } from '../src/provider.js';
import { FleetError } from '../src/sim/load.js';
import { CLI, childEnv, ROOT } from './helpers/cli.js';
import { startHttpServer } from './helpers/servers.js';

/** Returns whatever targets the test hands it, unchecked: what a buggy provider or a hostile API gives. */
function rawProvider(targets: unknown[]) {
  return defineProvider({
    name: 'raw',
    summary: 'Returns raw targets (test provider).',
    args: {},
    discover: async () => targets as Target[],
  });
}

test('every target is checked before it is returned: bad ones are dropped and logged', async (t) => {
  const lines: string[] = [];
  const logger = { debug() {}, info() {}, warn: (line: string) => lines.push(line), error() {} };
  const engine = new Discover({
    builtins: false,
    providers: [
      rawProvider([
        { address: '10.0.0.1', port: 4648 },
        { address: 12345 },
        { address: '10.0.0.1 -rf /etc' },
        { address: '10.0.0.2', port: 99999 },
        { address: '\u001b[31mred' },
        { address: 'nomad-1.internal.' },
        { address: 'fe80::1%eth0', port: 1 },
        { address: '010.0.0.1' },
      ]),
    ],
  });
  t.deepEqual(await engine.addrs('provider=raw', { logger }), ['10.0.0.1:4648', 'nomad-1.internal.', '[fe80::1%eth0]:1']);
  t.deepEqual(lines, [
    'discover-raw: dropped target 12345: the address is a number, not a string',
    'discover-raw: dropped target "10.0.0.1 -rf /etc": not an IP address or DNS name',
    'discover-raw: dropped target "10.0.0.2": port 99999 is not in 1-65535',
    'discover-raw: dropped target "\\u001b[31mred": not an IP address or DNS name',
    'discover-raw: dropped target "010.0.0.1": not an IP address or DNS name',
  ]);
});

const problems: Array<[unknown, unknown, string | undefined]> = [
  ['10.0.0.1', 8500, undefined],
  ['2001:db8::1', undefined, undefined],
  ['consul.service.consul', 1, undefined],
  ['_nomad._tcp.example.com', undefined, undefined],
  ['10.0.0.1', 0, 'port 0 is not in 1-65535'],
  ['10.0.0.1', '80', 'port "80" is not in 1-65535'],
  ['10.0.0.1', 1.5, 'port 1.5 is not in 1-65535'],
  ['10.0.0.1%eth0', undefined, 'an IPv4 address cannot carry a zone'],
  ['a'.repeat(64), undefined, 'not an IP address or DNS name'],
  ['', undefined, 'not an IP address or DNS name'],
  [null, undefined, 'the address is a null, not a string'],
];
for (const [address, port, expected] of problems) {
  test(`targetProblem(${JSON.stringify(address)}, ${JSON.stringify(port)})`, (t) => {
    t.is(targetProblem(address, port), expected);
  });
}

test('010.0.0.1 and a literal key=value join entry are config errors, never sent to DNS', async (t) => {
  const resolveHost = async () => {
    throw new Error('DNS must not be asked');
  };
  await t.throwsAsync(retryJoin({ entries: ['010.0.0.1'], resolveHost, join: () => 1 }), {
    instanceOf: InvalidAddressError,
    message: 'address 010.0.0.1: not a valid IPv4 address (no leading zeros, four parts)',
  });
  const error = await t.throwsAsync(retryJoin({ entries: ['secret_access_key=AKIAHUNTER2'], resolveHost, join: () => 1 }), {
    instanceOf: JoinConfigError,
    message: 'secret_access_key=***: a join entry with "=" is not an address; a provider entry needs provider=NAME',
  });
  t.false(error?.message.includes('HUNTER2'));
  t.true(isConfigError(error));
});

test('the error classes say which errors are config errors', (t) => {
  const config = [
    new ConfigParseError('x', '', 0),
    new ProviderArgsError('p', []),
    new UsageError('x'),
    new JoinConfigError('e', 'x'),
    new InvalidAddressError('a', 'x'),
    new FleetError(['x']),
  ];
  const runtime = [
    new ProviderError('p', 'x', { operation: 'o' }),
    new NetworkError('x', 'u'),
    new TimeoutError('x', 1),
    new AbortError(),
    new MalformedResponseError('x', 'u'),
    new RetryJoinExhaustedError(1, [], new Error('x')),
    new Error('plain'),
  ];
  for (const error of config) t.true(isConfigError(error), error.name);
  for (const error of runtime) t.false(isConfigError(error), error.name);
});

test('loading the provider is inside the timeout: a plugin whose module never finishes loading times out', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-slow-plugin-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const plugin = join(dir, 'stuck.mjs');
  // Top-level await that never settles: the import itself never ends.
  await writeFile(plugin, 'await new Promise(() => {});\nexport default {};\n');
  const engine = new Discover({ builtins: false, plugins: [plugin] });
  await t.throwsAsync(engine.addrs('provider=stuck', { timeout: 200 }), { instanceOf: TimeoutError, message: 'discover-stuck timed out after 200 ms' });
});

test('the CLI counts --timeout from the start of its process: slow start-up uses it up', async (t) => {
  const server = await startHttpServer(t, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('[]');
  });
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-slow-start-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const slow = join(dir, 'slow-start.mjs');
  // Start-up takes at least 1.5 s of wall time, however busy the machine: more than the 1 s timeout.
  await writeFile(slow, 'const until = Date.now() + 1500;\nwhile (Date.now() < until);\n');
  const cfg = `provider=consul service=nomad address=127.0.0.1:${server.port}`;
  const child = spawn(process.execPath, ['--import', slow, CLI, 'addrs', '-q', '--timeout', '1s', cfg], { cwd: ROOT, env: childEnv() });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  t.is(code, 1, stderr);
  t.regex(stderr, /timed out after 1000 ms/);
  t.is(server.connections(), 0);
});
