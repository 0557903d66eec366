import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { CliIo } from '../src/cli/io.js';
import { joinedFromOutput, runJoin } from '../src/cli/join.js';
import type { Fleet, FleetService } from '../src/sim/fleet.js';
import { closedPort, startTcpListener } from './helpers/servers.js';
import { waitUntil } from './helpers/wait.js';
import { escapeRegExp } from './helpers/text.js';

const ROOT = join(import.meta.dirname, '..');

/** runJoin in-process, with its output captured. */
async function run(argv: string[], signal = new AbortController().signal, onStdout?: (text: string) => void, isTTY = false) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
      onStdout?.(text);
    },
    stderr: (text) => {
      stderr += text;
    },
    env: { ...process.env },
    signal,
    isTTY,
    cwd: ROOT,
  };
  const code = await runJoin(argv, io);
  return { code, stdout, stderr };
}

test('literal entries: addresses normalised and printed on one line; one progress line on stderr', async (t) => {
  const r = await run(['10.0.0.1', '[2001:db8::1]', '10.0.0.2:9', '--default-port', '4648']);
  t.is(r.code, 0);
  t.is(r.stdout, '10.0.0.1:4648 [2001:db8::1]:4648 10.0.0.2:9\n');
  t.is(
    r.stderr,
    'discover join: attempt 1: "10.0.0.1" found 10.0.0.1:4648; "[2001:db8::1]" found [2001:db8::1]:4648; "10.0.0.2:9" found 10.0.0.2:9 => found 3\n',
  );
});

test('--format json and -q', async (t) => {
  const r = await run(['-q', '--format', 'json', 'exec=echo 192.0.2.1 192.0.2.2']);
  t.is(r.code, 0);
  t.is(r.stderr, '');
  t.like(JSON.parse(r.stdout), { joined: 2, attempts: 1, addresses: ['192.0.2.1', '192.0.2.2'] });
});

test("-v adds Nomad's log lines, debug included, beside the progress", async (t) => {
  const r = await run(['-v', '10.0.0.1']);
  t.is(
    r.stderr,
    [
      '[INFO] agent.joiner: starting retry join: servers="10.0.0.1"',
      '[DEBUG] agent.joiner: discovered join addresses: join_config="10.0.0.1" addresses="10.0.0.1"',
      '[INFO] agent.joiner: retry join completed: initial_servers=1',
      'discover join: attempt 1: "10.0.0.1" found 10.0.0.1 => found 1',
      '',
    ].join('\n'),
  );
});

const usageErrors: Array<{ name: string; argv: string[]; message: RegExp }> = [
  { name: 'no entries', argv: [], message: /^join: no entries given/ },
  { name: 'bad --retry-max', argv: ['--retry-max', '-1', '10.0.0.1'], message: /--retry-max/ },
  { name: 'bad --retry-interval', argv: ['--retry-interval', 'soon', '10.0.0.1'], message: /^--retry-interval: invalid duration "soon"/ },
  { name: 'port out of range', argv: ['--default-port', '70000', '10.0.0.1'], message: /^--default-port: "70000" is not an integer in 0-65535/ },
  { name: 'dashes without command', argv: ['10.0.0.1', '--'], message: /^join: "--" must be followed by a command/ },
  {
    name: 'unknown flag',
    argv: ['--retry', '10.0.0.1'],
    message: /^discover join: flag provided but not defined: --retry\nRun 'discover help join' for usage\.\n$/,
  },
  { name: 'bad format', argv: ['--format', 'yaml', '10.0.0.1'], message: /^--format: "yaml" is not one of text, json/ },
  { name: 'bad probe', argv: ['--probe', 'udp', '10.0.0.1'], message: /^--probe: "udp" is not one of tcp/ },
  { name: 'bad --min', argv: ['--min', '0', '10.0.0.1'], message: /^--min: "0" is not an integer in 1-/ },
  { name: 'bad --timeout', argv: ['--timeout', 'later', '10.0.0.1'], message: /^--timeout: invalid duration "later"/ },
  {
    // Taken as the value, the entry was printed whole in --timeout's error, its secret with it.
    name: 'a flag without its value, before an entry holding a secret',
    argv: ['--timeout', 'secret_access_key=S3CRETVALUE', 'provider=aws region=eu-west-1'],
    message: /^discover join: flag needs an argument: -timeout \(the next word is the config string\)\nRun 'discover help join' for usage\.\n$/,
  },
  {
    name: 'a flag without its value, before the entry',
    argv: ['--retry-max', 'provider=aws region=eu-west-1 secret_access_key=S3CRETVALUE'],
    message: /^discover join: flag needs an argument: -retry-max \(the next word is the config string\)\n/,
  },
  { name: '--mode without config', argv: ['--mode', 'server', '10.0.0.1'], message: /^--mode needs --from-config/ },
  { name: 'unknown provider', argv: ['provider=nosuchcloud foo=bar'], message: /^discover: unknown provider nosuchcloud/ },
  {
    name: "an entry's value with spaces, unquoted: the hint shows the quotes",
    argv: ['10.0.0.1', 'provider=aws region=eu-west-1 tag_key=role tag_value=nomad server'],
    message: /^discover: server: missing '=' \(a value with spaces needs double quotes inside the argument: 'tag_value="nomad server"'\)\n$/,
  },
  {
    name: "a word after an entry's secret: masked, and the hint names the key, not the word",
    argv: ['provider=aws region=eu-west-1 secret_access_key=S3CRETVALUE tail access_key_id=AKIDX'],
    message: /^discover: \*\*\*: missing '=' \(the word after secret_access_key=\.\.\.; a value with spaces needs double quotes\)\n$/,
  },
  { name: 'bare exec=', argv: ['exec='], message: /^exec=: no executable given after "exec="/ },
  { name: 'malformed address', argv: ['[::1'], message: /^address \[::1: missing '\]' in address/ },
  { name: 'go-sockaddr template', argv: ['{{ GetInterfaceIP "eth0" }}'], message: /go-sockaddr templates are not supported/ },
  {
    name: 'bad agent config',
    argv: ['--from-config', 'fixtures/agent-configs/nomad-conflict.hcl'],
    message: /server_join and retry_join cannot both be defined/,
  },
];
for (const c of usageErrors) {
  test(`exit 2 at once: ${c.name}`, async (t) => {
    const r = await run(c.argv);
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.regex(r.stderr, c.message);
    t.notRegex(r.stderr, /starting retry join/);
    t.false(r.stderr.includes('S3CRETVALUE'));
  });
}

test('exit 1 when every attempt fails: exactly one progress line per attempt, then the error naming each entry', async (t) => {
  const r = await run(['--retry-max', '2', '--retry-interval', '10ms', '--min', '2', 'exec=false', '10.0.0.7']);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  const lines = r.stderr.split('\n');
  const failed = '"exec=false" failed: failed to retrieve IP addresses from executable: executable failed with exit code 1:; "10.0.0.7" found 10.0.0.7';
  t.regex(
    lines[0] ?? '',
    new RegExp(`^discover join: attempt 1: ${escapeRegExp(failed)} => found 1 of the 2 addresses needed; next attempt in 10ms \\(\\d\\d:\\d\\d:\\d\\d UTC\\)$`),
  );
  t.regex(lines[1] ?? '', /^discover join: attempt 2: .* => found 1 of the 2 addresses needed; next attempt in 10ms/);
  t.regex(lines[2] ?? '', /^discover join: attempt 3: .* => found 1 of the 2 addresses needed; no attempts left$/);
  t.is(lines[3], 'max join retry exhausted after 3 attempt(s): found 1 of the 2 addresses needed');
  t.is(lines[4], '  - exec=false: failed to retrieve IP addresses from executable: executable failed with exit code 1: ');
  t.is(lines[5], '  - 10.0.0.7: 1 address(es)');
});

test('with a COMMAND: it gets the addresses as arguments and its output decides the count', async (t) => {
  const script = "console.log('Joined ' + (process.argv.length - 1) + ' servers successfully: ' + process.argv.slice(1).join(','))";
  const r = await run(['10.0.0.1', '10.0.0.2', '--default-port', '4648', '--', process.execPath, '-e', script]);
  t.is(r.code, 0);
  t.is(r.stdout, 'Joined 2 servers successfully: 10.0.0.1:4648,10.0.0.2:4648\n');
  t.regex(r.stderr, /=> joined 2\n$/);
});

test('with a COMMAND: a non-zero exit is a failed attempt, retried', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const marker = join(dir, 'tried');
  // Fails the first time (and leaves a marker), succeeds the second.
  const script = `const fs = require('node:fs'); if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); console.error('Error joining: connection refused'); process.exit(1); }`;
  const r = await run(['--retry-interval', '10ms', '10.0.0.1', '--', process.execPath, '-e', script]);
  t.is(r.code, 0);
  t.regex(r.stderr, /^Error joining: connection refused\ndiscover join: attempt 1: "10.0.0.1" found 10.0.0.1 => .*exited with code 1; next attempt in 10ms/);
  t.regex(r.stderr, /discover join: attempt 2: "10.0.0.1" found 10.0.0.1 => joined 1\n$/);
});

test('--min counts what the COMMAND reported', async (t) => {
  const r = await run([
    '--retry-max',
    '0',
    '--min',
    '2',
    '--retry-max',
    '1',
    '--retry-interval',
    '1ms',
    '10.0.0.1',
    '10.0.0.2',
    '--',
    process.execPath,
    '-e',
    "console.log('Joined 1 servers successfully')",
  ]);
  t.is(r.code, 1);
  t.regex(r.stderr, /joined 1 of the 2 required/);
});

test('--from-config takes entries and port from a Consul config', async (t) => {
  const r = await run(['--from-config', 'fixtures/agent-configs/consul.json']);
  t.is(r.code, 0);
  t.is(r.stdout, '10.0.2.1:8301 10.0.2.2:8301\n');
});

test('--from-config with a deprecated Nomad config warns as Nomad does; positional entries are added', async (t) => {
  const r = await run(['--from-config', 'fixtures/agent-configs/nomad-deprecated.hcl', '10.0.0.3']);
  t.is(r.code, 0);
  t.is(r.stdout, '10.0.0.1:4648 10.0.0.2:4648 10.0.0.3:4648\n');
  t.regex(r.stderr, /\[WARN\] agent.joiner: using deprecated retry_join fields. Upgrade configuration to use server_join/);
});

test('--watch prints the first join and runs until stopped', async (t) => {
  const controller = new AbortController();
  // Stop a few watch rounds after the first line appears.
  const running = run(['--watch', '--watch-interval', '20ms', '10.0.0.1'], controller.signal, () => setTimeout(() => controller.abort(), 100));
  const r = await running;
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '10.0.0.1\n');
});

test('a stop before joining exits 1', async (t) => {
  const controller = new AbortController();
  const running = run(['--retry-interval', '1m', 'exec=false'], controller.signal);
  setTimeout(() => controller.abort(), 1000);
  const r = await running;
  t.is(r.code, 1);
  t.regex(r.stderr, /discover join: stopped before joining/);
});

test('joinedFromOutput reads Nomad and Consul join output', (t) => {
  t.is(joinedFromOutput('Joined 3 servers successfully\n', 9), 3);
  t.is(joinedFromOutput('Successfully joined cluster by contacting 2 nodes.\n', 9), 2);
  t.is(joinedFromOutput('ok\n', 9), 9);
});

/** The real CLI entry point as a process: `node --import tsx entry/discover.ts join ...`. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const limitMs = 120_000;
  return new Promise((resolve, reject) => {
    const options = { cwd: ROOT, timeout: limitMs, env: { ...process.env, ...env } };
    execFile(process.execPath, ['--import', 'tsx', 'entry/discover.ts', ...args], options, (error, stdout, stderr) => {
      // Killed by this helper's own limit: a timeout, not an empty answer from the CLI.
      if (error?.killed) return reject(new Error(`discover ${args.join(' ')}: killed after the helper's ${limitMs} ms limit; stderr so far: ${stderr}`));
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test('end to end: discover join through the CLI entry point, exit codes 0 / 1 / 2', async (t) => {
  const [ok, exhausted, config] = await Promise.all([
    cli(['-q', 'join', '--default-port', '4647', '10.0.0.1', '2001:db8::1']),
    cli(['join', '--retry-max', '1', '--retry-interval', '1ms', 'exec=false']),
    cli(['join', 'provider=nosuchcloud']),
  ]);
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, '10.0.0.1:4647 [2001:db8::1]:4647\n');
  t.is(ok.stderr, '');
  t.is(exhausted.code, 1, exhausted.stderr);
  t.regex(exhausted.stderr, /^max join retry exhausted after 2 attempt\(s\): no addresses discovered$/m);
  t.is(config.code, 2, config.stderr);
  t.regex(config.stderr, /unknown provider nosuchcloud/);
});

test('end to end against the simulated Consul: a late server is joined, and --watch prints the new list when one is added', async (t) => {
  const { startTestSim } = await import('./helpers/sim.js');
  const { default: consulSim } = await import('../providers/consul/sim.js');
  const sim = await startTestSim(
    t,
    {
      credentials: { consul: { token: 'sim-token-cli' } },
      instances: [],
      services: [{ node: 'srv-1', node_address: '10.0.0.1', service: 'nomad', port: 4648, tags: ['serf'], appear_after_ms: 300 }],
    },
    [consulSim],
  );
  const entry = `provider=consul service=nomad tag=serf address=${sim.httpUrl}`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'entry/discover.ts', 'join', '--backoff', '--backoff-initial', '100ms', '--watch', '--watch-interval', '200ms', entry],
    {
      cwd: ROOT,
      env: { ...process.env, CONSUL_HTTP_TOKEN: 'sim-token-cli' },
    },
  );
  t.teardown(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      lines.splice(0, lines.length, ...stdout.split('\n').filter(Boolean));
      if (lines.length === 1 && !stdout.includes('10.0.0.2')) {
        sim.updateFleet((fleet) => ({
          ...fleet,
          services: [...(fleet.services ?? []), { node: 'srv-2', node_address: '10.0.0.2', service: 'nomad', port: 4648, tags: ['serf'] }],
        }));
      }
      if (lines.length >= 2) resolve();
    });
  });
  child.kill('SIGTERM');
  t.is(await exited, 0, stderr);
  t.deepEqual(lines, ['10.0.0.1:4648', '10.0.0.1:4648 10.0.0.2:4648']);
  t.regex(stderr, /discover join: watch round \d+: .* => added 10.0.0.2:4648, removed none; next round in 200ms/);
  t.false(stderr.includes('sim-token-cli'));
});

test('on a terminal the progress block is redrawn in place', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const marker = join(dir, 'count');
  // Prints nothing twice, then an address.
  const script = join(dir, 'peers.sh');
  await writeFile(script, `#!/bin/sh\necho x >> ${marker}\n[ "$(wc -l < ${marker})" -ge 3 ] && echo 10.0.0.5\nexit 0\n`, { mode: 0o755 });
  const r = await run(['--retry-interval', '5ms', `exec=${script}`], undefined, undefined, true);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '10.0.0.5\n');
  // Each attempt first shows a status line, then its block replaces the last block and the status line.
  const blocks = r.stderr.split(/\x1b\[\d+F\x1b\[J/);
  t.is(blocks.length, 4, JSON.stringify(r.stderr));
  t.regex(blocks[0] ?? '', /^discover join: attempt 1 running \(0s\)\n/);
  // The reason comes first, then the entry; the long line wraps at the terminal width (80 here), nothing is cut.
  t.regex(
    blocks[1] ?? '',
    /^discover join: attempt 1\n {2}failed: failed to retrieve IP addresses from executable: executable returned\n {4}no output to stdout {2}<- exec=\S+\n {2}=> no addresses discovered; next attempt in 5ms \(\d\d:\d\d:\d\d UTC\)\ndiscover join: attempt 2 running \(0s\)\n/,
  );
  t.false(r.stderr.includes('…'));
  t.regex(blocks[3] ?? '', /^discover join: attempt 3\n {2}found 10.0.0.5 {2}<- exec=\S+\n {2}=> found 1\n$/);
  t.true(r.stderr.split('\n').every((line) => line.replace(/\x1b\[[\d;]*[A-Za-z]/g, '').length < 80));
});

test('--format json: one JSON progress object per attempt on stderr, the result on stdout', async (t) => {
  const r = await run(['--format', 'json', '--retry-max', '1', '--retry-interval', '5ms', '--min', '2', '10.0.0.1', 'exec=false']);
  t.is(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  const first = JSON.parse(lines[0] ?? '');
  t.like(first, { attempt: 1, phase: 'join', addresses: ['10.0.0.1'], joined: 0, min: 2, error: 'found 1 of the 2 addresses needed', next_attempt_ms: 5 });
  t.deepEqual(first.entries[0], { entry: '10.0.0.1', addresses: ['10.0.0.1'] });
  t.regex(first.entries[1].error, /^failed to retrieve IP addresses from executable/);
  t.false('next_attempt_ms' in JSON.parse(lines[1] ?? ''));
  t.regex(lines[2] ?? '', /^max join retry exhausted after 2 attempt/);
});

// ---------------------------------------------------------------- end to end against the simulator

const SIM_TOKEN = 'sim-token-cli-e2e';

async function consulSimWith(t: ExecutionContext, services: FleetService[], extra: Partial<Fleet> = {}) {
  const { startTestSim } = await import('./helpers/sim.js');
  const { default: consulSim } = await import('../providers/consul/sim.js');
  const { default: awsSim } = await import('../providers/aws/sim.js');
  const sim = await startTestSim(t, { credentials: { consul: { token: SIM_TOKEN } }, instances: [], services, ...extra }, [consulSim, awsSim]);
  const env = { CONSUL_HTTP_ADDR: new URL(sim.httpUrl).host, CONSUL_HTTP_TOKEN: SIM_TOKEN };
  return { sim, env };
}

test('e2e: peers that appear after a delay (appear_after_ms) are waited for, then printed; one progress line per attempt', async (t) => {
  const { sim, env } = await consulSimWith(t, []);
  const running = spawnCli(t, ['join', '--retry-interval', '50ms', '--min', '2', 'provider=consul tag=serf'], env);
  await running.waitFor(/attempt 1: /);
  appearLater(
    sim,
    [
      { node: 'srv-1', node_address: '10.0.0.1', service: 'nomad', port: 4648, tags: ['serf'] },
      { node: 'srv-2', node_address: '10.0.0.2', service: 'nomad', port: 4648, tags: ['serf'] },
    ],
    300,
  );
  const r = await running.done;
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '10.0.0.1:4648 10.0.0.2:4648\n');
  const lines = r.stderr.trim().split('\n');
  // At least one attempt before the peers appear and the one that joins; how many fit in the
  // 300 ms depends on the machine's load, so the count is not pinned.
  t.true(lines.length >= 2, r.stderr);
  t.true(
    lines.every((line, i) => line.startsWith(`discover join: attempt ${i + 1}: "provider=consul tag=serf" `)),
    r.stderr,
  );
  t.regex(lines[0] ?? '', / found nothing => no addresses discovered; next attempt in 50ms/);
  t.regex(lines.at(-1) ?? '', / found 10.0.0.1:4648 10.0.0.2:4648 => found 2$/);
  t.false(r.stderr.includes(SIM_TOKEN));
});

test('e2e: -- COMMAND gets the discovered addresses; a failing run is retried; its output passes through', async (t) => {
  const { env } = await consulSimWith(t, [{ node: 'srv-1', node_address: '10.0.0.1', service: 'nomad', port: 4648, tags: ['serf'] }]);
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const marker = join(dir, 'tried');
  // `nomad server join` stand-in: fails once, then reports its arguments as joined.
  const script = `const fs = require('node:fs'); const m = ${JSON.stringify(marker)}; if (!fs.existsSync(m)) { fs.writeFileSync(m, ''); console.error('Error joining: failed joining: dial tcp: i/o timeout'); process.exit(1); } console.log('Joined ' + (process.argv.length - 1) + ' servers successfully (' + process.argv.slice(1).join(' ') + ')')`;
  const r = await cli(
    ['join', '--retry-interval', '20ms', 'provider=consul tag=serf', '10.0.0.9', '--default-port', '4648', '--', process.execPath, '-e', script],
    env,
  );
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'Joined 2 servers successfully (10.0.0.1:4648 10.0.0.9:4648)\n');
  t.regex(r.stderr, /^Error joining: failed joining: dial tcp: i\/o timeout\ndiscover join: attempt 1: .* => \S+ exited with code 1; next attempt in 20ms/);
  t.regex(r.stderr, /discover join: attempt 2: .* => joined 2\n$/);
});

/**
 * The CLI entry point as a child process, for tests that act while it runs: `waitFor` resolves
 * when a stderr line matches (after the first attempt, say), `done` with the exit and output.
 */
function spawnCli(t: ExecutionContext, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'entry/discover.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  t.teardown(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const waiter of waiters.splice(0)) {
      if (waiter.pattern.test(stderr)) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  const waitFor = (pattern: RegExp) => new Promise<void>((resolve) => (pattern.test(stderr) ? resolve() : waiters.push({ pattern, resolve })));
  return { waitFor, done, child };
}

/** Adds services to the simulated catalog that appear `delayMs` from now (sim time). */
function appearLater(sim: { ctx: { elapsedMs(): number }; updateFleet(fn: (f: Fleet) => Fleet): void }, services: FleetService[], delayMs: number) {
  const at = sim.ctx.elapsedMs() + delayMs;
  sim.updateFleet((fleet) => ({ ...fleet, services: [...(fleet.services ?? []), ...services.map((s) => ({ ...s, appear_after_ms: at }))] }));
}

test('e2e: --probe tcp counts only addresses that accept a connection (real loopback listeners)', async (t) => {
  const open = await startTcpListener(t);
  const closed = await closedPort();
  const late = await closedPort();
  const { env } = await consulSimWith(t, [
    { node: 'srv-1', node_address: '127.0.0.1', service: 'nomad', port: open.port, tags: ['serf'] },
    { node: 'srv-2', node_address: '127.0.0.1', service: 'nomad', port: closed, tags: ['serf'] },
    { node: 'srv-3', node_address: '127.0.0.1', service: 'nomad', port: late, tags: ['serf'] },
  ]);
  // Two of three must answer: srv-3 starts listening only after the first attempt failed.
  const lateServer = createServer((socket) => socket.destroy());
  t.teardown(() => new Promise<void>((resolve) => (lateServer.listening ? lateServer.close(() => resolve()) : resolve())));
  const running = spawnCli(t, ['join', '--probe', 'tcp', '--min', '2', '--retry-interval', '50ms', '--timeout', '60s', 'provider=consul tag=serf'], env);
  await running.waitFor(/attempt 1: /);
  lateServer.listen(late, '127.0.0.1');
  const r = await running.done;
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, `127.0.0.1:${open.port} 127.0.0.1:${late}\n`);
  const lines = r.stderr.trim().split('\n');
  t.regex(
    lines[0] ?? '',
    new RegExp(`=> 1 of 3 addresses accept TCP connections, 2 needed: 127.0.0.1:${closed} ECONNREFUSED, 127.0.0.1:${late} ECONNREFUSED; next attempt in 50ms`),
  );
  t.regex(lines.at(-1) ?? '', /=> found 2$/);

  // Exhausted: exit 1, the refused address named.
  const exhausted = await cli(['join', '--probe', 'tcp', '--min', '3', '--retry-max', '1', '--retry-interval', '10ms', 'provider=consul tag=serf'], env);
  t.is(exhausted.code, 1, exhausted.stderr);
  t.regex(
    exhausted.stderr,
    new RegExp(`max join retry exhausted after 2 attempt\\(s\\): 2 of 3 addresses accept TCP connections, 3 needed: 127.0.0.1:${closed} ECONNREFUSED`),
  );
});

test('e2e: --from-config with a sample Nomad client config (Consul catalog, tag rpc) joins servers that register late', async (t) => {
  const { sim, env } = await consulSimWith(t, [{ node: 'srv-1', node_address: '10.0.0.1', service: 'nomad', port: 4648, tags: ['serf'] }]);
  const running = spawnCli(t, ['join', '--from-config', 'fixtures/agent-configs/nomad-client-consul.hcl'], env);
  await running.waitFor(/attempt 1: /);
  appearLater(sim, [{ node: 'srv-1', node_address: '10.0.0.1', service: 'nomad', port: 4647, tags: ['rpc'] }], 300);
  const r = await running.done;
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '10.0.0.1:4647\n');
  const lines = r.stderr.trim().split('\n');
  t.true(lines.length >= 2, r.stderr);
  // The config's retry_interval (100ms) is the wait.
  t.regex(lines[0] ?? '', /^discover join: attempt 1: "provider=consul tag=rpc" found nothing => no addresses discovered; next attempt in 100ms/);
});

test('e2e: --from-config with a sample Consul config (AWS auto-join and a literal) against the simulated EC2', async (t) => {
  const aws = { access_key_id: 'AKIDJOINCLI', secret_access_key: 'join-cli-secret' };
  const { sim } = await consulSimWith(t, [], { credentials: { aws } });
  const env = {
    AWS_ACCESS_KEY_ID: aws.access_key_id,
    AWS_SECRET_ACCESS_KEY: aws.secret_access_key,
    AWS_ENDPOINT_URL_EC2: sim.httpUrl,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const running = spawnCli(t, ['join', '--min', '3', '--from-config', 'fixtures/agent-configs/consul-aws.json'], env);
  await running.waitFor(/attempt 1: /);
  const at = sim.ctx.elapsedMs() + 300;
  sim.updateFleet((fleet) => ({
    ...fleet,
    instances: [1, 2].map((i) => ({
      id: `i-consul${i}`,
      cloud: 'aws',
      region: 'eu-west-1',
      tags: { consul: 'server' },
      private_ipv4: `10.0.3.${i}`,
      appear_after_ms: at,
    })),
  }));
  const r = await running.done;
  t.is(r.code, 0, r.stderr);
  // Consul's serf_lan port for every address without one; entry order kept.
  t.is(r.stdout, '10.0.3.1:8301 10.0.3.2:8301 10.0.9.9:8301\n');
  t.regex(
    r.stderr,
    /^discover join: attempt 1: "provider=aws region=eu-west-1 tag_key=consul tag_value=server" found nothing; "10.0.9.9" found 10.0.9.9:8301 => found 1 of the 3 addresses needed; next attempt in 100ms/,
  );
  t.false(r.stderr.includes(aws.secret_access_key));
});

test("e2e: --from-config with conflicting Nomad blocks: Nomad's validation text, exit 2, nothing run", async (t) => {
  const r = await cli(['join', '--from-config', 'fixtures/agent-configs/nomad-conflict.hcl']);
  t.is(r.code, 2);
  t.is(r.stdout, '');
  t.regex(r.stderr, /nomad-conflict\.hcl: server_join and retry_join cannot both be defined; prefer setting the server_join block\n$/);
});

test('--probe tcp with an address that has no port is a config error at once (exit 2), not retried', async (t) => {
  const r = await run(['--probe', 'tcp', '--retry-interval', '10ms', '10.0.0.1']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--probe tcp: 10\.0\.0\.1 has no port; give --default-port or a port in the entry\n$/);
  t.notRegex(r.stderr, /attempt 2/);
});

test('eleven entries: no MaxListenersExceeded warning', async (t) => {
  const entries = Array.from({ length: 12 }, (_, i) => `10.0.0.${i + 1}`);
  // The built CLI (no tsx compile at start-up): the warning is printed by the real process.
  const { runDiscover } = await import('./helpers/cli.js');
  const r = await runDiscover(['join', ...entries], { timeoutMs: 120_000 });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, `${entries.join(' ')}\n`);
  t.notRegex(r.stderr, /MaxListenersExceeded|Warning/);
});

/** Whether a process exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('-- COMMAND runs in its own process group: SIGTERM to discover join leaves nothing of it running', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-group-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const pids = join(dir, 'pids');
  // The command starts a grandchild that would outlive a plain kill of its parent, and both wait.
  const script = join(dir, 'join.sh');
  await writeFile(script, `#!/bin/sh\nsleep 300 &\necho "$$ $!" > ${pids}\necho started >&2\nwait\n`, { mode: 0o755 });
  const running = spawnCli(t, ['join', '10.0.0.1', '--', script], {});
  await running.waitFor(/started/);
  const [shellPid, sleepPid] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number) as [number, number];
  t.true(alive(shellPid) && alive(sleepPid));
  running.child.kill('SIGTERM');
  const r = await running.done;
  t.is(r.code, 1);
  t.regex(r.stderr, /discover join: stopped before joining/);
  // The group is killed before discover exits, but the kernel may take a moment to reap: wait for it.
  // (Bounded generously; the asserts below then name the survivor.)
  await waitUntil(() => !alive(shellPid) && !alive(sleepPid), 'the command and its child gone').catch(() => {});
  t.false(alive(shellPid), 'the command survived');
  t.false(alive(sleepPid), "the command's child survived");
});

// Serial: fake timers are global, and the file's other tests (run concurrently) would share them.
test.serial('on a terminal a running attempt shows its elapsed time, updated each second (fake clock)', async (t) => {
  const FakeTimers = await import('@sinonjs/fake-timers');
  const clock = FakeTimers.install({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  t.teardown(() => clock.uninstall());
  const { createProgress } = await import('../src/cli/join-progress.js');
  let out = '';
  const progress = createProgress({ write: (text) => (out += text), redraw: true, format: 'text', minJoined: 1, columns: 0 });
  progress.started(1);
  t.is(out, 'discover join: attempt 1 running (0s)\n');
  clock.tick(3000);
  t.true(out.endsWith('\x1b[1F\x1b[2Kdiscover join: attempt 1 running (3s)\n'), JSON.stringify(out));
  progress.attempt({ attempt: 1, phase: 'join', addresses: ['10.0.0.1'], entries: [{ entry: '10.0.0.1', addresses: ['10.0.0.1'] }], joined: 1 });
  // The block replaces the status line; the ticker stops.
  t.true(out.endsWith('\x1b[1F\x1b[Jdiscover join: attempt 1\n  found 10.0.0.1  <- 10.0.0.1\n  => joined 1\n'), JSON.stringify(out));
  const before = out;
  clock.tick(5000);
  t.is(out, before);
  t.is(clock.countTimers(), 0);
});
