import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { CliIo } from '../src/cli/io.js';
import { joinedFromOutput, runJoin } from '../src/cli/join.js';

const ROOT = join(import.meta.dirname, '..');

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
    'discover join: attempt 1: "10.0.0.1" found 10.0.0.1:4648; "[2001:db8::1]" found [2001:db8::1]:4648; "10.0.0.2:9" found 10.0.0.2:9 => joined 3\n',
  );
});

test('--format json and -q', async (t) => {
  const r = await run(['-q', '--format', 'json', 'exec=echo 192.0.2.1 192.0.2.2']);
  t.is(r.code, 0);
  t.is(r.stderr, '');
  t.like(JSON.parse(r.stdout), { joined: 2, attempts: 1, addresses: ['192.0.2.1', '192.0.2.2'] });
});

test('-v adds Nomad\'s log lines, debug included, beside the progress', async (t) => {
  const r = await run(['-v', '10.0.0.1']);
  t.is(
    r.stderr,
    [
      '[INFO] agent.joiner: starting retry join: servers="10.0.0.1"',
      '[DEBUG] agent.joiner: discovered join addresses: join_config="10.0.0.1" addresses="10.0.0.1"',
      '[INFO] agent.joiner: retry join completed: initial_servers=1',
      'discover join: attempt 1: "10.0.0.1" found 10.0.0.1 => joined 1',
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
  { name: 'unknown flag', argv: ['--retry', '10.0.0.1'], message: /Unknown option '--retry'/ },
  { name: 'bad format', argv: ['--format', 'yaml', '10.0.0.1'], message: /^--format: "yaml" is not one of text, json/ },
  { name: 'bad probe', argv: ['--probe', 'udp', '10.0.0.1'], message: /^--probe: "udp" is not one of tcp/ },
  { name: 'bad --min', argv: ['--min', '0', '10.0.0.1'], message: /^--min: "0" is not an integer in 1-/ },
  { name: 'bad --timeout', argv: ['--timeout', 'later', '10.0.0.1'], message: /^--timeout: invalid duration "later"/ },
  { name: '--mode without config', argv: ['--mode', 'server', '10.0.0.1'], message: /^--mode needs --from-config/ },
  { name: 'unknown provider', argv: ['provider=nosuchcloud foo=bar'], message: /^discover: unknown provider nosuchcloud/ },
  { name: 'bare exec=', argv: ['exec='], message: /^exec=: no executable given after "exec="/ },
  { name: 'malformed address', argv: ['[::1'], message: /^address \[::1: missing '\]' in address/ },
  { name: 'go-sockaddr template', argv: ['{{ GetInterfaceIP "eth0" }}'], message: /go-sockaddr templates are not supported/ },
  { name: 'bad agent config', argv: ['--from-config', 'fixtures/agent-configs/nomad-conflict.hcl'], message: /server_join and retry_join cannot both be defined/ },
];
for (const c of usageErrors) {
  test(`exit 2 at once: ${c.name}`, async (t) => {
    const r = await run(c.argv);
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.regex(r.stderr, c.message);
    t.notRegex(r.stderr, /starting retry join/);
  });
}

test('exit 1 when every attempt fails: exactly one progress line per attempt, then the error naming each entry', async (t) => {
  const r = await run(['--retry-max', '2', '--retry-interval', '10ms', '--min', '2', 'exec=false', '10.0.0.7']);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  const lines = r.stderr.split('\n');
  const failed = '"exec=false" failed: failed to retrieve IP addresses from executable: executable failed with exit code 1:; "10.0.0.7" found 10.0.0.7';
  t.regex(lines[0] ?? '', new RegExp(`^discover join: attempt 1: ${escapeRegExp(failed)} => found 1 of the 2 addresses needed; next attempt in 10ms \\(\\d\\d:\\d\\d:\\d\\d UTC\\)$`));
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
  const r = await run(['--retry-max', '0', '--min', '2', '--retry-max', '1', '--retry-interval', '1ms', '10.0.0.1', '10.0.0.2', '--', process.execPath, '-e', "console.log('Joined 1 servers successfully')"]);
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

/** The real CLI entry point as a process: `node --import tsx src/cli/main.ts join ...`. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
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
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'join', '--backoff', '--backoff-initial', '100ms', '--watch', '--watch-interval', '200ms', entry], {
    cwd: ROOT,
    env: { ...process.env, CONSUL_HTTP_TOKEN: 'sim-token-cli' },
  });
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
