/**
 * A real DNS server for tests: dnsmasq (Debian `dnsmasq-base`) in the foreground on a free
 * loopback port, answering only from its command line (no /etc/hosts, no upstream, no config
 * file), stopped by the test's teardown.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';

/** One `--srv-host` line. */
export interface SrvHost {
  /** The full SRV owner name, e.g. `_nomad._tcp.example.test`. */
  name: string;
  /** `''` for the root target `.` (service decidedly not available). */
  target: string;
  port: number;
  priority?: number;
  weight?: number;
}

export interface DnsmasqOptions {
  srv?: readonly SrvHost[];
  /** `--host-record` name -> address. */
  hosts?: Readonly<Record<string, string>>;
  /**
   * Domains dnsmasq answers for alone (`--local=/d/`): a missing name is NXDOMAIN, not REFUSED.
   * @default the domains of every srv and host name given
   */
  localDomains?: readonly string[];
  /** Also listen on [::1]. @default true */
  ipv6?: boolean;
}

export interface RunningDnsmasq {
  port: number;
  /** `127.0.0.1:<port>`, for the `nameserver` argument. */
  nameserver: string;
  /** `[::1]:<port>`, when listening on IPv6. */
  nameserverV6: string | undefined;
  /** What dnsmasq logged so far (queries included): printed when a test fails. */
  log(): string;
}

/**
 * Starts dnsmasq and waits until it answers.
 * @throws when the `dnsmasq` binary is missing: the test fails, it is never skipped
 * @example const dns = await startDnsmasq(t, { srv: [{ name: '_nomad._tcp.example.test', target: 'n1.example.test', port: 4648 }] });
 */
export async function startDnsmasq(t: ExecutionContext, options: DnsmasqOptions = {}): Promise<RunningDnsmasq> {
  const which = spawnSync('dnsmasq', ['--version'], { encoding: 'utf8' });
  if (which.error || which.status !== 0) {
    throw new Error('dnsmasq is not installed (Debian package dnsmasq-base); the DNS tests need it');
  }
  const ipv6 = options.ipv6 ?? true;
  let lastError: Error | undefined;
  // A free port can be taken between probing and dnsmasq binding it; try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort();
    try {
      return await launch(t, port, ipv6, options);
    } catch (err) {
      lastError = err as Error;
      if (!/Address already in use/.test(lastError.message)) throw lastError;
    }
  }
  throw lastError ?? new Error('dnsmasq did not start');
}

async function launch(t: ExecutionContext, port: number, ipv6: boolean, options: DnsmasqOptions): Promise<RunningDnsmasq> {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-dnsmasq-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const names = [...(options.srv ?? []).map((s) => s.name), ...Object.keys(options.hosts ?? {})];
  const localDomains = options.localDomains ?? [...new Set(names.map(parentDomain))];
  const args = [
    '--no-daemon',
    '--conf-file=/dev/null',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    ...(ipv6 ? ['--listen-address=::1'] : []),
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    // It runs as root here; without this it would switch to the user `nobody` or `dnsmasq`.
    '--user=root',
    '--group=root',
    `--pid-file=${join(dir, 'dnsmasq.pid')}`,
    '--log-queries',
    '--log-facility=-',
    ...localDomains.map((d) => `--local=/${d}/`),
    // A name alone makes dnsmasq answer with the "." target: the service is decidedly not available.
    ...(options.srv ?? []).map((s) =>
      s.target === '' ? `--srv-host=${s.name}` : `--srv-host=${s.name},${s.target},${s.port},${s.priority ?? 0},${s.weight ?? 0}`,
    ),
    ...Object.entries(options.hosts ?? {}).map(([name, address]) => `--host-record=${name},${address}`),
  ];
  const child = spawn('dnsmasq', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => stop(child, exited));

  const nameserver = `127.0.0.1:${port}`;
  // Generous: a busy machine starts it late; past this it is reported as not answering.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await Promise.race([answers(nameserver).then((ok) => (ok ? 'up' : 'down')), exited.then(() => 'exited')]);
    if (state === 'up') break;
    if (state === 'exited') throw new Error(`dnsmasq exited: ${output.trim()}`);
    if (Date.now() > deadline) throw new Error(`dnsmasq did not answer within 30 s: ${output.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  t.log(`dnsmasq on ${nameserver}${ipv6 ? ` and [::1]:${port}` : ''}`);
  return { port, nameserver, nameserverV6: ipv6 ? `[::1]:${port}` : undefined, log: () => output };
}

/** True once the server answers anything (NXDOMAIN included); false while it refuses connections. */
async function answers(server: string): Promise<boolean> {
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([server]);
  try {
    await resolver.resolveSoa('probe.invalid');
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code !== 'ECONNREFUSED' && code !== 'ETIMEOUT';
  }
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

/** `_nomad._tcp.example.test` -> `example.test`; a two-label name is its own domain. */
function parentDomain(name: string): string {
  const labels = name.split('.').filter((l) => l !== '' && !l.startsWith('_'));
  return labels.length > 2 ? labels.slice(1).join('.') : labels.join('.');
}

/** A UDP port free on 127.0.0.1 right now. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
