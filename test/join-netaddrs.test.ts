import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { JoinConfigError, NetaddrsError, parseExecOutput } from '../src/join/index.js';
import { execAddrs, execArgv } from '../src/join/netaddrs.js';

// Real executables in a temp folder, like go-netaddrs' sample_scripts.
async function scripts(t: { teardown(fn: () => Promise<void>): void }, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-exec-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [name, body] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
  }
  return dir;
}

const signal = () => new AbortController().signal;

const outputCases: Array<{ name: string; stdout: string; expect?: string[]; error?: string }> = [
  { name: 'whitespace separated, zone kept', stdout: '10.0.0.1 \n\t2001:db8::1  fe80::1%eth0\n', expect: ['10.0.0.1', '2001:db8::1', 'fe80::1%eth0'] },
  { name: 'quotes trimmed per token', stdout: '"10.0.0.1" "fe80::2%en0"', expect: ['10.0.0.1', 'fe80::2%en0'] },
  { name: 'no output', stdout: ' \n ', error: 'failed to retrieve IP addresses from executable: executable returned no output to stdout' },
  {
    name: 'host name is not an IP',
    stdout: '10.0.0.1 nomad.local',
    error: 'failed to retrieve IP addresses from executable: executable returned invalid IP address: nomad.local',
  },
  { name: 'zone on IPv4', stdout: '10.0.0.1%eth0', error: 'failed to retrieve IP addresses from executable: executable returned invalid IP address: 10.0.0.1' },
  { name: 'empty zone', stdout: 'fe80::1%', error: 'failed to retrieve IP addresses from executable: executable returned invalid IP address: fe80::1' },
  {
    name: 'ip:port is not an IP',
    stdout: '10.0.0.1:4647',
    error: 'failed to retrieve IP addresses from executable: executable returned invalid IP address: 10.0.0.1:4647',
  },
];
for (const c of outputCases) {
  test(`parseExecOutput: ${c.name}`, (t) => {
    if (c.error) t.throws(() => parseExecOutput(c.stdout), { instanceOf: NetaddrsError, code: 'ERR_NETADDRS', message: c.error });
    else t.deepEqual(parseExecOutput(c.stdout), c.expect);
  });
}

test('argv is split on whitespace with no shell: a pipe is just an argument', (t) => {
  t.deepEqual(execArgv("exec=hcloud server list -o noheader | tr '\\n' ' '"), ['hcloud', 'server', 'list', '-o', 'noheader', '|', 'tr', "'\\n'", "'", "'"]);
});

test('runs the command without a shell and returns its IPs', async (t) => {
  // No shell: `$HOME` and the quotes reach echo as they are, and echo prints them back.
  t.deepEqual(await execAddrs('exec=echo 10.0.0.1 "10.0.0.2"   fe80::1%lo', { signal: signal() }), ['10.0.0.1', '10.0.0.2', 'fe80::1%lo']);
  await t.throwsAsync(execAddrs('exec=echo 10.0.0.1 $HOME', { signal: signal() }), {
    instanceOf: NetaddrsError,
    message: 'failed to retrieve IP addresses from executable: executable returned invalid IP address: $HOME',
  });
});

test('a failing command: exit code and stderr in the message', async (t) => {
  const dir = await scripts(t, { fail: 'echo "no such tag" >&2\nexit 3' });
  await t.throwsAsync(execAddrs(`exec=${join(dir, 'fail')}`, { signal: signal() }), {
    instanceOf: NetaddrsError,
    message: 'failed to retrieve IP addresses from executable: executable failed with exit code 3: no such tag',
  });
});

test('arguments reach the script; stderr alone is not an error', async (t) => {
  const dir = await scripts(t, { args: 'echo "warming up" >&2\necho "$1" "$2"' });
  t.deepEqual(await execAddrs(`exec=${join(dir, 'args')} 192.0.2.1 192.0.2.2`, { signal: signal() }), ['192.0.2.1', '192.0.2.2']);
});

test('a missing executable gets Go exec wording', async (t) => {
  await t.throwsAsync(execAddrs('exec=/nonexistent/peers --all', { signal: signal() }), {
    instanceOf: NetaddrsError,
    message: 'failed to retrieve IP addresses from executable: exec: "/nonexistent/peers": executable file not found in $PATH',
  });
});

test('the environment given is the one the command sees', async (t) => {
  const dir = await scripts(t, { env: 'echo "$PEERS"' });
  t.deepEqual(await execAddrs(`exec=${join(dir, 'env')}`, { signal: signal(), env: { PEERS: '198.51.100.7' } }), ['198.51.100.7']);
});

// An abort's kill is tested by pid, with the helper's own children, in join-process.test.ts.

test('a bare exec= is a config error, not a panic', async (t) => {
  await t.throwsAsync(execAddrs('exec=', { signal: signal() }), { instanceOf: JoinConfigError, code: 'ERR_JOIN_CONFIG' });
});

test('in the loop, a hung command is cut off by the entry timeout and the others still join', async (t) => {
  const { retryJoin } = await import('../src/join/index.js');
  const dir = await scripts(t, { hang: 'sleep 30' });
  const reports: Array<{ entries: Array<{ error?: Error }> }> = [];
  const result = await retryJoin({
    entries: [`exec=${join(dir, 'hang')}`, 'exec=echo 10.0.0.1 fe80::1%lo'],
    defaultPort: 4648,
    // Long enough for `echo` to start on a busy machine; the hung one (sleep 30) still meets it.
    timeout: 3000,
    join: (addrs) => addrs.length,
    onAttempt: (report) => reports.push(report),
  });
  t.deepEqual(result.addresses, ['10.0.0.1:4648', '[fe80::1%lo]:4648']);
  t.is(reports[0]?.entries[0]?.error?.message, `failed to retrieve IP addresses from executable: executable ${join(dir, 'hang')} timed out after 3000 ms`);
});

test('a secret argument the command prints back is masked in its error (stdout and stderr)', async (t) => {
  const signal = new AbortController().signal;
  // echo prints its arguments: the "IP" it returns is the token.
  const echoed = await t.throwsAsync(execAddrs('exec=echo --token=s3cr3tTOKEN', { signal }), { instanceOf: NetaddrsError });
  t.is(echoed?.message, 'failed to retrieve IP addresses from executable: executable returned invalid IP address: --token=***');
  // ls names the path it cannot open on stderr: `-p` is a password flag by the name rule.
  const stderr = await t.throwsAsync(execAddrs('exec=ls -p /nonexistent/p4ssw0rdX', { signal }), { instanceOf: NetaddrsError });
  t.regex(stderr?.message ?? '', /executable failed with exit code 2: ls: .*\*\*\*/);
  t.notRegex(stderr?.message ?? '', /p4ssw0rdX/);
  const url = await t.throwsAsync(execAddrs('exec=echo https://user:pw0rdURL@h/x', { signal }), { instanceOf: NetaddrsError });
  t.notRegex(url?.message ?? '', /pw0rdURL/);
});
