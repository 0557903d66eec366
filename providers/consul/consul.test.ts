/**
 * provider=consul: the pure extractors as tables, then the provider through the engine against
 * the simulator's Consul API on 127.0.0.1 (ACL, dc, tags, passing, faults, appearing services),
 * and inside the retry-join loop.
 */
import test from 'ava';
import consul from './index.js';
import consulSim from './sim.js';
import { type CatalogServiceEntry, catalogTargets, consulBaseUrl, type HealthServiceEntry, healthTargets, malformed, serviceUrl } from './extract.js';
import { Discover } from '../../src/discover.js';
import { ProviderArgsError, ProviderError } from '../../src/errors.js';
import { retryJoin } from '../../src/join/index.js';
import type { Fleet, FleetService } from '../../src/sim/fleet.js';
import { retryWaitMs, startFront } from '../../test/helpers/front.js';
import * as faults from '../../test/helpers/provider-faults.js';
import { startTestSim } from '../../test/helpers/sim.js';

const engine = new Discover({ builtins: false, providers: [consul] });
const TOKEN = 'sim-consul-token-0001';

// ---------------------------------------------------------------- pure

const catalogEntry = (over: Partial<CatalogServiceEntry>): CatalogServiceEntry => ({
  Node: 'n1',
  Address: '10.0.0.1',
  Datacenter: 'dc1',
  ServiceID: 'nomad-n1',
  ServiceAddress: '',
  ServicePort: 4648,
  ServiceTags: ['serf'],
  ...over,
});

const catalogCases: Array<{ name: string; entries: CatalogServiceEntry[]; expect: unknown[] }> = [
  {
    name: 'empty ServiceAddress falls back to the node Address',
    entries: [catalogEntry({})],
    expect: [{ address: '10.0.0.1', port: 4648, name: 'n1', id: 'nomad-n1', zone: 'dc1', meta: { tags: 'serf' } }],
  },
  {
    name: 'ServiceAddress wins when set',
    entries: [catalogEntry({ ServiceAddress: '172.16.0.9' })],
    expect: [{ address: '172.16.0.9', port: 4648, name: 'n1', id: 'nomad-n1', zone: 'dc1', meta: { tags: 'serf' } }],
  },
  {
    name: 'port 0 means no port; null tags; IPv6 kept bare',
    entries: [catalogEntry({ Address: '2001:db8::5', ServicePort: 0, ServiceTags: null, ServiceID: '', Datacenter: '' })],
    expect: [{ address: '2001:db8::5', name: 'n1' }],
  },
  { name: 'no address at all is left out', entries: [catalogEntry({ Address: '' })], expect: [] },
];
for (const c of catalogCases) {
  test(`catalogTargets: ${c.name}`, (t) => {
    t.deepEqual(catalogTargets(c.entries), c.expect);
  });
}

test('healthTargets: Service.Address, else Node.Address; Service.Port', (t) => {
  const entries: HealthServiceEntry[] = [
    { Node: { Node: 'a', Address: '10.0.0.1', Datacenter: 'dc2' }, Service: { ID: 'nomad-a', Address: '', Port: 4647, Tags: ['rpc'] } },
    { Node: { Node: 'b', Address: '10.0.0.2' }, Service: { Address: 'b.internal', Port: 4647 } },
  ];
  t.deepEqual(healthTargets(entries), [
    { address: '10.0.0.1', port: 4647, name: 'a', id: 'nomad-a', zone: 'dc2', meta: { tags: 'rpc' } },
    { address: 'b.internal', port: 4647, name: 'b' },
  ]);
});

const malformedCases: Array<[unknown, 'catalog' | 'health', string | undefined]> = [
  [[], 'catalog', undefined],
  [{ error: 'x' }, 'catalog', 'the response is not a JSON array'],
  [[1], 'catalog', 'element 0 is not an object'],
  [[{ Node: {}, Service: {} }], 'health', undefined],
  [[{ Node: 'n1' }], 'health', 'element 0 has no Node or Service object'],
];
for (const [body, kind, expect] of malformedCases) {
  test(`malformed(${JSON.stringify(body)}, ${kind})`, (t) => {
    t.is(malformed(body, kind), expect);
  });
}

const urlCases: Array<[string, boolean, string | undefined]> = [
  ['127.0.0.1:8500', false, 'http://127.0.0.1:8500/'],
  ['127.0.0.1:8501', true, 'https://127.0.0.1:8501/'],
  ['https://consul.internal:8501', false, 'https://consul.internal:8501/'],
  ['http://[::1]:8500/consul/', false, 'http://[::1]:8500/consul/'],
  ['unix:///var/run/consul.sock', false, undefined],
  ['http://user:pw@127.0.0.1:8500', false, undefined],
  ['', false, undefined],
];
for (const [address, ssl, expect] of urlCases) {
  test(`consulBaseUrl(${JSON.stringify(address)}, ssl=${ssl})`, (t) => {
    t.is(consulBaseUrl(address, ssl)?.href, expect);
  });
}

test('serviceUrl: repeated tags, dc, a bare passing flag, a path prefix kept', (t) => {
  const base = consulBaseUrl('http://127.0.0.1:8500/prefix/') as URL;
  t.is(
    serviceUrl(base, { service: 'nomad server', passing: true, tags: ['rpc', 'v2'], dc: 'eu' }).href,
    'http://127.0.0.1:8500/prefix/v1/health/service/nomad%20server?dc=eu&tag=rpc&tag=v2&passing',
  );
  t.is(serviceUrl(base, { service: 'nomad', passing: false, tags: [] }).href, 'http://127.0.0.1:8500/prefix/v1/catalog/service/nomad');
});

// ---------------------------------------------------------------- against the simulator

function svc(node: string, ip: string, over: Partial<FleetService> = {}): FleetService {
  return { node, node_address: ip, service: 'nomad', port: 4648, tags: ['serf'], ...over };
}

function fleet(services: FleetService[], token: string | null = TOKEN): Fleet {
  return { credentials: token ? { consul: { token } } : {}, instances: [], services };
}

const estate = [
  svc('srv-b', '10.0.0.2'),
  svc('srv-a', '10.0.0.1', { service_address: '172.16.0.1' }),
  svc('srv-c', '10.0.0.3', { health: 'critical' }),
  svc('srv-a', '10.0.0.1', { tags: ['rpc'], port: 4647 }),
  svc('srv-eu', '10.9.0.1', { datacenter: 'eu' }),
  svc('client-1', '10.0.5.1', { service: 'nomad-client', tags: ['http'], port: 4646 }),
];

test('catalog: every registered instance with the tag, sorted by node, ports from the catalog', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [consulSim]);
  const addrs = await engine.addrs(`provider=consul service=nomad tag=serf address=${sim.httpUrl} token=${TOKEN}`);
  t.deepEqual(addrs, ['172.16.0.1:4648', '10.0.0.2:4648', '10.0.0.3:4648']);
  t.deepEqual(sim.counts(), { consul: 1 });
});

test('passing=true: only instances whose checks pass', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [consulSim]);
  const addrs = await engine.addrs(`provider=consul service=nomad tag=serf passing=true address=${sim.httpUrl} token=${TOKEN}`);
  t.deepEqual(addrs, ['172.16.0.1:4648', '10.0.0.2:4648']);
});

test('datacenter, several tags (ANDed), token from CONSUL_HTTP_TOKEN, address from CONSUL_HTTP_ADDR', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [consulSim]);
  const env = { CONSUL_HTTP_TOKEN: TOKEN, CONSUL_HTTP_ADDR: new URL(sim.httpUrl).host, AUTOJOIN_LOOPBACK_ONLY: '1' };
  t.deepEqual(await engine.addrs('provider=consul service=nomad datacenter=eu', { env }), ['10.9.0.1:4648']);
  t.deepEqual(await engine.addrs('provider=consul service=nomad tag=serf,rpc', { env }), []);
});

test('defaults: service nomad (no service= needed), address from CONSUL_HTTP_ADDR', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [consulSim]);
  const env = { CONSUL_HTTP_TOKEN: TOKEN, CONSUL_HTTP_ADDR: new URL(sim.httpUrl).host, AUTOJOIN_LOOPBACK_ONLY: '1' };
  t.deepEqual(await engine.addrs('provider=consul tag=serf', { env }), ['172.16.0.1:4648', '10.0.0.2:4648', '10.0.0.3:4648']);
});

test('scheme=https reaches the TLS listener with a bare host:port; CONSUL_HTTP_SSL does too', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [consulSim]);
  const hostPort = new URL(sim.httpsUrl).host;
  const env = { CONSUL_HTTP_TOKEN: TOKEN, AUTOJOIN_LOOPBACK_ONLY: '1' };
  const expected = ['172.16.0.1:4648', '10.0.0.2:4648', '10.0.0.3:4648'];
  t.deepEqual(await engine.addrs(`provider=consul tag=serf scheme=https address=${hostPort}`, { env }), expected);
  t.deepEqual(await engine.addrs(`provider=consul tag=serf address=${hostPort}`, { env: { ...env, CONSUL_HTTP_SSL: 'true' } }), expected);
});

test('a scheme that contradicts the address URL is refused before any request', async (t) => {
  await t.throwsAsync(engine.discover('provider=consul scheme=http address=https://127.0.0.1:8501'), {
    instanceOf: ProviderArgsError,
    message: /scheme "http" contradicts address "https:\/\/127.0.0.1:8501"/,
  });
  await t.throwsAsync(engine.discover('provider=consul scheme=ftp'), { instanceOf: ProviderArgsError, message: /scheme/ });
});

test('a wrong or missing token: 403 ACL not found, and the token is in no message', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [consulSim]);
  const wrong = 'not-the-token-5e3a';
  const error = await t.throwsAsync(engine.discover(`provider=consul service=nomad address=${sim.httpUrl} token=${wrong}`), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: 'discover-consul: CatalogService failed: 403: ACL not found',
  });
  t.is(error?.status, 403);
  t.false(JSON.stringify({ message: error?.message, stack: error?.stack }).includes(wrong));
  await t.throwsAsync(engine.discover(`provider=consul service=nomad address=${sim.httpUrl}`), { message: /403: ACL not found$/ });
});

test('an unknown datacenter is an error, an unknown service an empty list', async (t) => {
  const sim = await startTestSim(t, fleet(estate, null), [consulSim]);
  await t.throwsAsync(engine.discover(`provider=consul service=nomad datacenter=mars address=${sim.httpUrl}`), {
    instanceOf: ProviderError,
    message: 'discover-consul: CatalogService failed: 404: No path to datacenter',
  });
  t.deepEqual(await engine.addrs(`provider=consul service=nope address=${sim.httpUrl}`), []);
});

test('throttling (429 with Retry-After) is retried within the call by the shared policy', async (t) => {
  const sim = await startTestSim(t, fleet(estate, null), [consulSim]);
  sim.setFaults('consul', { error: 'throttle', error_count: 1 });
  // Through a recording front: the wait is read on the server side.
  const front = await startFront(t, sim.httpUrl);
  const lines: string[] = [];
  const logger = { debug() {}, info: (line: string) => lines.push(line), warn() {}, error() {} };
  t.deepEqual(await engine.addrs(`provider=consul service=nomad-client address=${front.url}`, { logger }), ['10.0.5.1:4646']);
  t.deepEqual(sim.counts(), { consul: 2 });
  // Retry-After: 1 -> 1000 ms plus a spread under 100 ms; ignored, the backoff would draw below 200 ms.
  t.true(
    lines.some((line) => /; throttled, attempt 2 of 4 in 10\d\dms$/.test(line)),
    lines.join('\n'),
  );
  const waited = retryWaitMs(t, front, 429);
  t.true(waited >= 990, `the retry came ${waited.toFixed(0)} ms after the 429 left (Retry-After: 1)`);
});

test('persistent throttling ends as a throttled ProviderError (which stretches the join wait)', async (t) => {
  const sim = await startTestSim(t, fleet(estate, null), [consulSim]);
  sim.setFaults('consul', { error: 'throttle' });
  const error = await t.throwsAsync(engine.discover(`provider=consul service=nomad address=${sim.httpUrl}`, { timeout: '20s' }), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER_THROTTLED',
  });
  t.true(error?.throttled);
  t.is(error?.status, 429);
  t.is(error?.retryAfterMs, 1000);
});

test('a malformed body is a clear error', async (t) => {
  const sim = await startTestSim(t, fleet(estate, null), [consulSim]);
  sim.setFaults('consul', { malformed: true });
  await t.throwsAsync(engine.discover(`provider=consul service=nomad address=${sim.httpUrl}`), { code: 'ERR_MALFORMED_RESPONSE' });
});

test("latency past the timeout is the call's TimeoutError naming consul; an abort while waiting is an AbortError", async (t) => {
  const sim = await startTestSim(t, fleet(estate), [consulSim]);
  const config = `provider=consul service=nomad tag=serf address=${sim.httpUrl} token=${TOKEN}`;
  const target = { sim, api: 'consul', lookup: (options: faults.LookupOptions = {}) => engine.addrs(config, { timeout: 30_000, ...options }) };
  await faults.checkTimeoutAndAbort(t, target, {
    provider: 'consul',
    latencyMs: 10_000,
    timeoutMs: 500,
    below: { latencyMs: 100, found: ['172.16.0.1:4648', '10.0.0.2:4648', '10.0.0.3:4648'] },
  });
});

test('a connection refused names the operation', async (t) => {
  await t.throwsAsync(engine.discover('provider=consul service=nomad address=127.0.0.1:1'), {
    instanceOf: ProviderError,
    message: /^discover-consul: CatalogService failed: .*ECONNREFUSED/,
  });
});

test('a bad address is refused before any request', async (t) => {
  await t.throwsAsync(engine.discover('provider=consul service=nomad address=unix:///tmp/consul.sock'), {
    instanceOf: ProviderArgsError,
    message: /address "unix:\/\/\/tmp\/consul.sock" is not host:port or an http\(s\) URL/,
  });
});

test('the sim paste gives a working config', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [consulSim]);
  const paste = consulSim.paste?.(sim.ctx);
  t.is(paste?.config, `provider=consul service=nomad address=${sim.httpUrl}`);
  t.deepEqual(await engine.addrs(paste?.config ?? '', { env: { ...paste?.env, AUTOJOIN_LOOPBACK_ONLY: '1' } }), [
    '172.16.0.1:4648',
    '10.0.0.1:4647',
    '10.0.0.2:4648',
    '10.0.0.3:4648',
  ]);
});

test('retry join: a node booted before its peers joins once they register; the token never reaches the log', async (t) => {
  const sim = await startTestSim(t, fleet([svc('late-1', '10.0.7.1', { appear_after_ms: 600 }), svc('late-2', '10.0.7.2', { appear_after_ms: 600 })]), [
    consulSim,
  ]);
  const lines: string[] = [];
  const log = (level: string) => (message: string) => lines.push(`[${level}] ${message}`);
  const waits: number[] = [];
  const result = await retryJoin({
    entries: [`provider=consul service=nomad tag=serf address=${sim.httpUrl} token=${TOKEN}`],
    backoff: { initial: 100, max: 200 },
    onAttempt: (report) => {
      if (report.nextDelayMs !== undefined) waits.push(report.nextDelayMs);
    },
    discoverAddrs: (cfg, options) => engine.discover(cfg, options),
    checkEntry: (cfg, options) => engine.check(cfg, options),
    logger: { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR') },
    join: (addrs) => addrs.length,
  });
  t.deepEqual(result.addresses, ['10.0.7.1:4648', '10.0.7.2:4648']);
  t.true(result.attempts > 1);
  // Every wait was a backoff step (at most 200 ms + 50% jitter), not the 30 s interval.
  t.is(waits.length, result.attempts - 1);
  t.true(
    waits.every((wait) => wait <= 300),
    `waits ${waits.join(', ')} ms`,
  );
  t.true(lines[0]?.startsWith('[INFO] agent.joiner: starting retry join: servers="provider=consul'));
  t.true(lines[0]?.includes('token=***'));
  t.false(lines.join('\n').includes(TOKEN));
});
