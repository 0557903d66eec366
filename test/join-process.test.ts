/**
 * `exec=` helpers run in their own process group: nothing they start outlives a timeout, an
 * abort, the end of the retries, the helper's own exit, or SIGINT/SIGTERM of the host; and a
 * helper that prints too much fails its entry with a typed error instead of crashing the host.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { NetaddrsError, retryJoin } from '../src/join/index.js';
import { EXEC_LINE_LIMIT, EXEC_OUTPUT_LIMIT, execAddrs } from '../src/join/netaddrs.js';
import { CLI, childEnv, ROOT } from './helpers/cli.js';
import { allGone, alive, pidsFrom } from './helpers/pids.js';

async function script(t: ExecutionContext, body: string): Promise<{ path: string; pidFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-group-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'helper');
  await writeFile(path, `#!/bin/sh\n${body.replaceAll('PIDFILE', join(dir, 'pids'))}\n`);
  await chmod(path, 0o755);
  return { path, pidFile: join(dir, 'pids') };
}

// The helper writes its own pid and its background child's, then hangs.
const HANG = 'echo $$ >> PIDFILE\nsleep 1000 &\necho $! >> PIDFILE\nwait';

test('an abort kills the hung helper and the child it started', async (t) => {
  const { path, pidFile } = await script(t, HANG);
  const controller = new AbortController();
  const run = execAddrs(`exec=${path}`, { signal: controller.signal });
  const pids = await pidsFrom(pidFile, 2);
  for (const pid of pids) t.true(await alive(pid), `pid ${pid} runs before the abort`);
  controller.abort(new Error('stopped'));
  await t.throwsAsync(run, { message: 'stopped' });
  await allGone(pids);
  t.pass();
});

test('the entry timeout and the end of the retries leave nothing of the group running', async (t) => {
  const { path, pidFile } = await script(t, HANG);
  await t.throwsAsync(retryJoin({ entries: [`exec=${path}`], timeout: 2000, retryMax: 1, retryInterval: 1, join: () => 1 }), {
    code: 'ERR_RETRY_JOIN_EXHAUSTED',
  });
  // Two attempts, two helpers, two background sleeps.
  const pids = await pidsFrom(pidFile, 4);
  await allGone(pids);
  t.pass();
});

test('a helper that exits 0 with an address while its background child holds stdout open succeeds', async (t) => {
  const { path, pidFile } = await script(t, 'echo 10.0.0.1\nsleep 1000 &\necho $! >> PIDFILE');
  const controller = new AbortController();
  // Bounds a failure only: before the fix the call waited for the sleep and ended here.
  const guard = setTimeout(() => controller.abort(new Error('still waiting for the background child')), 30_000);
  t.teardown(() => clearTimeout(guard));
  t.deepEqual(await execAddrs(`exec=${path}`, { signal: controller.signal }), ['10.0.0.1']);
  await allGone(await pidsFrom(pidFile, 1));
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} to discover join kills the exec= helper's group`, async (t) => {
    const { path, pidFile } = await script(t, HANG);
    const child = spawn(process.execPath, [CLI, 'join', '--retry-interval', '1m', `exec=${path}`], { cwd: ROOT, env: childEnv(), stdio: 'ignore' });
    t.teardown(() => child.kill('SIGKILL'));
    const pids = await pidsFrom(pidFile, 2);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    await allGone(pids);
    t.pass();
  });
}

test('endless output fails the entry with a typed error; the message stays short', async (t) => {
  const error = await t.throwsAsync(execAddrs('exec=yes 10.0.0.1', { signal: new AbortController().signal }), { instanceOf: NetaddrsError });
  t.is(error?.message, `failed to retrieve IP addresses from executable: executable printed more than ${EXEC_OUTPUT_LIMIT} characters to stdout`);
});

test('one endless line fails the entry, and does not become the error message', async (t) => {
  const { path } = await script(t, 'exec tr "\\000" a < /dev/zero');
  const error = await t.throwsAsync(execAddrs(`exec=${path}`, { signal: new AbortController().signal }), { instanceOf: NetaddrsError });
  t.is(error?.message, `failed to retrieve IP addresses from executable: executable printed a line longer than ${EXEC_LINE_LIMIT} characters to stdout`);
});

test('a long line under the output limit gives a bounded, printable invalid-address error', async (t) => {
  const { path } = await script(t, `printf '\\033[31m'; head -c 4000 /dev/zero | tr "\\000" a`);
  const error = await t.throwsAsync(execAddrs(`exec=${path}`, { signal: new AbortController().signal }), { instanceOf: NetaddrsError });
  t.true((error?.message.length ?? 0) < 200, error?.message);
  t.regex(error?.message ?? '', /invalid IP address: \\x1b\[31maaa+…$/);
});

test('in retryJoin, a helper with endless output fails its entry and the loop goes on with the healthy one', async (t) => {
  const result = await retryJoin({ entries: ['exec=yes 10.0.0.1', '10.0.0.2'], defaultPort: 4648, join: (addrs) => addrs.length });
  t.deepEqual(result.addresses, ['10.0.0.2:4648']);
});
