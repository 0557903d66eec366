// The main job as a user runs it: `discover sim` in its own process, `npm run demo`, and the CLI's
// own bound on a hung provider.
import { spawn } from 'node:child_process';
import path from 'node:path';
import test from 'ava';
import { CLI, childEnv, ROOT, runDiscover } from './helpers/cli.js';
import { connectionRefused } from './helpers/servers.js';

test('--timeout ends a provider that never answers: exit 1 and a typed message', async (t) => {
  // The provider never answers: only --timeout ends the process (the helper reports its own limit as a timeout).
  const result = await runDiscover(['-q', '--timeout', '300ms', '--plugin', 'test/fixtures/hang-plugin.mjs', 'addrs', 'provider=hang'], { timeoutMs: 60_000 });
  t.is(result.code, 1);
  t.is(result.stderr, 'discover-hang timed out after 300 ms\n');
  t.is(result.stdout, '');
});

test("--timeout counts from the process's start: a start-up slower than the timeout leaves no time to answer", async (t) => {
  const call = (timeout: string) => ['-q', '--timeout', timeout, '--plugin', 'test/fixtures/instant-plugin.mjs', 'addrs', 'provider=instant'];
  // The plugin answers (given all the time a busy machine may need to load the CLI's modules)...
  const quick = await runDiscover(call('60s'));
  t.is(quick.code, 0, quick.stderr);
  t.is(quick.stdout, '10.9.9.9\n');
  // ...but not in a process whose start took 1.5 s, under a 1 s timeout: the deadline has passed
  // before the CLI runs (src/cli/main.ts: startedAt is the process's start, not main()'s).
  const slow = await runDiscover(call('1s'), { env: { NODE_OPTIONS: `--require ${JSON.stringify(path.join(ROOT, 'test/fixtures/slow-start.cjs'))}` } });
  t.is(slow.code, 1);
  t.is(slow.stderr, 'discover-instant timed out after 1000 ms\n');
  t.is(slow.stdout, '');
});

test('discover sim prints its settings, serves, and stops cleanly on Ctrl-C (SIGINT)', async (t) => {
  const child = spawn(process.execPath, [CLI, 'sim', '--port', '0'], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  const printed = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
      if (/addrs 'provider=gce/.test(out)) resolve();
    });
  });
  await printed;
  const port = Number(/on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  t.true(port > 0);
  t.regex(out, /export NODE_EXTRA_CA_CERTS=/);
  t.regex(out, /export AZURE_AUTHORITY_HOST=https:\/\/127\.0\.0\.1:/);
  t.regex(out, /export AWS_EC2_METADATA_SERVICE_ENDPOINT=http:\/\/127\.0\.0\.1:/);
  t.regex(out, /export GCE_METADATA_HOST=127\.0\.0\.1:/);
  const health = await fetch(`http://127.0.0.1:${port}/_sim/health`);
  t.is(health.status, 200);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  t.is(await exited, 0);
  t.true(await connectionRefused(port), 'the listener is closed after SIGINT');
});

/** What `npm run demo` finds for each simulated provider in fixtures/fleets/demo.yaml. */
const DEMO_FOUND: Record<string, string> = {
  aliyun: '10.8.0.11 10.8.0.12 10.8.0.13',
  aws: '10.0.1.11 10.0.2.12 10.0.3.13',
  azure: '10.1.0.11 10.1.0.12 10.1.0.13',
  consul: '10.3.0.11:4647 10.3.0.12:4647 10.3.0.13:4647',
  digitalocean: '10.4.0.11 10.4.0.12 10.4.1.11',
  gce: '10.2.0.11 10.2.0.12',
  hetzner: '10.6.0.11 10.6.0.12',
  k8s: '10.12.0.10:8301 10.12.0.11:8301',
  linode: '192.168.140.11 192.168.140.12 192.168.140.13',
  os: '10.10.0.11 10.10.0.12 2001:db8:7::12',
  packet: '10.14.0.11 10.14.0.12 10.14.0.13',
  scaleway: '10.7.0.11 10.7.0.12 10.7.1.13',
  softlayer: '10.5.0.11 10.5.0.12 10.5.1.11',
  tencentcloud: '10.11.0.11 10.11.0.12 10.11.0.13',
  triton: '10.9.0.11 10.9.0.12 10.9.0.13',
  vsphere: '10.13.0.11 10.13.0.12 2001:db8:6::12',
};

test("npm run demo finds every simulated provider's addresses and prints no secret", async (t) => {
  const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/entry/demo.js')], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.on('close', (code) => resolve({ code, stdout }));
  });
  t.is(result.code, 0, result.stdout);
  // Every provider's block, its config naming it and its "found" line: exactly the demo fleet's answer.
  const found: Record<string, string> = {};
  for (const match of result.stdout.matchAll(/^(\w+)\n {2}config {3}provider=(\w+) .*\n {2}found {4}(.*)$/gm)) {
    t.is(match[2], match[1], `the ${match[1]} block runs provider=${match[1]}`);
    found[match[1]!] = match[3]!;
  }
  t.deepEqual(found, DEMO_FOUND);
  // The demo stops the sim itself: its banner does not tell the user to press Ctrl-C.
  t.notRegex(result.stdout, /Ctrl-C/);
  t.regex(result.stdout, /^autojoin demo: the simulator on http:\/\/127\.0\.0\.1:\d+ and https:\/\/127\.0\.0\.1:\d+\n/);
  t.regex(result.stdout, /secret_access_key=\*\*\*/);
  t.notRegex(result.stdout, /simulator-secret-key-not-real|simulator-client-secret-not-real/);
  t.notRegex(result.stdout, /FAILED/);
});

test('a bad fleet file exits 2 naming the field; a missing one names the file', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-fleet-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fleet = path.join(dir, 'bad.yaml');
  writeFileSync(fleet, 'instances:\n  - id: x\n    cloud: aws\n    private_ipv4: 10.0.0.300\n');
  const bad = await runDiscover(['sim', '--fleet', fleet]);
  t.is(bad.code, 2);
  t.is(bad.stderr, `fleet: ${fleet}: instances[0].private_ipv4: "10.0.0.300" is not an IPv4 address\n`);
  writeFileSync(fleet, 'instances:\n  - id: x\n    cloud: awz\n');
  const unknownCloud = await runDiscover(['sim', '--fleet', fleet]);
  t.is(unknownCloud.code, 2);
  t.is(unknownCloud.stderr, `fleet: ${fleet}: instances[0].cloud: unknown cloud "awz" (did you mean "aws"?)\n`);
  const missing = await runDiscover(['sim', '--fleet', path.join(dir, 'none.yaml')]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^fleet: cannot read .*none\.yaml: ENOENT/);
});

/** Starts a command, resolves with its stdout once `pattern` shows in it. */
function startUntil(t: import('ava').ExecutionContext, file: string, args: string[], cwd: string, pattern: RegExp, env = childEnv()) {
  const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  const printed = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
      if (pattern.test(out)) resolve(out);
    });
    child.once('close', (code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${out}`)));
  });
  return { child, printed };
}

test('the paste blocks print a command that works where the user is: node and the path, outside a project, not on PATH', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { execFile } = await import('node:child_process');
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-paste-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = childEnv({ PATH: path.dirname(process.execPath) });
  const { printed } = startUntil(t, process.execPath, [CLI, 'sim', '--port', '0'], dir, /addrs 'provider=gce/, env);
  const out = await printed;
  t.notRegex(out, /^discover addrs/m);
  // Paste the aws block into a shell in that folder: it runs and finds the servers.
  const blocks = out.split('\n\n');
  const block = blocks.find((b) => b.startsWith('# every provider\n')) ?? '';
  const aws = blocks.find((b) => b.startsWith('# aws\n')) ?? '';
  // The file that was run: bin/discover.cjs, the package's command.
  t.true(aws.includes(`node ${CLI} addrs 'provider=aws `), aws);
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('/bin/sh', ['-c', `${block}\n${aws.replace(/ addrs /, ' addrs -q ')}`], { cwd: dir, env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^10\.\d+\.\d+\.\d+( 10\.\d+\.\d+\.\d+)*\n$/);
});

test('npx discover sim & then kill $!: the simulator stops, and its paste says npx discover', async (t) => {
  const { printed, child } = startUntil(t, '/bin/sh', ['-c', 'npx --no-install discover sim --port 0 & echo "npx=$!"; wait'], ROOT, /addrs 'provider=gce/);
  const out = await printed;
  t.regex(out, /^npx discover addrs 'provider=aws /m);
  const npx = Number(/^npx=(\d+)$/m.exec(out)?.[1]);
  const port = Number(/on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  t.true(npx > 0 && port > 0);
  process.kill(npx, 'SIGTERM');
  // The sim has closed once nothing accepts connections on its port.
  while (!(await connectionRefused(port))) await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill('SIGKILL');
});
