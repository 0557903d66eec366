/**
 * provider=mdns against a real responder (multicast-dns in responder mode, another process),
 * both run inside a network namespace each test creates, so no packet reaches the host's links.
 * Plus table tests of the pure record -> target mapping.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { Discover } from '../../src/discover.js';
import { LoopbackOnlyError, ProviderArgsError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/index.js';
import { silentLogger } from '../../src/log.js';
import { type MdnsRecord, collectInstances, followUpQuestions, mdnsTargets, pickAddress, serviceName } from './extract.js';
import mdns from './index.js';
import { LINK, type Netns, createNetns } from '../../test/helpers/netns.js';
import type { ResponderConfig, ResponderInstance } from '../../test/helpers/mdns-responder.js';

const RESPONDER = fileURLToPath(new URL('../../test/helpers/mdns-responder.ts', import.meta.url));
const QUERY = fileURLToPath(new URL('../../test/helpers/mdns-query.ts', import.meta.url));
const SERVICE = '_nomad._tcp';

const node = (n: number, a: string[], aaaa: string[], port = 4647 + n): ResponderInstance => ({
  instance: `node${n}.${SERVICE}.local`,
  service: `${SERVICE}.local`,
  host: `node${n}.local`,
  port,
  a,
  aaaa,
});
/** node1 dual stack, node2 IPv4 only, node3 IPv6 only. */
const fleet = [node(1, ['10.77.0.11'], ['fd77::11']), node(2, ['10.77.0.12'], []), node(3, [], ['fd77::13'])];

interface Responder {
  /** Every question the responder heard, as `TYPE name`. */
  questions(): string[];
}

/** Starts the responder inside `ns` and waits until it listens. */
async function startResponder(t: ExecutionContext, ns: Netns, config: Omit<ResponderConfig, 'interface'>): Promise<Responder> {
  const child = ns.spawn(process.execPath, ['--import', 'tsx', RESPONDER, JSON.stringify({ interface: LINK.name, ...config })]);
  const questions: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.teardown(() => {
    child.kill('SIGTERM');
    if (stderr.trim()) t.log(`responder: ${stderr.trim()}`);
  });
  await new Promise<void>((resolve, reject) => {
    let buffer = '';
    // A bound for a hang only (the responder compiles through tsx, slow on a busy machine), reported as a timeout.
    const timer = setTimeout(() => reject(new Error(`timed out: responder not ready after 120 s: ${stderr}`)), 120_000);
    child.once('exit', (code) => reject(new Error(`responder exited (${code}): ${stderr}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (line.startsWith('{')) {
          const heard = JSON.parse(line) as { questions: Array<{ name: string; type: string }> };
          for (const q of heard.questions) questions.push(`${q.type} ${q.name}`);
        }
        nl = buffer.indexOf('\n');
      }
    });
  });
  return { questions: () => [...questions] };
}

interface Browse {
  addrs?: string[];
  error?: { name: string; code?: string; message: string };
  /** Time the discovery call took, measured inside the child. */
  elapsedMs: number;
}

/**
 * Runs provider=mdns in a fresh process inside `ns` and waits for it to exit: through the engine
 * with `mode` as the call timeout (ms), or calling `discover` itself with `abort:<ms>`.
 */
async function browse(ns: Netns, cfg: string, mode?: number | `abort:${number}`): Promise<Browse> {
  const args = ['--import', 'tsx', QUERY, cfg, ...(mode === undefined ? [] : [String(mode)])];
  const child: ChildProcess = ns.spawn(process.execPath, args);
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => {
    // multicast-dns keeps a 5 s interval per socket: a socket left open holds the process for good,
    // so a process that does not exit by itself is killed at this bound and the call fails here.
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 120_000);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  if (killed) throw new Error(`timed out: the query process did not exit by itself within 120 s (a socket or timer left open): ${stdout}${stderr}`);
  const line = stdout.split('\n')[0] ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`query process exited ${code}: ${stdout}${stderr}`);
  return JSON.parse(line) as Browse;
}

// The listening window is long enough for a responder starved by a busy machine to answer.
const cfg = (extra = '') => `provider=mdns service=${SERVICE} interface=${LINK.name} timeout=2s${extra}`;

// --- against a responder, inside a network namespace -------------------------------------------

test('IPv4 and IPv6 answers: IPv6 preferred, IPv4 when that is all an instance has, bracketed IPv6', async (t) => {
  const ns = await createNetns(t);
  await startResponder(t, ns, { instances: fleet });
  const result = await browse(ns, cfg());
  t.deepEqual(result.addrs, ['[fd77::11]:4648', '10.77.0.12:4649', '[fd77::13]:4650']);
});

test('v6=false: IPv4 addresses only, instances without one dropped', async (t) => {
  const ns = await createNetns(t);
  await startResponder(t, ns, { instances: fleet });
  const result = await browse(ns, cfg(' v6=false'));
  t.deepEqual(result.addrs, ['10.77.0.11:4648', '10.77.0.12:4649']);
});

test('v4=false (Go bool spelling F): IPv6 addresses only', async (t) => {
  const ns = await createNetns(t);
  await startResponder(t, ns, { instances: fleet });
  const result = await browse(ns, cfg(' v4=F'));
  t.deepEqual(result.addrs, ['[fd77::11]:4648', '[fd77::13]:4650']);
});

test('a responder heard only on the IPv6 group still answers A records (both groups are queried)', async (t) => {
  const ns = await createNetns(t);
  const responder = await startResponder(t, ns, { instances: fleet, families: [6] });
  const result = await browse(ns, cfg(' v6=false'));
  t.deepEqual(result.addrs, ['10.77.0.11:4648', '10.77.0.12:4649']);
  t.true(responder.questions().includes(`PTR ${SERVICE}.local`));
});

test('a responder that sends the PTR alone: SRV, A and AAAA are asked for', async (t) => {
  const ns = await createNetns(t);
  const responder = await startResponder(t, ns, { instances: fleet, split: true });
  const result = await browse(ns, cfg());
  t.deepEqual(result.addrs, ['[fd77::11]:4648', '10.77.0.12:4649', '[fd77::13]:4650']);
  const asked = responder.questions();
  for (const q of ['SRV node1._nomad._tcp.local', 'A node1.local', 'AAAA node1.local', 'AAAA node2.local']) {
    t.true(asked.includes(q), q);
  }
});

test('no answers: an empty list after the timeout, not an error', async (t) => {
  const ns = await createNetns(t);
  await startResponder(t, ns, { instances: fleet });
  const result = await browse(ns, `provider=mdns service=_nobody._tcp interface=${LINK.name} timeout=400ms`);
  t.deepEqual(result.addrs, []);
  t.true(result.elapsedMs >= 390, `${result.elapsedMs} ms`);
});

test('timeout is honoured, and the sockets are closed when it passes (the process exits by itself)', async (t) => {
  const ns = await createNetns(t);
  await startResponder(t, ns, { instances: fleet });
  // browse() fails unless the process exits by itself: an unclosed socket would hold it.
  const short = await browse(ns, cfg().replace('timeout=2s', 'timeout=250ms'));
  t.true(short.elapsedMs >= 240, `${short.elapsedMs} ms`);
  const long = await browse(ns, cfg().replace('timeout=2s', 'timeout=6s'));
  t.is(long.addrs?.length, 3);
  t.true(long.elapsedMs >= 5990, `${long.elapsedMs} ms`);
  // Honoured, the short window ends near 250 ms; ignored, it would last the 1 s default or more.
  // The margin separates the two even on a busy machine: only the order is asserted.
  t.true(short.elapsedMs < long.elapsedMs - 3000, `short ${short.elapsedMs} ms, long ${long.elapsedMs} ms`);
});

test('a call timeout shorter than the mDNS timeout aborts the browse and closes the sockets', async (t) => {
  const ns = await createNetns(t);
  await startResponder(t, ns, { instances: fleet });
  const result = await browse(ns, cfg().replace('timeout=2s', 'timeout=20s'), 300);
  t.deepEqual(result.error, { name: 'TimeoutError', code: 'ERR_TIMEOUT', message: 'discover-mdns timed out after 300 ms' });
  // Honoured, the call ends near 300 ms; ignored, it would last the 20 s window.
  t.true(result.elapsedMs < 10_000, `${result.elapsedMs} ms`);
});

test('the provider honours its signal: abort while listening, and while the sockets are still opening', async (t) => {
  const ns = await createNetns(t);
  await startResponder(t, ns, { instances: fleet });
  const aborted = { name: 'AbortError', code: 'ERR_ABORTED', message: 'discover-mdns: mDNS query was aborted' };
  const listening = await browse(ns, cfg().replace('timeout=2s', 'timeout=20s'), 'abort:300');
  t.deepEqual(listening.error, aborted);
  t.true(listening.elapsedMs < 10_000, `${listening.elapsedMs} ms`);
  const opening = await browse(ns, cfg().replace('timeout=2s', 'timeout=20s'), 'abort:0');
  t.deepEqual(opening.error, aborted);
  t.true(opening.elapsedMs < 10_000, `${opening.elapsedMs} ms`);
});

test('without interface: the system default multicast interface (inside the namespace: mdns0)', async (t) => {
  const ns = await createNetns(t);
  await startResponder(t, ns, { instances: fleet });
  const result = await browse(ns, `provider=mdns service=${SERVICE} timeout=2s`);
  t.deepEqual(result.addrs, ['[fd77::11]:4648', '10.77.0.12:4649', '[fd77::13]:4650']);
});

test('timeout=0 listens for one second, as hashicorp/mdns does', async (t) => {
  const ns = await createNetns(t);
  await startResponder(t, ns, { instances: fleet });
  const result = await browse(ns, cfg().replace('timeout=2s', 'timeout=0'));
  t.is(result.addrs?.length, 3);
  t.true(result.elapsedMs >= 990, `${result.elapsedMs} ms`);
});

test('an unknown interface name is an error naming it', async (t) => {
  const ns = await createNetns(t);
  const result = await browse(ns, `provider=mdns service=${SERVICE} interface=nosuch0 timeout=100ms`);
  t.is(result.error?.name, 'ProviderError');
  t.regex(result.error?.message ?? '', /^discover-mdns: mDNS query failed: no network interface named "nosuch0" \(this host has: .*mdns0/);
});

test('argument errors come before any socket: bad duration and bool, missing service', async (t) => {
  const ns = await createNetns(t);
  const result = await browse(ns, 'provider=mdns timeout=5 v6=yes');
  t.is(result.error?.code, 'ERR_PROVIDER_ARGS');
  for (const key of ['service', 'timeout', 'v6']) t.regex(result.error?.message ?? '', new RegExp(key));
});

test('v4=false and v6=false together are refused before any socket opens', async (t) => {
  const engine = new Discover({ builtins: false, providers: [mdns] });
  const error = await t.throwsAsync(engine.check(`provider=mdns service=${SERVICE} v4=false v6=0`), {
    instanceOf: ProviderArgsError,
  });
  t.deepEqual(error?.problems, [{ key: 'v6', message: 'v4 and v6 are both false: no address could ever be returned' }]);
});

// --- the loopback guard, in the test process (the host's namespace) -----------------------------

test('AUTOJOIN_LOOPBACK_ONLY refuses to multicast from the host namespace', async (t) => {
  const env = { AUTOJOIN_LOOPBACK_ONLY: '1' };
  const http = createHttpClient({ env });
  const ctx = { http, log: silentLogger, signal: new AbortController().signal, deadline: undefined, userAgent: 'test', env };
  const args = { service: SERVICE, domain: 'local', timeout: 100, v4: true, v6: true, interface: undefined };
  await t.throwsAsync(mdns.discover(args, ctx), {
    instanceOf: LoopbackOnlyError,
    message: 'refused to connect to the mDNS groups 224.0.0.251 and ff02::fb: AUTOJOIN_LOOPBACK_ONLY is set',
  });
});

test("the guard is the HTTP stack's: a caller env without AUTOJOIN_LOOPBACK_ONLY does not switch it off", async (t) => {
  t.is(process.env.AUTOJOIN_LOOPBACK_ONLY, '1');
  const http = createHttpClient({ env: {} });
  const ctx = { http, log: silentLogger, signal: new AbortController().signal, deadline: undefined, userAgent: 'test', env: {} };
  const args = { service: SERVICE, domain: 'local', timeout: 100, v4: true, v6: true, interface: undefined };
  await t.throwsAsync(mdns.discover(args, ctx), { instanceOf: LoopbackOnlyError });
});

// --- pure parts ------------------------------------------------------------------------------

const ptr = (instance: string, service = '_nomad._tcp.local'): MdnsRecord => ({ name: service, type: 'PTR', data: instance });
const srvRec = (instance: string, target: string, port: number): MdnsRecord => ({
  name: instance,
  type: 'SRV',
  data: { target, port, priority: 0, weight: 0 },
});
const a = (host: string, ip: string): MdnsRecord => ({ name: host, type: 'A', data: ip });
const aaaa = (host: string, ip: string): MdnsRecord => ({ name: host, type: 'AAAA', data: ip });
const both = { v4: true, v6: true };

const serviceNames: Array<[string, string, string]> = [
  ['_consul._tcp', 'local', '_consul._tcp.local'],
  ['_consul._tcp.', '.local.', '_consul._tcp.local'],
  ['_nomad._tcp', 'example.internal', '_nomad._tcp.example.internal'],
];
for (const [service, domain, expected] of serviceNames) {
  test(`serviceName(${service}, ${domain}) = ${expected}`, (t) => t.is(serviceName(service, domain), expected));
}

const targetCases: Array<{ name: string; records: MdnsRecord[]; families?: { v4: boolean; v6: boolean }; expected: unknown[] }> = [
  {
    name: 'PTR -> SRV -> A and AAAA: IPv6 preferred',
    records: [ptr('n1._nomad._tcp.local'), srvRec('n1._nomad._tcp.local', 'n1.local', 4648), a('n1.local', '10.0.0.1'), aaaa('n1.local', 'fd00::1')],
    expected: [{ address: 'fd00::1', port: 4648, name: 'n1._nomad._tcp.local' }],
  },
  {
    name: 'v6 disabled: the IPv4 address',
    records: [ptr('n1._nomad._tcp.local'), srvRec('n1._nomad._tcp.local', 'n1.local', 4648), a('n1.local', '10.0.0.1'), aaaa('n1.local', 'fd00::1')],
    families: { v4: true, v6: false },
    expected: [{ address: '10.0.0.1', port: 4648, name: 'n1._nomad._tcp.local' }],
  },
  {
    name: 'both disabled: nothing',
    records: [ptr('n1._nomad._tcp.local'), srvRec('n1._nomad._tcp.local', 'n1.local', 4648), a('n1.local', '10.0.0.1')],
    families: { v4: false, v6: false },
    expected: [],
  },
  {
    name: 'records in any order, names in any case, trailing dots ignored',
    records: [a('N1.LOCAL.', '10.0.0.1'), srvRec('N1._nomad._tcp.local', 'n1.local.', 4648), ptr('n1._nomad._tcp.local', '_NOMAD._tcp.local')],
    expected: [{ address: '10.0.0.1', port: 4648, name: 'n1._nomad._tcp.local' }],
  },
  {
    name: 'PTRs of other services are ignored (the socket hears every query on the link)',
    records: [ptr('p._printer._tcp.local', '_printer._tcp.local'), srvRec('p._printer._tcp.local', 'p.local', 631), a('p.local', '10.0.0.9')],
    expected: [],
  },
  {
    name: 'an instance without SRV, an SRV with port 0, a host without address: all skipped',
    records: [
      ptr('a._nomad._tcp.local'),
      ptr('b._nomad._tcp.local'),
      srvRec('b._nomad._tcp.local', 'b.local', 0),
      a('b.local', '10.0.0.2'),
      ptr('c._nomad._tcp.local'),
      srvRec('c._nomad._tcp.local', 'c.local', 4648),
    ],
    expected: [],
  },
  {
    name: 'a repeated PTR (both groups answered) gives one target',
    records: [ptr('n1._nomad._tcp.local'), srvRec('n1._nomad._tcp.local', 'n1.local', 1), a('n1.local', '10.0.0.1'), ptr('n1._nomad._tcp.local')],
    expected: [{ address: '10.0.0.1', port: 1, name: 'n1._nomad._tcp.local' }],
  },
  {
    name: 'two instances on one host share its addresses, each with its port',
    records: [
      ptr('x._nomad._tcp.local'),
      ptr('y._nomad._tcp.local'),
      srvRec('x._nomad._tcp.local', 'h.local', 1),
      srvRec('y._nomad._tcp.local', 'h.local', 2),
      a('h.local', '10.0.0.5'),
    ],
    expected: [
      { address: '10.0.0.5', port: 1, name: 'x._nomad._tcp.local' },
      { address: '10.0.0.5', port: 2, name: 'y._nomad._tcp.local' },
    ],
  },
  {
    name: 'a later SRV for an instance replaces the earlier one',
    records: [
      ptr('n._nomad._tcp.local'),
      srvRec('n._nomad._tcp.local', 'old.local', 1),
      srvRec('n._nomad._tcp.local', 'new.local', 2),
      a('old.local', '10.0.0.1'),
      a('new.local', '10.0.0.2'),
    ],
    expected: [{ address: '10.0.0.2', port: 2, name: 'n._nomad._tcp.local' }],
  },
  {
    name: 'malformed records are ignored',
    records: [ptr('n._nomad._tcp.local'), { name: 'n._nomad._tcp.local', type: 'SRV', data: 'junk' }, a('n.local', 'not-an-ip')],
    expected: [],
  },
];
for (const c of targetCases) {
  test(`mdnsTargets: ${c.name}`, (t) => {
    t.deepEqual(mdnsTargets(c.records, '_nomad._tcp.local', c.families ?? both), c.expected);
  });
}

const picks: Array<{ name: string; v4: string[]; v6: string[]; families: { v4: boolean; v6: boolean }; expected: string | undefined }> = [
  { name: 'IPv6 preferred', v4: ['10.0.0.1'], v6: ['fd00::1'], families: both, expected: 'fd00::1' },
  { name: 'first address heard wins', v4: ['10.0.0.1', '10.0.0.2'], v6: [], families: both, expected: '10.0.0.1' },
  { name: 'link-local IPv6 after IPv4', v4: ['10.0.0.1'], v6: ['fe80::1'], families: both, expected: '10.0.0.1' },
  { name: 'routable IPv6 before link-local', v4: [], v6: ['fe80::1', '2001:db8::1'], families: both, expected: '2001:db8::1' },
  { name: 'link-local IPv6 when nothing else', v4: [], v6: ['fe80::1'], families: both, expected: 'fe80::1' },
  { name: 'link-local IPv6 not used when v6=false', v4: [], v6: ['fe80::1'], families: { v4: true, v6: false }, expected: undefined },
  { name: 'v4=false, IPv4 only', v4: ['10.0.0.1'], v6: [], families: { v4: false, v6: true }, expected: undefined },
];
for (const c of picks) {
  test(`pickAddress: ${c.name}`, (t) => {
    t.is(pickAddress({ name: 'i', host: 'h', port: 1, v4: c.v4, v6: c.v6 }, c.families), c.expected);
  });
}

test('collectInstances keeps the order the PTRs arrived in', (t) => {
  const records = [ptr('b._nomad._tcp.local'), ptr('a._nomad._tcp.local'), srvRec('a._nomad._tcp.local', 'a.local', 1)];
  t.deepEqual(
    collectInstances(records, '_nomad._tcp.local').map((i) => [i.name, i.host, i.port]),
    [
      ['b._nomad._tcp.local', undefined, undefined],
      ['a._nomad._tcp.local', 'a.local', 1],
    ],
  );
});

const followUps: Array<{ name: string; records: MdnsRecord[]; expected: Array<{ name: string; type: string }> }> = [
  { name: 'nothing heard: nothing to ask', records: [], expected: [] },
  {
    name: 'PTR only: ask for the SRV',
    records: [ptr('n._nomad._tcp.local')],
    expected: [{ name: 'n._nomad._tcp.local', type: 'SRV' }],
  },
  {
    name: 'SRV without addresses: ask for A and AAAA of the target',
    records: [ptr('n._nomad._tcp.local'), srvRec('n._nomad._tcp.local', 'n.local', 1)],
    expected: [
      { name: 'n.local', type: 'A' },
      { name: 'n.local', type: 'AAAA' },
    ],
  },
  {
    name: 'complete: nothing to ask',
    records: [ptr('n._nomad._tcp.local'), srvRec('n._nomad._tcp.local', 'n.local', 1), aaaa('n.local', 'fd00::1')],
    expected: [],
  },
];
for (const c of followUps) {
  test(`followUpQuestions: ${c.name}`, (t) => t.deepEqual(followUpQuestions(c.records, '_nomad._tcp.local'), c.expected));
}
