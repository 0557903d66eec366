/**
 * provider=scaleway through the engine against the simulator's Instance API on 127.0.0.1: every
 * argument (go-discover's, with its legacy regions), every page, every fault, auth, the real proxy,
 * the CLI's outputs without the secret key, and the recorded sample's shape against the sim.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import scaleway from './index.js';
import scalewaySim, { API_NAME, IPAM_API_NAME } from './sim.js';
import type { ScalewayInstance } from './sim-fleet.js';
import { Discover } from '../../src/discover.js';
import { ProviderArgsError, ProviderError } from '../../src/errors.js';
import type { Fleet } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { sampleProblems } from '../../test/helpers/wire-shape.js';
import { startPageGate } from '../../test/helpers/page-gate.js';
import * as faults from '../../test/helpers/provider-faults.js';
import { startTestSim } from '../../test/helpers/sim.js';

const engine = new Discover({ builtins: false, providers: [scaleway] });
const SECRET = '7d2f9a4e-1b3c-4d5e-8f90-aabbccddeeff';
const ORG = '105bdce1-64c0-48ab-899d-868455867ecf';
const OTHER_ORG = '11111111-2222-4333-8444-555555555555';
const env = (extra: Record<string, string | undefined> = {}) => ({ AUTOJOIN_LOOPBACK_ONLY: '1', ...extra });

function server(n: number, over: Partial<ScalewayInstance> = {}): ScalewayInstance {
  return {
    id: `scw-${n}`,
    cloud: 'scaleway',
    name: `nomad-${n}`,
    zone: 'fr-par-1',
    tags: { 'nomad-server': '' },
    private_ipv4: `10.0.${n >> 8}.${n & 255}`,
    public_ipv4: `203.0.113.${n & 255}`,
    public_ipv6: `2001:db8::${n.toString(16)}`,
    ...over,
  };
}

function fleet(instances: ScalewayInstance[], extra: Partial<Fleet> = {}): Fleet {
  return { credentials: { scaleway: { secret_key: SECRET, organization: ORG } }, instances, ...extra };
}

const many = (count: number) => Array.from({ length: count }, (_, i) => server(i + 1));
const cfg = (sim: { httpUrl: string }, rest = '') => `provider=scaleway token=${SECRET} tag_name=nomad-server api_url=${sim.httpUrl} ${rest}`.trim();

test('every page: 250 servers at 100 a page are 3 requests, X-Total-Count read', async (t) => {
  const sim = await startTestSim(t, fleet(many(250)), [scalewaySim]);
  const addrs = await engine.addrs(cfg(sim), { env: env() });
  t.is(addrs.length, 250);
  t.is(new Set(addrs).size, 250);
  t.deepEqual(sim.counts(), { [API_NAME]: 3 });
});

test('pages after the first are read 4 at a time (never more), planned from X-Total-Count; every server in order', async (t) => {
  const sim = await startTestSim(t, fleet(many(45), { page_size: { [API_NAME]: 5 } }), [scalewaySim]);
  // Nine pages of five (the server serves 5 of the 100 asked): the gate holds pages 2.. until four wait at once.
  const watch = (_: string, path: string) => path.startsWith('/instance/v1/zones/') && !/[?&]page=1(&|$)/.test(path);
  const gate = await startPageGate(t, sim.httpUrl, { watch, hold: 4 });
  t.deepEqual(
    await engine.addrs(cfg({ httpUrl: gate.url }), { env: env(), timeout: '20s' }),
    many(45).map((s) => s.private_ipv4),
  );
  t.true(gate.opened());
  t.is(gate.maxInFlight(), 4);
  t.deepEqual(sim.counts(), { [API_NAME]: 9 }, 'each page read once');
});

test('a smaller server page size (9) is read to the end', async (t) => {
  const sim = await startTestSim(t, fleet(many(40), { page_size: { [API_NAME]: 9 } }), [scalewaySim]);
  t.is((await engine.addrs(cfg(sim), { env: env() })).length, 40);
  t.deepEqual(sim.counts(), { [API_NAME]: 5 });
});

const estate = [
  server(1),
  server(2, { zone: 'nl-ams-1' }),
  server(3, { zone: 'fr-par-2', state: 'stopped' }),
  server(4, { tags: { 'consul-server': '' } }),
  server(5, { organization: OTHER_ORG }),
  server(6, { private_ipv4: undefined, public_ipv6: undefined }),
];

const argCases: Array<[string, string, string[]]> = [
  ['the default region is par1 = fr-par-1 (any state, as go-discover)', '', ['10.0.0.1', '10.0.0.5']],
  ['region=ams1 is nl-ams-1', 'region=ams1', ['10.0.0.2']],
  ['region=fr-par-2: a stopped server is listed, as go-discover did', 'region=fr-par-2', ['10.0.0.3']],
  ['region=fr-par: every zone of the region', 'region=fr-par', ['10.0.0.1', '10.0.0.5', '10.0.0.3']],
  ['zone= is an alias, a list of zones in order', 'zone=nl-ams-1,par1', ['10.0.0.2', '10.0.0.1', '10.0.0.5']],
  ['organization filters', `organization=${ORG} region=fr-par`, ['10.0.0.1', '10.0.0.3']],
  ['public_v4', 'addr_type=public_v4', ['203.0.113.1', '203.0.113.5', '203.0.113.6']],
  ['public_v6', 'addr_type=public_v6', ['2001:db8::1', '2001:db8::5']],
];
for (const [name, rest, want] of argCases) {
  test(`arguments: ${name}`, async (t) => {
    const sim = await startTestSim(t, fleet(estate), [scalewaySim]);
    t.deepEqual(await engine.addrs(cfg(sim, rest), { env: env() }), want);
  });
}

test('tag_name selects the tag (another tag, another set)', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [scalewaySim]);
  t.deepEqual(await engine.addrs(`provider=scaleway token=${SECRET} tag_name=consul-server api_url=${sim.httpUrl}`, { env: env() }), ['10.0.0.4']);
});

test('a server without the asked address is skipped and counted in the log', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [scalewaySim]);
  const lines: string[] = [];
  const logger = { debug: (m: string) => lines.push(m), info: () => {}, warn: () => {}, error: () => {} };
  t.deepEqual(await engine.addrs(cfg(sim), { env: env(), logger }), ['10.0.0.1', '10.0.0.5']);
  t.true(lines.includes('discover-scaleway: 1 server(s) without a private_v4 address skipped: nomad-6'), lines.join('\n'));
});

test('SCW_SECRET_KEY, SCW_DEFAULT_ORGANIZATION_ID, SCW_DEFAULT_ZONE and SCW_API_URL, as the Scaleway CLI reads them', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [scalewaySim]);
  const vars = { SCW_SECRET_KEY: SECRET, SCW_DEFAULT_ORGANIZATION_ID: OTHER_ORG, SCW_DEFAULT_ZONE: 'fr-par-1', SCW_API_URL: sim.httpUrl };
  t.deepEqual(await engine.addrs('provider=scaleway tag_name=nomad-server', { env: env(vars) }), ['10.0.0.5']);
  t.deepEqual(await engine.addrs('provider=scaleway tag_name=nomad-server region=ams1', { env: env({ ...vars, SCW_DEFAULT_ORGANIZATION_ID: undefined }) }), [
    '10.0.0.2',
  ]);
});

test('bad arguments are refused before any request, each named', async (t) => {
  const missing = await t.throwsAsync(engine.discover('provider=scaleway addr_type=vpc_v4', { env: env() }), { instanceOf: ProviderArgsError });
  t.regex(missing?.message ?? '', /addr_type: "vpc_v4" is not one of private_v4, public_v4, public_v6, private_v6/);
  t.regex(missing?.message ?? '', /missing required argument "token" \(or set SCW_SECRET_KEY\)/);
  t.regex(missing?.message ?? '', /missing required argument "tag_name"/);
  const error = await t.throwsAsync(
    engine.discover(`provider=scaleway token=${SECRET} tag_name=x region=par2,fr-par-1 organization=SCWABCDEFGHIJKLMNOPQ`, { env: env() }),
    { instanceOf: ProviderArgsError },
  );
  t.regex(error?.message ?? '', /region "par2" is not a Scaleway zone or region/);
  t.regex(error?.message ?? '', /organization "SCWABCDEFGHIJKLMNOPQ" is not an organization ID .*IAM access key/);
  t.false((error?.message ?? '').includes(SECRET));
});

/** The sim (started by the caller) and the lookup of `config` against it, for the shared fault scenarios. */
function faulty(sim: RunningSim, config = cfg(sim), api = API_NAME, others: Record<string, number> = {}): faults.FaultTarget {
  return { sim, api, others, lookup: (options = {}) => engine.addrs(config, { ...options, env: env(options.env) }) };
}

test('a wrong secret key: 401 denied_authentication, not retried, never the key', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [scalewaySim]);
  const wrong = 'aaaaaaaa-0000-4000-8000-wrongwrong00';
  await faults.checkCredentialRefused(t, faulty(sim, cfg(sim).replace(SECRET, wrong)), [wrong], {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: 'discover-scaleway: ListServers failed: 401 denied_authentication: fr-par-1: authentication is denied (the token / SCW_SECRET_KEY was refused)',
  });
});

for (const error of ['throttle', 'server', 'unavailable'] as const) {
  test(`fault ${error} once: retried, every server found`, async (t) => {
    const target = faulty(await startTestSim(t, fleet(many(3)), [scalewaySim]));
    await faults.checkFaultRecovers(t, target, { error, error_count: 1 }, { found: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], attempts: 2 });
  });
}

test('persistent throttling: a throttled ProviderError with the Retry-After wait', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(3)), [scalewaySim]));
  const throttled = { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', retryAfterMs: 1000, cloudCode: 'too_many_requests', attempts: 4 };
  await faults.checkFaultFails(t, target, { error: 'throttle' }, throttled, { timeout: 20_000 });
});

test('connection resets: retried, then a ProviderError naming the cause', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(3)), [scalewaySim]));
  await faults.checkResetAndTruncated(t, target, 'discover-scaleway: ListServers failed: fr-par-1: ');
});

test('auth_reject, malformed and truncated answers are errors, never a partial list', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(3)), [scalewaySim]));
  await faults.checkFaultFails(t, target, { auth_reject: true }, { instanceOf: ProviderError, message: /401 denied_authentication/, attempts: 1 });
  await faults.checkFaultFails(t, target, { malformed: true }, { code: 'ERR_MALFORMED_RESPONSE', attempts: 1 }, { maxAttempts: 1 });
  const truncated = { instanceOf: ProviderError, code: 'ERR_PROVIDER', message: new RegExp(faults.TRUNCATED_CAUSE), attempts: 1 };
  await faults.checkFaultFails(t, target, { truncated: true }, truncated, { maxAttempts: 1 });
});

test('a later page or zone failing fails the whole call', async (t) => {
  const sim = await startTestSim(t, fleet([...many(150), server(900, { zone: 'nl-ams-1' })]), [scalewaySim]);
  const limit = { rate_limit: { rps: 0.001, burst: 2 } };
  await faults.checkFaultFails(t, faulty(sim, cfg(sim, 'region=par1,ams1')), limit, { code: 'ERR_PROVIDER_THROTTLED', attempts: 3 }, { maxAttempts: 1 });
});

test('rate_limit: throttled pages are retried until every page is read', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(100), { page_size: { [API_NAME]: 20 } }), [scalewaySim]));
  await faults.checkRateLimit(t, target, { rps: 5, burst: 2, found: 100, timeoutMs: 60_000 });
});

test('latency past the timeout: a timeout, not a hang', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(3)), [scalewaySim]));
  await faults.checkTimeoutAndAbort(t, target, { provider: 'scaleway', latencyMs: 30_000, timeoutMs: 500 });
});

test('HTTP_PROXY carries every request (tinyproxy log); NO_PROXY bypasses it', async (t) => {
  await faults.checkProxy(t, faulty(await startTestSim(t, fleet(many(5)), [scalewaySim])), { found: 5, secrets: [SECRET] });
});

test('CLI: check, addrs --format json and a refused key print no secret', async (t) => {
  const sim = await startTestSim(t, fleet(many(2)), [scalewaySim]);
  const args = [cfg(sim)];
  await faults.checkCliHidesSecrets(t, (argv, extra) => runDiscover(argv, { env: extra }), {
    secrets: [SECRET, 'wrong-secret-key-123'],
    check: { args, shows: 'token=***' },
    addrs: { args, addresses: ['10.0.0.1', '10.0.0.2'] },
    refused: { args: [cfg(sim).replace(SECRET, 'wrong-secret-key-123')], says: /401 denied_authentication/ },
  });
});

test('the recorded sample and the simulator agree on every path the extractor reads', async (t) => {
  const read = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
  const sample = read('servers.json');
  const sim = await startTestSim(t, fleet([server(1, { private_ipv4: undefined, public_ipv4: undefined, public_ipv6: undefined }), server(2)]), [scalewaySim]);
  const served = await fetch(`${sim.httpUrl}/instance/v1/zones/fr-par-1/servers?per_page=1`, { headers: { 'x-auth-token': SECRET } });
  const body = await served.json();
  const paths = [
    'servers',
    'servers.id',
    'servers.name',
    'servers.zone',
    'servers.state',
    'servers.private_ip',
    'servers.public_ip',
    'servers.public_ips',
    'servers.ipv6',
  ];
  // The recorded server is untagged: its tag list is compared as a list.
  t.deepEqual(sampleProblems(body, sample, { paths, objects: ['servers'], lists: ['servers.tags'] }), []);
  t.is(served.headers.get('x-total-count'), '2');
  t.regex(served.headers.get('link') ?? '', /rel="next"/);
  // A server with addresses: each public_ips entry has the SDK's ServerIP shape.
  const second = await (await fetch(`${sim.httpUrl}/instance/v1/zones/fr-par-1/servers?per_page=1&page=2`, { headers: { 'x-auth-token': SECRET } })).json();
  const ip = read('server-ip.json');
  t.deepEqual(sampleProblems(second.servers[0].public_ips, ip, { paths: ['address', 'family', 'state', 'id'], objects: [''] }), []);
  const refused = await fetch(`${sim.httpUrl}/instance/v1/zones/fr-par-1/servers`, { headers: { 'x-auth-token': 'nope' } });
  t.is(refused.status, 401);
  t.deepEqual(await refused.json(), read('error-denied-authentication.json'));
});

/** A routed-IP server: no legacy private_ip, its Private Network addresses in IPAM (one private NIC). */
function routed(n: number, over: Partial<ScalewayInstance> = {}): ScalewayInstance {
  return server(n, {
    private_ipv4: undefined,
    extra_nics: [{ private_ipv4: `10.1.${n >> 8}.${n & 255}`, private_ipv6: `fd5f:519c::${n.toString(16)}` }],
    ...over,
  });
}

test('routed-IP servers: private_v4 and private_v6 from IPAM, one listing per region, legacy private_ip kept', async (t) => {
  const sim = await startTestSim(t, fleet([server(1), routed(2), routed(3, { zone: 'fr-par-2' }), server(4, { private_ipv4: undefined })]), [scalewaySim]);
  const lines: string[] = [];
  const logger = { debug: (m: string) => lines.push(m), info: () => {}, warn: () => {}, error: () => {} };
  t.deepEqual(await engine.addrs(cfg(sim, 'region=fr-par'), { env: env(), logger }), ['10.0.0.1', '10.1.0.2', '10.1.0.3']);
  // Three zones of servers, one IPAM listing for their one region.
  t.deepEqual(sim.counts(), { [API_NAME]: 3, [IPAM_API_NAME]: 1 });
  t.true(
    lines.includes('discover-scaleway: GET /ipam/v1/regions/fr-par/ips?resource_type=instance_private_nic&is_ipv6=false&page=1&page_size=100'),
    lines.join('\n'),
  );
  t.true(lines.includes('discover-scaleway: 1 server(s) without a private_v4 address skipped: nomad-4'), lines.join('\n'));
  sim.resetCounts();
  t.deepEqual(await engine.addrs(cfg(sim, 'region=fr-par addr_type=private_v6'), { env: env() }), ['fd5f:519c::2', 'fd5f:519c::3']);
  t.deepEqual(sim.counts(), { [API_NAME]: 3, [IPAM_API_NAME]: 1 });
});

test('IPAM is not asked when no tagged server needs it', async (t) => {
  const sim = await startTestSim(t, fleet([server(1), server(2), routed(3, { tags: { other: '' } })]), [scalewaySim]);
  t.deepEqual(await engine.addrs(cfg(sim), { env: env() }), ['10.0.0.1', '10.0.0.2']);
  t.deepEqual(await engine.addrs(cfg(sim, 'addr_type=public_v4'), { env: env() }), ['203.0.113.1', '203.0.113.2']);
  t.deepEqual(sim.counts(), { [API_NAME]: 2 });
});

test('IPAM: every page of every region; organization becomes organization_id', async (t) => {
  const estate = [...Array.from({ length: 130 }, (_, i) => routed(i + 1)), routed(500, { zone: 'nl-ams-1' }), routed(501, { organization: OTHER_ORG })];
  const sim = await startTestSim(t, fleet(estate, { page_size: { [IPAM_API_NAME]: 40 } }), [scalewaySim]);
  const addrs = await engine.addrs(cfg(sim, 'region=par1,ams1'), { env: env() });
  t.is(addrs.length, 132);
  t.true(addrs.includes('10.1.1.244') && addrs.includes('10.1.1.245'));
  // 132 fr-par NIC addresses at 40 a page: 4 pages; nl-ams: 1.
  t.deepEqual(sim.counts(), { [API_NAME]: 3, [IPAM_API_NAME]: 5 });
  sim.resetCounts();
  const mine = await engine.addrs(cfg(sim, `region=par1 organization=${ORG}`), { env: env() });
  t.is(mine.length, 130);
  t.deepEqual(sim.counts(), { [API_NAME]: 2, [IPAM_API_NAME]: 4 });
});

test('IPAM pages after the first are read at once (three here), planned from total_count', async (t) => {
  const estate = Array.from({ length: 130 }, (_, i) => routed(i + 1));
  const sim = await startTestSim(t, fleet(estate, { page_size: { [IPAM_API_NAME]: 40 } }), [scalewaySim]);
  // 130 NIC addresses at 40 a page: the gate holds pages 2, 3 and 4 until all three wait at once.
  const gate = await startPageGate(t, sim.httpUrl, { watch: (_, path) => path.startsWith('/ipam/') && !/[?&]page=1(&|$)/.test(path), hold: 3 });
  const addrs = await engine.addrs(cfg({ httpUrl: gate.url }), { env: env(), timeout: '20s' });
  t.is(addrs.length, 130);
  t.true(gate.opened());
  t.is(gate.maxInFlight(), 3);
  t.deepEqual(sim.counts(), { [API_NAME]: 2, [IPAM_API_NAME]: 4 }, 'each page read once');
});

test('IPAM faults: retried when transient; a refusal names ListIPs; malformed is an error, never a partial list', async (t) => {
  const sim = await startTestSim(t, fleet([routed(1), routed(2)]), [scalewaySim]);
  // Each lookup lists the servers once, then their Private Network addresses in IPAM.
  const ipam = faulty(sim, cfg(sim), IPAM_API_NAME, { [API_NAME]: 1 });
  await faults.checkFaultRecovers(t, ipam, { error: 'throttle', error_count: 1 }, { found: ['10.1.0.1', '10.1.0.2'], attempts: 2 });
  await faults.checkFaultFails(
    t,
    ipam,
    { auth_reject: true },
    {
      instanceOf: ProviderError,
      message: 'discover-scaleway: ListIPs failed: 401 denied_authentication: fr-par: authentication is denied (the token / SCW_SECRET_KEY was refused)',
      attempts: 1,
    },
  );
  await faults.checkFaultFails(t, ipam, { malformed: true }, { code: 'ERR_MALFORMED_RESPONSE', attempts: 1 }, { maxAttempts: 1 });
  await faults.checkResetAndTruncated(t, ipam, 'discover-scaleway: ListIPs failed: ');
});

test('the recorded IPAM answer and routed server agree with the simulator on every path read', async (t) => {
  const read = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
  const sim = await startTestSim(t, fleet([routed(1)]), [scalewaySim]);
  const headers = { 'x-auth-token': SECRET };
  const ips = await (await fetch(`${sim.httpUrl}/ipam/v1/regions/fr-par/ips?resource_type=instance_private_nic`, { headers })).json();
  const sample = read('ipam-ips.json');
  const paths = ['ips', 'total_count', 'ips.id', 'ips.address', 'ips.is_ipv6', 'ips.resource', 'ips.resource.id', 'ips.resource.type'];
  t.deepEqual(sampleProblems(ips, sample, { paths, objects: ['ips', 'ips.resource'] }), []);
  // The recorded server's private_nics against the simulator's.
  const recorded = { servers: [read('server-routed-private-nic.json').server] };
  const servers = await (await fetch(`${sim.httpUrl}/instance/v1/zones/fr-par-1/servers`, { headers })).json();
  t.deepEqual(
    sampleProblems(servers, recorded, { paths: ['servers.private_ip', 'servers.private_nics', 'servers.private_nics.id'], objects: ['servers.private_nics'] }),
    [],
  );
  // The join the extractor makes holds in the served data, as in the recording.
  t.is(ips.ips[0].resource.id, servers.servers[0].private_nics[0].id);
  t.deepEqual(servers.servers[0].private_nics[0].ipam_ip_ids.sort(), ips.ips.map((ip: { id: string }) => ip.id).sort());
  const refused = await fetch(`${sim.httpUrl}/ipam/v1/regions/fr-par/ips`, { headers: { 'x-auth-token': 'nope' } });
  t.is(refused.status, 401);
  t.deepEqual(await refused.json(), read('error-denied-authentication.json'));
  t.is((await fetch(`${sim.httpUrl}/ipam/v1/regions/fr-par/ips?page_size=101`, { headers })).status, 400);
});

test('the sim paste gives a working config', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [scalewaySim]);
  const paste = scalewaySim.paste?.(sim.ctx);
  t.is(paste?.config, `provider=scaleway tag_name=nomad-server region=fr-par-1,nl-ams-1,fr-par-2 api_url=${sim.httpUrl}`);
  t.deepEqual(await engine.addrs(paste?.config ?? '', { env: env(paste?.env) }), ['10.0.0.1', '10.0.0.5', '10.0.0.2', '10.0.0.3']);
});
