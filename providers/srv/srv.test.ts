/**
 * provider=srv against a real DNS server (dnsmasq on loopback), plus table tests of its pure parts.
 */
import { createSocket } from 'node:dgram';
import test from 'ava';
import { Discover } from '../../src/discover.js';
import { AbortError, LoopbackOnlyError, ProviderArgsError, ProviderError, TimeoutError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/index.js';
import { silentLogger } from '../../src/log.js';
import type { ProviderContext } from '../../src/provider.js';
import { type SrvRecord, describeDnsError, fullyQualified, isLoopbackServer, orderSrvRecords, parseNameserver, srvQueryName, srvTargets } from './extract.js';
import srv from './index.js';
import { startDnsmasq } from '../../test/helpers/dnsmasq.js';

const engine = new Discover({ builtins: false, providers: [srv] });

const NOMAD = '_nomad._tcp.example.test';
const cluster = {
  srv: [
    { name: NOMAD, target: 'node1.example.test', port: 4648, priority: 10 },
    { name: NOMAD, target: 'node2.example.test', port: 4649, priority: 20 },
    { name: NOMAD, target: 'node3.example.test', port: 14648, priority: 30 },
    { name: '_consul._udp.example.test', target: 'c1.example.test', port: 8301 },
  ],
  hosts: { 'node1.example.test': '10.0.0.1', 'node2.example.test': '10.0.0.2' },
};

/** A provider context for calling `discover` directly, as the engine would build it. */
function context(signal: AbortSignal, env: Record<string, string | undefined> = process.env): ProviderContext {
  const http = createHttpClient({ env });
  return { http, log: silentLogger, signal, deadline: undefined, userAgent: http.userAgent, env };
}

/** A UDP "name server" that reads every query and never answers. */
async function silentNameserver(t: import('ava').ExecutionContext): Promise<string> {
  return (await silentServer(t)).address;
}

/** The same, telling how many queries it got and when the first came. */
async function silentServer(t: import('ava').ExecutionContext): Promise<{ address: string; queries(): number; firstQuery: Promise<void> }> {
  const socket = createSocket('udp4');
  let queries = 0;
  let onFirst!: () => void;
  const firstQuery = new Promise<void>((resolve) => {
    onFirst = resolve;
  });
  socket.on('message', () => {
    queries++;
    onFirst();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  t.teardown(() => t.log(`silent name server got ${queries} queries`));
  return { address: `127.0.0.1:${socket.address().port}`, queries: () => queries, firstQuery };
}

// --- against dnsmasq -------------------------------------------------------------------------

test('SRV records come back as target.:port in priority order, trailing dots kept', async (t) => {
  const dns = await startDnsmasq(t, cluster);
  const addrs = await engine.addrs(`provider=srv service=nomad domain=example.test nameserver=${dns.nameserver}`);
  t.deepEqual(addrs, ['node1.example.test.:4648', 'node2.example.test.:4649', 'node3.example.test.:14648']);
});

test('targets carry the fully qualified name and the port separately', async (t) => {
  const dns = await startDnsmasq(t, cluster);
  const targets = await engine.discover(`provider=srv service=nomad domain=example.test nameserver=${dns.nameserver}`);
  t.deepEqual(targets, [
    { address: 'node1.example.test.', port: 4648 },
    { address: 'node2.example.test.', port: 4649 },
    { address: 'node3.example.test.', port: 14648 },
  ]);
});

test('proto picks the _proto label', async (t) => {
  const dns = await startDnsmasq(t, cluster);
  const cfg = `provider=srv service=consul proto=udp domain=example.test nameserver=${dns.nameserver}`;
  t.deepEqual(await engine.addrs(cfg), ['c1.example.test.:8301']);
});

test('a domain given with its trailing dot queries the same name', async (t) => {
  const dns = await startDnsmasq(t, cluster);
  const addrs = await engine.addrs(`provider=srv service=nomad domain=example.test. nameserver=${dns.nameserver}`);
  t.is(addrs.length, 3);
});

test('an IPv6 name server with a port: [::1]:N', async (t) => {
  const dns = await startDnsmasq(t, cluster);
  t.truthy(dns.nameserverV6);
  const addrs = await engine.addrs(`provider=srv service=nomad domain=example.test nameserver=${dns.nameserverV6}`);
  t.deepEqual(addrs, ['node1.example.test.:4648', 'node2.example.test.:4649', 'node3.example.test.:14648']);
});

test('a large cluster: an answer too big for UDP is fetched again over TCP', async (t) => {
  const srvHosts = Array.from({ length: 80 }, (_, i) => ({
    name: NOMAD,
    target: `server-${String(i).padStart(3, '0')}.nomad-servers.example.test`,
    port: 4648,
    priority: i,
  }));
  const dns = await startDnsmasq(t, { srv: srvHosts });
  const addrs = await engine.addrs(`provider=srv service=nomad domain=example.test nameserver=${dns.nameserver}`);
  t.is(addrs.length, 80);
  t.is(addrs[79], 'server-079.nomad-servers.example.test.:4648');
  // One query over UDP (answer truncated), the same again over TCP.
  const asked = dns
    .log()
    .split('\n')
    .filter((line) => line.includes(`query[SRV] ${NOMAD} from 127.0.0.1`));
  t.is(asked.length, 2);
});

// Serial (ava runs serial tests before the others): Math.random is replaced for the provider's draw.
test.serial('equal priorities: every record is returned, ordered by a weighted draw (Math.random pinned)', async (t) => {
  const dns = await startDnsmasq(t, {
    srv: [
      { name: NOMAD, target: 'heavy.example.test', port: 1, priority: 5, weight: 90 },
      { name: NOMAD, target: 'light.example.test', port: 2, priority: 5, weight: 10 },
      { name: NOMAD, target: 'backup.example.test', port: 3, priority: 50, weight: 0 },
    ],
  });
  const realRandom = Math.random;
  t.teardown(() => {
    Math.random = realRandom;
  });
  const run = async (draw: number) => {
    Math.random = () => draw;
    try {
      return await engine.addrs(`provider=srv service=nomad domain=example.test nameserver=${dns.nameserver}`);
    } finally {
      Math.random = realRandom;
    }
  };
  // Sorted by weight the group is light(10), heavy(90); a draw of 0.3 is 30 of 100: past light's
  // 10, so heavy. A uniform shuffle would take index floor(0.3 * 2) = 0, light; no shuffle keeps light first.
  t.deepEqual(await run(0.3), ['heavy.example.test.:1', 'light.example.test.:2', 'backup.example.test.:3']);
  // 0.05 is 5 of 100: within light's 10. Wire order (heavy first) would not give this.
  t.deepEqual(await run(0.05), ['light.example.test.:2', 'heavy.example.test.:1', 'backup.example.test.:3']);
});

test('a "." target (RFC 2782: decidedly not available) is left out: an empty list, not an error', async (t) => {
  const dns = await startDnsmasq(t, { srv: [{ name: '_none._tcp.example.test', target: '', port: 0 }] });
  t.deepEqual(await engine.addrs(`provider=srv service=none domain=example.test nameserver=${dns.nameserver}`), []);
});

test('NXDOMAIN is an error naming the provider, the operation and the name (as go-discover)', async (t) => {
  const dns = await startDnsmasq(t, cluster);
  const error = await t.throwsAsync(engine.addrs(`provider=srv service=missing domain=example.test nameserver=${dns.nameserver}`), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: 'discover-srv: SRV lookup failed: ENOTFOUND: no such host (NXDOMAIN): _missing._tcp.example.test',
  });
  t.is(error?.provider, 'srv');
  t.is(error?.operation, 'SRV lookup');
  t.is(error?.cloudCode, 'ENOTFOUND');
  t.is((error?.cause as { code?: string } | undefined)?.code, 'ENOTFOUND');
});

test('a name with records but no SRV record is an error too (ENODATA)', async (t) => {
  const dns = await startDnsmasq(t, { ...cluster, hosts: { ...cluster.hosts, '_web._tcp.example.test': '10.0.0.9' } });
  await t.throwsAsync(engine.addrs(`provider=srv service=web domain=example.test nameserver=${dns.nameserver}`), {
    instanceOf: ProviderError,
    message: 'discover-srv: SRV lookup failed: ENODATA: no SRV records for this name: _web._tcp.example.test',
  });
});

test('a server that refuses the zone: the rcode is in the error', async (t) => {
  const dns = await startDnsmasq(t, { ...cluster, localDomains: ['example.test'] });
  const error = await t.throwsAsync(engine.addrs(`provider=srv service=nomad domain=elsewhere.test nameserver=${dns.nameserver}`), {
    instanceOf: ProviderError,
  });
  t.is(error?.cloudCode, 'EREFUSED');
});

// --- timeouts and aborts ---------------------------------------------------------------------

test('a name server that never answers: the call timeout ends the lookup', async (t) => {
  const server = await silentNameserver(t);
  // The call's bound ends it, and says so (c-ares' own retries would end in ETIMEOUT much later).
  await t.throwsAsync(engine.addrs(`provider=srv service=nomad domain=example.test nameserver=${server}`, { timeout: '300ms' }), {
    instanceOf: TimeoutError,
    code: 'ERR_TIMEOUT',
    message: 'discover-srv timed out after 300 ms',
  });
});

test('the provider cancels its query when its signal aborts (resolver.cancel)', async (t) => {
  const server = await silentServer(t);
  const controller = new AbortController();
  const args = { service: 'nomad', proto: 'tcp', domain: 'example.test', nameserver: server.address };
  // Aborted once the query is out: the provider settles only when c-ares lets go of it.
  void server.firstQuery.then(() => controller.abort());
  await t.throwsAsync(srv.discover(args, context(controller.signal)), {
    instanceOf: AbortError,
    code: 'ERR_ABORTED',
    message: 'discover-srv: SRV lookup was aborted',
  });
  // Cancelled, it let go after the one query; without the cancel c-ares would first try again
  // (2 tries, 5 s apart), so the server would have seen a second query.
  t.is(server.queries(), 1);
});

test('an already aborted signal: no query is sent', async (t) => {
  const controller = new AbortController();
  controller.abort();
  const args = { service: 'nomad', proto: 'tcp', domain: 'example.test', nameserver: '127.0.0.1:9' };
  await t.throwsAsync(srv.discover(args, context(controller.signal)), { instanceOf: AbortError });
});

test('a caller abort through the engine ends the call with AbortError', async (t) => {
  const server = await silentServer(t);
  const controller = new AbortController();
  void server.firstQuery.then(() => controller.abort());
  await t.throwsAsync(engine.addrs(`provider=srv service=nomad domain=example.test nameserver=${server.address}`, { signal: controller.signal }), {
    instanceOf: AbortError,
  });
});

// --- arguments and the loopback guard ----------------------------------------------------------

test('service and domain are required; proto defaults to tcp', async (t) => {
  const error = await t.throwsAsync(engine.check('provider=srv proto=udp'), { instanceOf: ProviderArgsError });
  t.deepEqual(error?.problems.map((p) => p.key).sort(), ['domain', 'service']);
  const checked = await engine.check('provider=srv service=a domain=b');
  t.is(checked.validated.args.proto, 'tcp');
});

test('nameserver must be an IP literal with an optional port', async (t) => {
  for (const bad of ['dns.example.com', '10.0.0.1:99999', '[::1', 'fe80::1%eth0', '10.0.0.1:0']) {
    const error = await t.throwsAsync(engine.check(`provider=srv service=a domain=b nameserver=${bad}`), {
      instanceOf: ProviderArgsError,
    });
    t.regex(error?.message ?? '', /nameserver ".*" is not an IP address/, bad);
  }
  for (const good of ['10.0.0.2', '10.0.0.2:5353', '::1', '[::1]', '[::1]:53']) {
    await t.notThrowsAsync(engine.check(`provider=srv service=a domain=b nameserver=${good}`), good);
  }
});

test('AUTOJOIN_LOOPBACK_ONLY refuses a name server beyond loopback before sending anything', async (t) => {
  const controller = new AbortController();
  const args = { service: 'nomad', proto: 'tcp', domain: 'example.test', nameserver: '192.0.2.53' };
  await t.throwsAsync(srv.discover(args, context(controller.signal, { AUTOJOIN_LOOPBACK_ONLY: '1' })), {
    instanceOf: LoopbackOnlyError,
    message: 'refused to connect to 192.0.2.53: AUTOJOIN_LOOPBACK_ONLY is set',
  });
});

test("the guard is the HTTP stack's: a caller env without AUTOJOIN_LOOPBACK_ONLY does not switch it off", async (t) => {
  // The test process runs with AUTOJOIN_LOOPBACK_ONLY=1 (package.json's ava env); the call's own env lacks it.
  t.is(process.env.AUTOJOIN_LOOPBACK_ONLY, '1');
  const args = { service: 'nomad', proto: 'tcp', domain: 'example.test', nameserver: '192.0.2.53' };
  await t.throwsAsync(srv.discover(args, context(new AbortController().signal, {})), { instanceOf: LoopbackOnlyError });
});

// --- pure parts ------------------------------------------------------------------------------

const queryNames: Array<[string, string, string, string]> = [
  ['consul', 'tcp', 'example.com', '_consul._tcp.example.com'],
  ['nomad', 'udp', 'dc1.example.com.', '_nomad._udp.dc1.example.com.'],
  ['', '', 'example.com', 'example.com'],
];
for (const [service, proto, domain, expected] of queryNames) {
  test(`srvQueryName(${service || '""'}, ${proto || '""'}, ${domain}) = ${expected}`, (t) => {
    t.is(srvQueryName(service, proto, domain), expected);
  });
}

const fqdnCases: Array<[string, string]> = [
  ['node1.example.com', 'node1.example.com.'],
  ['node1.example.com.', 'node1.example.com.'],
  ['.', '.'],
];
for (const [name, expected] of fqdnCases) {
  test(`fullyQualified(${name}) = ${expected}`, (t) => t.is(fullyQualified(name), expected));
}

const nameservers: Array<[string, string | undefined]> = [
  ['10.0.0.2', '10.0.0.2:53'],
  ['10.0.0.2:5353', '10.0.0.2:5353'],
  ['::1', '[::1]:53'],
  ['[::1]', '[::1]:53'],
  ['[2001:db8::53]:5353', '[2001:db8::53]:5353'],
  ['dns.example.com', undefined],
  ['dns.example.com:53', undefined],
  ['10.0.0.2:', '10.0.0.2:53'],
  ['10.0.0.2:0', undefined],
  ['10.0.0.2:65536', undefined],
  ['fe80::1%eth0', undefined],
  ['', undefined],
];
for (const [text, expected] of nameservers) {
  test(`parseNameserver(${JSON.stringify(text)}) = ${expected}`, (t) => t.is(parseNameserver(text), expected));
}

const loopbacks: Array<[string, boolean]> = [
  ['127.0.0.1:53', true],
  ['127.0.0.53:53', true],
  ['[::1]:5353', true],
  ['::1', true],
  ['10.0.0.2:53', false],
  ['[2001:db8::1]:53', false],
  ['8.8.8.8', false],
];
for (const [server, expected] of loopbacks) {
  test(`isLoopbackServer(${server}) = ${expected}`, (t) => t.is(isLoopbackServer(server), expected));
}

const reasons: Array<[string | undefined, string]> = [
  ['ENOTFOUND', 'no such host (NXDOMAIN)'],
  ['ENODATA', 'no SRV records for this name'],
  ['ETIMEOUT', 'the name server did not answer in time'],
  ['ECONNREFUSED', 'connection to the name server refused'],
  ['EWHATEVER', 'EWHATEVER'],
  [undefined, 'lookup failed'],
];
for (const [code, expected] of reasons) {
  test(`describeDnsError(${code}) = ${expected}`, (t) => t.is(describeDnsError(code), expected));
}

const rec = (name: string, priority: number, weight: number, port = 1): SrvRecord => ({ name, port, priority, weight });

/** A random source that replays fixed values. */
const replay = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

const orderings: Array<{ name: string; records: SrvRecord[]; random: () => number; expected: string[] }> = [
  {
    name: 'ascending priority, whatever the wire order',
    records: [rec('c', 30, 0), rec('a', 10, 0), rec('b', 20, 0)],
    random: replay(0),
    expected: ['a', 'b', 'c'],
  },
  {
    name: 'weights: a draw below the first weight keeps the lighter first (sorted by weight)',
    records: [rec('heavy', 1, 90), rec('light', 1, 10)],
    // sorted: light(10), heavy(90); draw 5 of 100 -> light
    random: replay(0.05),
    expected: ['light', 'heavy'],
  },
  {
    name: 'weights: a draw past the first weight picks the heavier',
    records: [rec('heavy', 1, 90), rec('light', 1, 10)],
    random: replay(0.5),
    expected: ['heavy', 'light'],
  },
  {
    name: 'zero weights are never drawn while others have weight (Go swaps the pick to the front)',
    records: [rec('z1', 1, 0), rec('z2', 1, 0), rec('w', 1, 5)],
    random: replay(0),
    expected: ['w', 'z2', 'z1'],
  },
  {
    name: 'all zero weights: sorted order, no draw',
    records: [rec('x', 1, 0), rec('y', 1, 0)],
    random: () => {
      throw new Error('no draw expected');
    },
    expected: ['x', 'y'],
  },
  {
    name: 'groups are shuffled separately',
    records: [rec('b2', 2, 1), rec('a1', 1, 1), rec('b1', 2, 1), rec('a2', 1, 1)],
    // group 1 (a1, a2): draw 1 of 2 -> a2; group 2 (b2, b1): draw 0 of 2 -> b2
    random: replay(0.6, 0.1),
    expected: ['a2', 'a1', 'b2', 'b1'],
  },
  { name: 'empty', records: [], random: replay(0), expected: [] },
];
for (const c of orderings) {
  test(`orderSrvRecords: ${c.name}`, (t) => {
    t.deepEqual(
      orderSrvRecords(c.records, c.random).map((r) => r.name),
      c.expected,
    );
  });
}

test('orderSrvRecords with the real Math.random: weight 90 of 100 comes first 90% of the time', (t) => {
  const records = [rec('heavy', 1, 90), rec('light', 1, 10), rec('backup', 2, 0)];
  const draws = 10_000;
  let heavyFirst = 0;
  for (let i = 0; i < draws; i++) {
    const ordered = orderSrvRecords(records).map((r) => r.name);
    if (ordered[0] === 'heavy') heavyFirst++;
    if (ordered[2] !== 'backup') return t.fail(`the lower priority came before: ${ordered.join(',')}`);
  }
  // Honoured: 9000 expected, standard deviation 30, so [8500, 9500] fails once in 10^50 runs.
  // Ignored (uniform: 5000, or sorted/wire order: 0 or 10000) lands far outside.
  t.true(heavyFirst >= 8500 && heavyFirst <= 9500, `heavy first ${heavyFirst} of ${draws}`);
});

test('srvTargets keeps the order, adds the root dot and drops "." targets', (t) => {
  const records = [rec('b.example.com', 1, 0, 8301), rec('', 1, 0, 0), rec('a.example.com.', 2, 0, 8302), rec('.', 3, 0, 1)];
  t.deepEqual(srvTargets(records), [
    { address: 'b.example.com.', port: 8301 },
    { address: 'a.example.com.', port: 8302 },
  ]);
});
