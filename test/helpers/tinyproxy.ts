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
  /** The whole log so far. */
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

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts tinyproxy for the duration of the test. Fails the test (never skips) when
 * tinyproxy is not installed.
 */
export async function startTinyproxy(t: ExecutionContext, options: TinyproxyOptions = {}): Promise<TestProxy> {
  const probe = spawnSync(TINYPROXY, ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `tinyproxy is required by the proxy tests but ${TINYPROXY} could not run (${probe.error?.message ?? `exit ${probe.status}`}); install it with: apt-get install -y tinyproxy`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'autojoin-tinyproxy-'));
  // tinyproxy drops to `User nobody` when started as root, and still has to write its log.
  chmodSync(dir, 0o777);
  const logFile = join(dir, 'tinyproxy.log');
  const port = await freePort();
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
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  t.teardown(async () => {
    if (!exited) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await gone;
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
  const started = Date.now();
  while (!(await canConnect(port))) {
    // Generous: a busy machine starts it late; past this it is reported as not starting.
    if (exited || Date.now() - started > 30_000) {
      throw new Error(`tinyproxy did not start on 127.0.0.1:${port}: ${stderr.trim() || readLog().trim() || 'no output'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log: readLog,
    requests: () => [...readLog().matchAll(/Request \(file descriptor \d+\): (\S+) (\S+)/g)].map((m) => `${m[1]} ${m[2]}`),
  };
}
