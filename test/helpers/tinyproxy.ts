/**
 * A real HTTP proxy for tests: Debian's tinyproxy, started in the foreground on a free
 * loopback port with its own config and log, stopped by the test's teardown. Its log
 * (`LogLevel Connect`) is the evidence that a request did, or did not, go through it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';

/** A running tinyproxy. */
export interface TestProxy {
  /** `http://127.0.0.1:<port>` (no credentials, even when BasicAuth is on). */
  url: string;
  port: number;
  /** The log so far, from when it answered the start-up probe. */
  log(): string;
  /**
   * The request lines tinyproxy logged, e.g. `CONNECT 127.0.0.1:41234`, in order.
   * hpagent tunnels every target (http included) with CONNECT.
   */
  requests(): string[];
}

/** Options for {@link startTinyproxy}. */
export interface TinyproxyOptions {
  /** Require these proxy credentials (tinyproxy `BasicAuth user password`). */
  basicAuth?: { user: string; password: string };
  /**
   * Allow CONNECT only to these ports (tinyproxy `ConnectPort`); a tunnel to any other port is
   * refused with HTTP 403. @default any port
   */
  connectPorts?: number[];
}

const TINYPROXY = '/usr/bin/tinyproxy';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * What answers on the port: tinyproxy (its `Server:` header on the answer to a malformed
 * request), something else, or nothing yet. A port picked free can be taken before tinyproxy
 * binds it; tinyproxy then exits, but a bare connect would have reached the other server.
 */
function probe(port: number): Promise<'tinyproxy' | 'other' | 'nothing'> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.end('PROBE\r\n\r\n'));
    // Only a server that accepts and never answers gets here; the caller asks again.
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') resolve('nothing');
    });
    socket.once('close', () => resolve(/^HTTP\/1\.[01] \d{3}[^\r]*\r\n(?:[^\r\n]+\r\n)*?Server: tinyproxy\//i.test(answer) ? 'tinyproxy' : 'other'));
  });
}

/**
 * Starts tinyproxy for the duration of the test. Fails the test (never skips) when
 * tinyproxy is not installed.
 */
export async function startTinyproxy(t: ExecutionContext, options: TinyproxyOptions = {}): Promise<TestProxy> {
  const version = spawnSync(TINYPROXY, ['-v'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error(
      `tinyproxy is required by the proxy tests but ${TINYPROXY} could not run (${version.error?.message ?? `exit ${version.status}`}); install it with: apt-get install -y tinyproxy`,
    );
  }
  // A free port can be taken between picking it and tinyproxy binding it (other test
  // processes listen too); tinyproxy then exits, and another port is tried.
  for (let attempt = 1; ; attempt++) {
    const started = await launch(t, await freePort(), options);
    if (started !== 'port taken') return started;
    if (attempt === 5) throw new Error('tinyproxy could not bind a free loopback port in 5 attempts');
  }
}

async function launch(t: ExecutionContext, port: number, options: TinyproxyOptions): Promise<TestProxy | 'port taken'> {
  const dir = mkdtempSync(join(tmpdir(), 'autojoin-tinyproxy-'));
  // tinyproxy drops to `User nobody` when started as root, and still has to write its log.
  chmodSync(dir, 0o777);
  const logFile = join(dir, 'tinyproxy.log');
  const lines = [
    'User nobody',
    'Group nogroup',
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    `LogFile "${logFile}"`,
    'LogLevel Connect',
    'Allow 127.0.0.1',
    'MaxClients 50',
    // No ConnectPort lines: hpagent tunnels http targets with CONNECT too, on any port.
  ];
  for (const connectPort of options.connectPorts ?? []) lines.push(`ConnectPort ${connectPort}`);
  if (options.basicAuth) lines.push(`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`);
  const configFile = join(dir, 'tinyproxy.conf');
  writeFileSync(configFile, `${lines.join('\n')}\n`);
  chmodSync(configFile, 0o644);

  let stderr = '';
  const child: ChildProcess = spawn(TINYPROXY, ['-d', '-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<'exited'>((resolve) => child.once('exit', () => resolve('exited')));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  // Generous: a busy machine starts it late; past this it is reported as not starting.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await Promise.race([probe(port), exited]);
    if (state === 'tinyproxy') break;
    if (state === 'exited') {
      if (/Could not create listening sockets/.test(stderr)) return 'port taken';
      throw new Error(`tinyproxy exited on start (port ${port}): ${stderr.trim() || readLog().trim() || 'no output'}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`timeout: tinyproxy did not answer on 127.0.0.1:${port} within 30 s (${state} there): ${stderr.trim() || 'no output'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // The probe's own lines are not the test's: the log starts after them.
  const from = readLog().length;
  const log = () => readLog().slice(from);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    requests: () => [...log().matchAll(/Request \(file descriptor \d+\): (\S+) (\S+)/g)].map((m) => `${m[1]} ${m[2]}`),
  };
}
