/**
 * provider=packet: the retired service fails at once without any network call; with url= at the
 * simulator's API-compatible endpoint, every argument, every page, every fault, auth, the real
 * proxy, the CLI's outputs without the token, and the sample's shape against the simulator.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import packet, { ServiceRetiredError } from './index.js';
import packetSim, { API_NAME, BASE_PATH } from './sim.js';
import type { PacketInstance } from './sim-fleet.js';
import { Discover } from '../../src/discover.js';
import { ProviderArgsError, ProviderError } from '../../src/errors.js';
import type { HttpClient } from '../../src/http/types.js';
import type { Fleet } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { sampleProblems } from '../../test/helpers/wire-shape.js';
import { startPageGate } from '../../test/helpers/page-gate.js';
import * as faults from '../../test/helpers/provider-faults.js';
import { startTestSim } from '../../test/helpers/sim.js';

const engine = new Discover({ builtins: false, providers: [packet] });
const TOKEN = 'metal-sim-token-9c0ffee';
const PROJECT = '3b5ad8a4-1f6e-4d7a-9c1b-2f0e6a7d8c90';
const OTHER_PROJECT = '99999999-1f6e-4d7a-9c1b-2f0e6a7d8c90';
const env = (extra: Record<string, string | undefined> = {}) => ({ AUTOJOIN_LOOPBACK_ONLY: '1', ...extra });

function device(n: number, over: Partial<PacketInstance> = {}): PacketInstance {
  return {
    id: `metal-${n}`,
    cloud: 'packet',
    name: `nomad-${n}`,
    zone: 'ewr1',
    tags: { 'nomad-server': '' },
    private_ipv4: `10.0.${n >> 8}.${n & 255}`,
    public_ipv4: `203.0.113.${n & 255}`,
    public_ipv6: `2001:db8::${n.toString(16)}`,
    ...over,
  };
}

function fleet(instances: PacketInstance[], extra: Partial<Fleet> = {}): Fleet {
  return { credentials: { packet: { token: TOKEN, project: PROJECT } }, instances, ...extra };
}

const many = (count: number) => Array.from({ length: count }, (_, i) => device(i + 1));
const urlOf = (sim: { httpUrl: string }) => `${sim.httpUrl}${BASE_PATH}/`;
const cfg = (sim: { httpUrl: string }, rest = '') => `provider=packet project=${PROJECT} auth_token=${TOKEN} url=${urlOf(sim)} ${rest}`.trim();

// ---------------------------------------------------------------- the retired service

/** An HTTP client that records every request and never connects. */
function recordingHttp(): { http: HttpClient; requests: string[] } {
  const requests: string[] = [];
  const http = {
    request: async (url: string | URL) => {
      requests.push(String(url));
      throw new Error('no request may be made');
    },
    proxyFor: () => undefined,
    userAgent: 'test',
  } as unknown as HttpClient;
  return { http, requests };
}

const retiredConfigs = [
  `provider=packet project=${PROJECT} auth_token=${TOKEN}`,
  `provider=packet project=${PROJECT} auth_token=${TOKEN} url=https://api.equinix.com/metal/v1/`,
];
for (const config of retiredConfigs) {
  test(`the retired service fails at once, with no request: ${config.replace(TOKEN, '…')}`, async (t) => {
    const { http, requests } = recordingHttp();
    const error = await t.throwsAsync(engine.discover(config, { env: env(), http, timeout: '60s' }), { instanceOf: ServiceRetiredError, code: 'ERR_PROVIDER' });
    t.true(error instanceof ProviderError);
    t.regex(error?.message ?? '', /^discover-packet: ListDevices failed: ServiceRetired: Equinix Metal \(formerly Packet\) was shut down on 30 June 2026/);
    t.regex(error?.message ?? '', /set url= to an API-compatible endpoint/);
    t.false((error?.message ?? '').includes(TOKEN));
    t.deepEqual(requests, []);
  });
}

test('CLI: a go-discover packet config still passes check; addrs fails at once with the retirement error', async (t) => {
  const config = `provider=packet project=${PROJECT} auth_token=${TOKEN} address_type=public_v4 facility=ewr1,ams1 tag=a,b`;
  const check = await runDiscover(['check', config]);
  t.is(check.code, 0, check.stderr);
  t.true(check.stdout.includes('auth_token=***'), check.stdout);
  const addrs = await runDiscover(['addrs', config], { timeoutMs: 30_000 });
  t.is(addrs.code, 1, addrs.stderr);
  t.regex(addrs.stderr, /Equinix Metal \(formerly Packet\) was shut down on 30 June 2026/);
  for (const out of [check, addrs]) t.false(`${out.stdout}${out.stderr}`.includes(TOKEN));
});

// ---------------------------------------------------------------- an API-compatible endpoint

test('every page: 2,500 devices at 1,000 a page are 3 requests following meta.next', async (t) => {
  const sim = await startTestSim(t, fleet(many(2500)), [packetSim]);
  const addrs = await engine.addrs(cfg(sim), { env: env(), timeout: '60s' });
  t.is(addrs.length, 2500);
  t.deepEqual(sim.counts(), { [API_NAME]: 3 });
});

test('pages after the first are read 4 at a time (never more), planned from meta.last_page; every device in order', async (t) => {
  const sim = await startTestSim(t, fleet(many(45), { page_size: { [API_NAME]: 5 } }), [packetSim]);
  // Nine pages of five: the gate holds pages 2.. until four wait at once.
  const gate = await startPageGate(t, sim.httpUrl, { watch: (_, path) => path.includes('/devices?') && !/[?&]page=1(&|$)/.test(path), hold: 4 });
  t.deepEqual(
    await engine.addrs(cfg({ httpUrl: gate.url }), { env: env(), timeout: '20s' }),
    many(45).map((d) => d.private_ipv4),
  );
  t.true(gate.opened());
  t.is(gate.maxInFlight(), 4);
  t.deepEqual(sim.counts(), { [API_NAME]: 9 }, 'each page read once');
});

test('a smaller server page size (7) is read to the end', async (t) => {
  const sim = await startTestSim(t, fleet(many(30), { page_size: { [API_NAME]: 7 } }), [packetSim]);
  t.is((await engine.addrs(cfg(sim), { env: env() })).length, 30);
  t.deepEqual(sim.counts(), { [API_NAME]: 5 });
});

const estate = [
  device(1),
  device(2, { zone: 'ams1', state: 'inactive' }),
  device(3, { tags: { consul: '', other: '' } }),
  device(4, { project: OTHER_PROJECT }),
  device(5, { private_ipv4: undefined, extra_nics: [{ private_ipv4: '10.5.0.5' }, { private_ipv4: '10.5.1.5' }] }),
  device(6, { public_ipv4: undefined, public_ipv6: undefined, private_ipv4: undefined }),
];

const argCases: Array<[string, string, string[]]> = [
  ['defaults: private_v4 of every device, any state', '', ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.5.0.5', '10.5.1.5']],
  ['facility list', 'facility=ams1,sv15', ['10.0.0.2']],
  ['tag list: any of', 'tag=consul,nope', ['10.0.0.3']],
  ["address_type (go-discover's key) public_v4", 'address_type=public_v4', ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.5']],
  ['addr_type public_v6', 'addr_type=public_v6 facility=ewr1', ['2001:db8::1', '2001:db8::3', '2001:db8::5']],
];
for (const [name, rest, want] of argCases) {
  test(`arguments: ${name}`, async (t) => {
    const sim = await startTestSim(t, fleet(estate), [packetSim]);
    t.deepEqual(await engine.addrs(cfg(sim, rest), { env: env() }), want);
  });
}

test('another project; a device without the asked address is counted in the log', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [packetSim]);
  t.deepEqual(await engine.addrs(cfg(sim).replace(PROJECT, OTHER_PROJECT), { env: env() }), ['10.0.0.4']);
  const lines: string[] = [];
  const logger = { debug: (m: string) => lines.push(m), info: () => {}, warn: () => {}, error: () => {} };
  await engine.addrs(cfg(sim), { env: env(), logger });
  t.true(lines.includes('discover-packet: 1 device(s) without a private_v4 address skipped: nomad-6'), lines.join('\n'));
});

test('PACKET_PROJECT, PACKET_AUTH_TOKEN, PACKET_URL (go-discover); METAL_PROJECT_ID, METAL_AUTH_TOKEN (metal-cli)', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [packetSim]);
  t.deepEqual(await engine.addrs('provider=packet tag=consul', { env: env({ PACKET_PROJECT: PROJECT, PACKET_AUTH_TOKEN: TOKEN, PACKET_URL: urlOf(sim) }) }), [
    '10.0.0.3',
  ]);
  t.deepEqual(await engine.addrs(`provider=packet url=${urlOf(sim)}`, { env: env({ METAL_PROJECT_ID: OTHER_PROJECT, METAL_AUTH_TOKEN: TOKEN }) }), [
    '10.0.0.4',
  ]);
});

test('missing project and token are refused before any request, each named', async (t) => {
  const error = await t.throwsAsync(engine.discover('provider=packet address_type=private_v6', { env: env() }), { instanceOf: ProviderArgsError });
  t.regex(error?.message ?? '', /missing required argument "project" \(or set PACKET_PROJECT or METAL_PROJECT_ID\)/);
  t.regex(error?.message ?? '', /auth_token/);
  t.regex(error?.message ?? '', /"private_v6" is not one of private_v4, public_v4, public_v6/);
});

/** The sim (started by the caller) and the lookup of `config` against it, for the shared fault scenarios. */
function faulty(sim: RunningSim, config = cfg(sim)): faults.FaultTarget {
  return { sim, api: API_NAME, lookup: (options = {}) => engine.addrs(config, { ...options, env: env(options.env) }) };
}

test('a wrong token: 401, not retried, naming the settings and never the token', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [packetSim]);
  const wrong = 'wrong-metal-token-5151';
  await faults.checkCredentialRefused(t, faulty(sim, cfg(sim).replace(TOKEN, wrong)), [wrong], {
    instanceOf: ProviderError,
    message: 'discover-packet: ListDevices failed: 401: Invalid authentication token (the auth_token / PACKET_AUTH_TOKEN / METAL_AUTH_TOKEN was refused)',
  });
});

test('an unknown project: 404 Not found, not retried', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [packetSim]);
  const unknown = faulty(sim, cfg(sim).replace(PROJECT, '00000000-0000-4000-8000-000000000000'));
  await faults.checkFaultFails(t, unknown, undefined, {
    instanceOf: ProviderError,
    message: 'discover-packet: ListDevices failed: 404: Not found',
    attempts: 1,
  });
});

for (const error of ['throttle', 'server', 'unavailable'] as const) {
  test(`fault ${error} once: retried, every device found`, async (t) => {
    const found = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
    await faults.checkFaultRecovers(t, faulty(await startTestSim(t, fleet(many(3)), [packetSim])), { error, error_count: 1 }, { found, attempts: 2 });
  });
}

test('persistent throttling: a throttled ProviderError with the Retry-After wait', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(3)), [packetSim]));
  const throttled = { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', retryAfterMs: 1000, attempts: 4 };
  await faults.checkFaultFails(t, target, { error: 'throttle' }, throttled, { timeout: 20_000 });
});

test('resets are retried then named; auth_reject, malformed, truncated are errors, never a partial list', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(3)), [packetSim]));
  await faults.checkResetAndTruncated(t, target, 'discover-packet: ListDevices failed: ');
  await faults.checkFaultFails(t, target, { auth_reject: true }, { message: /401: Invalid authentication token/, attempts: 1 });
  await faults.checkFaultFails(t, target, { malformed: true }, { code: 'ERR_MALFORMED_RESPONSE', attempts: 1 }, { maxAttempts: 1 });
});

test('a later page failing fails the whole call', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(30), { page_size: { [API_NAME]: 10 } }), [packetSim]));
  // Page 1, then pages 2 and 3 at once: one is refused as throttled, read once more alone after
  // the other, refused again, and that ends the call.
  const limit = { rate_limit: { rps: 0.001, burst: 2 } };
  await faults.checkFaultFails(t, target, limit, { code: 'ERR_PROVIDER_THROTTLED', attempts: 4 }, { maxAttempts: 1 });
});

test('rate_limit: throttled pages are retried until every page is read', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(100), { page_size: { [API_NAME]: 20 } }), [packetSim]));
  await faults.checkRateLimit(t, target, { timeoutMs: 60_000, rps: 5, burst: 2, found: 100 });
});

test('latency past the timeout: a timeout, not a hang', async (t) => {
  await faults.checkTimeoutAndAbort(t, faulty(await startTestSim(t, fleet(many(3)), [packetSim])), { provider: 'packet', timeoutMs: 500, latencyMs: 30_000 });
});

test('HTTP_PROXY carries every request (tinyproxy log); NO_PROXY bypasses it', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(5)), [packetSim]));
  await faults.checkProxy(t, target, { secrets: [TOKEN], found: 5 });
});

test('CLI against the endpoint: addrs --format json and a refused token print no secret', async (t) => {
  const sim = await startTestSim(t, fleet(many(2)), [packetSim]);
  await faults.checkCliHidesSecrets(t, (argv, extra) => runDiscover(argv, { env: extra }), {
    addrs: { args: [cfg(sim)], addresses: ['10.0.0.1', '10.0.0.2'] },
    refused: { args: [cfg(sim).replace(TOKEN, 'wrong-token-zz9')], says: /401: Invalid authentication token/ },
    secrets: [TOKEN, 'wrong-token-zz9'],
  });
});

test('the sample and the simulator agree on every path the extractor and the pager read', async (t) => {
  const read = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
  const sample = read('devices.json');
  const sim = await startTestSim(t, fleet([device(1), device(2)]), [packetSim]);
  const served = await fetch(`${urlOf(sim)}projects/${PROJECT}/devices?include=facility&page=1&per_page=1`, { headers: { 'x-auth-token': TOKEN } });
  const body = await served.json();
  const paths = [
    'devices',
    'devices.id',
    'devices.hostname',
    'devices.state',
    'devices.tags',
    'devices.facility.code',
    'devices.ip_addresses',
    'devices.ip_addresses.address',
    'devices.ip_addresses.address_family',
    'devices.ip_addresses.public',
    'meta.next.href',
    'meta.current_page',
    'meta.last_page',
    'meta.total',
  ];
  t.deepEqual(sampleProblems(body, sample, { paths, objects: ['devices', 'devices.ip_addresses', 'meta'] }), []);
  const refused = await fetch(`${urlOf(sim)}projects/${PROJECT}/devices`, { headers: { 'x-auth-token': 'nope' } });
  t.is(refused.status, 401);
  t.deepEqual(await refused.json(), read('error-unauthorized.json'));
});

test("the vendor's recorded device list (packet-python's test fixture) and the simulator agree on every path read", async (t) => {
  const sample = JSON.parse(readFileSync(new URL('./fixtures/devices-packet-python.json', import.meta.url), 'utf8'));
  const sim = await startTestSim(t, fleet([device(1), device(2)]), [packetSim]);
  // One page holding both devices, as in the recording (its meta.next is null: the last page).
  const served = await fetch(`${urlOf(sim)}projects/${PROJECT}/devices?include=facility&page=1&per_page=10`, { headers: { 'x-auth-token': TOKEN } });
  const body = await served.json();
  const paths = [
    'devices',
    'devices.id',
    'devices.hostname',
    'devices.state',
    'devices.facility',
    'devices.facility.code',
    'devices.ip_addresses',
    'devices.ip_addresses.address',
    'devices.ip_addresses.address_family',
    'devices.ip_addresses.public',
    'meta',
    'meta.next',
    'meta.total',
  ];
  // The recorded devices are untagged: their tag lists are compared as lists.
  t.deepEqual(sampleProblems(body, sample, { paths, objects: ['devices.ip_addresses'], lists: ['devices.tags'] }), []);
  // Not the facility's keys: the 2016 recording was made by a staff account (`staff: true`), which saw internal ones.
  t.is(sample.meta.next, null);
  t.is(body.meta.next, null);
  // The extractor reads the recording as go-discover would have: private v4 of each device.
  const { extractTargets } = await import('./extract.js');
  t.deepEqual(
    extractTargets(sample.devices, { addrType: 'private_v4' }).targets.map((target: { address: string }) => target.address),
    ['10.100.1.1', '10.100.1.1'],
  );
});

test('the sim paste gives a working config', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [packetSim]);
  const paste = packetSim.paste?.(sim.ctx);
  t.is(paste?.config, `provider=packet project=${PROJECT} tag=nomad-server url=${urlOf(sim)}`);
  t.deepEqual(await engine.addrs(paste?.config ?? '', { env: env(paste?.env) }), ['10.0.0.1', '10.0.0.2', '10.5.0.5', '10.5.1.5']);
});
