/**
 * provider=linode: the pure extractor and the simulator's X-Filter as tables, the simulator's wire
 * format against the recorded samples, then the provider through the engine against the
 * simulator on 127.0.0.1: every argument and address type, every page, the IPs call only when
 * needed, every fault, auth refusal, tinyproxy, and secrets kept out of every output.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { classify, throttleWaitMs } from './client.js';
import {
  addressFromIps,
  addressFromList,
  type InstanceIps,
  type InstancePage,
  instanceFilter,
  isPrivateV4,
  LINODE_ADDRESS_TYPES,
  type LinodeInstance,
  malformedIps,
  malformedPage,
  needsIpsCall,
} from './extract.js';
import linode from './index.js';
import linodeSim, { API_NAME, matchesFilter } from './sim.js';
import type { LinodeFleetInstance } from './sim-fleet.js';
import { Discover } from '../../src/discover.js';
import { MalformedResponseError, ProviderArgsError, ProviderError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/index.js';
import type { Logger } from '../../src/log.js';
import type { Fleet } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { shapeOf, typeDifferences } from '../../test/helpers/wire-shape.js';
import { startPageGate } from '../../test/helpers/page-gate.js';
import * as faults from '../../test/helpers/provider-faults.js';
import { startTestSim } from '../../test/helpers/sim.js';

const engine = new Discover({ builtins: false, providers: [linode] });
const TOKEN = 'linode-sim-token-0001';
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as unknown;

// ---------------------------------------------------------------- pure

const listed: LinodeInstance = { id: 1, label: 'a', region: 'us-east', status: 'running', ipv4: ['198.51.100.1', '192.168.130.5'], ipv6: '2001:db8::1/128' };

test('addressFromList: private and public v4 told apart, the SLAAC address without its prefix length', (t) => {
  t.is(addressFromList(listed, 'private_v4'), '192.168.130.5');
  t.is(addressFromList(listed, 'public_v4'), '198.51.100.1');
  t.is(addressFromList(listed, 'public_v6'), '2001:db8::1');
  t.is(addressFromList({ id: 2, ipv4: ['198.51.100.2'], ipv6: null }, 'private_v4'), undefined);
  t.is(addressFromList({ id: 2, ipv4: [], ipv6: null }, 'public_v6'), undefined);
});

test('addressFromIps: the first of each list, as go-discover; null entries skipped', (t) => {
  const ips = fixture('instance-ips.json') as InstanceIps;
  t.is(addressFromIps(ips, 'private_v4'), '192.168.133.234');
  t.is(addressFromIps(ips, 'public_v4'), '97.107.143.141');
  t.is(addressFromIps(ips, 'vpc_v4'), '10.0.0.2');
  t.is(addressFromIps(ips, 'public_v6'), '2600:3c03::f03c:91ff:fe24:3a2f');
  t.is(addressFromIps(ips, 'private_v6'), 'fe80::f03c:91ff:fe24:3a2f');
  t.is(addressFromIps({ ipv4: { vpc: [{ address: null }] }, ipv6: { slaac: null, link_local: null } }, 'vpc_v4'), undefined);
  t.is(addressFromIps({ ipv4: null, ipv6: null }, 'private_v6'), undefined);
});

test('needsIpsCall: only the types the list body lacks', (t) => {
  t.deepEqual(
    LINODE_ADDRESS_TYPES.filter((type) => needsIpsCall(type)),
    ['vpc_v4', 'private_v6'],
  );
});

const filterCases: Array<[string | undefined, string | undefined, string | undefined]> = [
  [undefined, undefined, undefined],
  ['us-east', undefined, '{"region":"us-east"}'],
  [undefined, 'consul', '{"tags":"consul"}'],
  ['us-east', 'consul', '{"region":"us-east","tags":"consul"}'],
];
for (const [region, tag, expect] of filterCases) {
  test(`instanceFilter(${region}, ${tag})`, (t) => {
    t.is(instanceFilter(region, tag), expect);
  });
}

test('isPrivateV4', (t) => {
  t.deepEqual(['192.168.128.1', '10.1.2.3', '172.20.0.1', '172.32.0.1', '198.51.100.1'].map(isPrivateV4), [true, true, true, false, false]);
});

test('malformedPage / malformedIps', (t) => {
  t.is(malformedPage(fixture('instances-list.json')), undefined);
  t.is(malformedPage({ data: [] }), 'the response has no "page"/"pages" numbers');
  t.is(malformedPage({ data: [{}], page: 1, pages: 1 }), 'data[0] has no numeric id');
  t.is(malformedPage([]), 'the response is not a JSON object');
  t.is(malformedIps(fixture('instance-ips.json')), undefined);
  t.is(malformedIps({ ipv4: {} }), 'the response has no "ipv4"/"ipv6" objects');
});

test('throttleWaitMs and classify: Retry-After, X-RateLimit-Reset once spent; busy retried, maintenance not', (t) => {
  t.is(throttleWaitMs({ 'retry-after': '2' }, 0), 2000);
  t.is(throttleWaitMs({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '10' }, 4000), 6000);
  t.is(throttleWaitMs({ 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': '10' }, 4000), undefined);
  t.true(classify(new ProviderError('linode', 'Linode busy.', { operation: 'x', status: 400, cloudCode: 'busy' })).retry);
  t.false(classify(new ProviderError('linode', 'maintenance', { operation: 'x', status: 503, cloudCode: 'maintenance' })).retry);
  t.true(classify(new ProviderError('linode', 'x', { operation: 'x', status: 503 })).retry);
  t.false(classify(new ProviderError('linode', 'Invalid Token', { operation: 'x', status: 401 })).retry);
});

test('simulator X-Filter: plain keys AND, tags by membership, +or, +neq, unknown fields refused', (t) => {
  const body = { id: 5, region: 'us-east', tags: ['a', 'b'], label: 'x', status: 'running' };
  t.true(matchesFilter(body, { region: 'us-east', tags: 'b' }));
  t.false(matchesFilter(body, { region: 'us-east', tags: 'c' }));
  t.true(matchesFilter(body, { '+or': [{ region: 'eu-west' }, { label: 'x' }] }));
  t.false(matchesFilter(body, { status: { '+neq': 'running' } }));
  t.throws(() => matchesFilter(body, { ipv4: '1.2.3.4' }), { message: 'Cannot filter on ipv4' });
});

// ---------------------------------------------------------------- against the simulator

function node(i: number, over: Partial<LinodeFleetInstance> = {}): LinodeFleetInstance {
  return {
    id: String(5000 + i),
    cloud: 'linode',
    name: `consul-${i}`,
    region: 'us-east',
    tags: { consul: '' },
    private_ipv4: `192.168.140.${i}`,
    public_ipv4: `198.51.100.${i}`,
    vpc_ipv4: `10.5.0.${i}`,
    ...over,
  };
}

/** 7 tagged in us-east (2 without a private v4, 1 with v6 and link-local), 2 in eu-west (one stopped), 3 untagged. */
function fleet(pageSize?: number): Fleet {
  const instances = [1, 2, 3, 4, 5, 6, 7].map((i) => node(i));
  instances[1] = node(2, { private_ipv4: undefined, vpc_ipv4: undefined });
  instances[2] = node(3, { public_ipv6: '2001:db8:5::3', private_ipv6: 'fe80::3' });
  instances[3] = node(4, { private_ipv4: undefined });
  instances.push(node(8, { region: 'eu-west' }), node(9, { region: 'eu-west', state: 'stopped', tags: { consul: '', env: 'prod' } }));
  for (const i of [20, 21, 22]) instances.push(node(i, { tags: { web: '' } }));
  return { credentials: { linode: { token: TOKEN } }, instances, ...(pageSize ? { page_size: { [API_NAME]: pageSize } } : {}) };
}
const PRIVATE = ['192.168.140.1', '192.168.140.3', '192.168.140.5', '192.168.140.6', '192.168.140.7', '192.168.140.8', '192.168.140.9'];

function collect(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (line: string) => lines.push(line);
  return { lines, logger: { debug: push, info: push, warn: push, error: push } };
}

const addrs = faults.engineLookup(engine, { AUTOJOIN_LOOPBACK_ONLY: '1' });
const cfg = (sim: RunningSim, extra = '') => `provider=linode tag_name=consul api_token=${TOKEN} url=${sim.httpUrl}${extra ? ` ${extra}` : ''}`;

/** Requests seen by the sim, split into list pages and IPs calls (counted by a wrapping module). */
function countingSim() {
  const seen = { list: 0, ips: 0, filters: [] as string[] };
  const module = {
    ...linodeSim,
    apis: linodeSim.apis.map((api) => ({
      ...api,
      handle(req: Parameters<typeof api.handle>[0], ctx: Parameters<typeof api.handle>[1]) {
        if (req.url.pathname.endsWith('/ips')) seen.ips++;
        else {
          seen.list++;
          seen.filters.push(String(req.headers['x-filter'] ?? ''));
        }
        return api.handle(req, ctx);
      },
    })),
  };
  return { seen, module };
}

test('every page (3 a page), the X-Filter sent, private v4 from the list body: no IPs call; skipped said in the log', async (t) => {
  const { seen, module } = countingSim();
  const sim = await startTestSim(t, fleet(3), [module]);
  const log = collect();
  t.deepEqual(await addrs(cfg(sim), { logger: log.logger }), PRIVATE);
  t.is(seen.list, 3);
  t.is(seen.ips, 0);
  t.deepEqual(seen.filters, ['{"tags":"consul"}', '{"tags":"consul"}', '{"tags":"consul"}']);
  t.true(log.lines.includes('discover-linode: skipped instance consul-2 (5002): no private_v4 address'), log.lines.join('\n'));
  t.true(log.lines.includes('discover-linode: 7 instance(s), 2 skipped'), log.lines.join('\n'));
});

test('pages after the first are read 4 at a time (never more), planned from pages; every instance in order', async (t) => {
  const { seen, module } = countingSim();
  const sim = await startTestSim(t, fleet(1), [module]);
  // Nine pages of one: the gate holds pages 2.. until four wait at once.
  const gate = await startPageGate(t, sim.httpUrl, { watch: (_, path) => /\/linode\/instances\?/.test(path) && !/[?&]page=1(&|$)/.test(path), hold: 4 });
  t.deepEqual(await addrs(`provider=linode tag_name=consul api_token=${TOKEN} url=${gate.url}`, { timeout: 20_000 }), PRIVATE);
  t.true(gate.opened());
  t.is(gate.maxInFlight(), 4);
  t.is(seen.list, 9, 'each page read once');
});

test('region and tag together (the server ANDs them); a namespaced tag; no tag: every instance', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  t.deepEqual(await addrs(cfg(sim, 'region=eu-west')), ['192.168.140.8', '192.168.140.9']);
  t.deepEqual(await addrs(`provider=linode tag_name=env:prod api_token=${TOKEN} url=${sim.httpUrl}`), ['192.168.140.9']);
  t.is((await addrs(`provider=linode api_token=${TOKEN} url=${sim.httpUrl}`)).length, 7 + 3);
});

test('public_v4 and public_v6 from the list body; vpc_v4 and private_v6 through one IPs call per instance', async (t) => {
  const { seen, module } = countingSim();
  const sim = await startTestSim(t, fleet(), [module]);
  t.deepEqual(await addrs(cfg(sim, 'address_type=public_v4 region=us-east')), [
    '198.51.100.1',
    '198.51.100.2',
    '198.51.100.3',
    '198.51.100.4',
    '198.51.100.5',
    '198.51.100.6',
    '198.51.100.7',
  ]);
  t.deepEqual(await addrs(cfg(sim, 'address_type=public_v6')), ['2001:db8:5::3']);
  t.is(seen.ips, 0);
  t.deepEqual(await addrs(cfg(sim, 'address_type=vpc_v4 region=us-east')), ['10.5.0.1', '10.5.0.3', '10.5.0.4', '10.5.0.5', '10.5.0.6', '10.5.0.7']);
  t.is(seen.ips, 7);
  t.deepEqual(await addrs(cfg(sim, 'address_type=private_v6')), ['fe80::3']);
  t.is(seen.ips, 7 + 9);
});

test('address_type is strict: an unknown value is a config error (go-discover silently used private_v4)', async (t) => {
  await t.throwsAsync(addrs('provider=linode api_token=t address_type=ipv6'), { instanceOf: ProviderArgsError, message: /address_type/ });
});

test('api_token from LINODE_TOKEN, else LINODE_CLI_TOKEN; url from LINODE_URL; LINODE_API_VERSION', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  const expect = ['192.168.140.8', '192.168.140.9'];
  t.deepEqual(await addrs('provider=linode tag_name=consul region=eu-west', { env: { LINODE_TOKEN: TOKEN, LINODE_URL: sim.httpUrl } }), expect);
  t.deepEqual(
    await addrs('provider=linode tag_name=consul region=eu-west', { env: { LINODE_CLI_TOKEN: TOKEN, LINODE_URL: sim.httpUrl, LINODE_API_VERSION: 'v4beta' } }),
    expect,
  );
  await t.throwsAsync(addrs('provider=linode tag_name=consul', { env: { LINODE_TOKEN: TOKEN, LINODE_URL: sim.httpUrl, LINODE_API_VERSION: 'v3' } }), {
    instanceOf: ProviderError,
    message: /404/,
  });
});

test('no token anywhere: a config error naming api_token', async (t) => {
  await t.throwsAsync(addrs('provider=linode tag_name=consul'), { instanceOf: ProviderArgsError, message: /api_token/ });
});

/** The sim (started by the caller) and the lookup of `config` against it, for the shared fault scenarios. */
const faulty = (sim: RunningSim, config = cfg(sim)): faults.FaultTarget => ({ sim, api: API_NAME, lookup: (options) => addrs(config, options) });
const VPC = ['10.5.0.1', '10.5.0.3', '10.5.0.4', '10.5.0.5', '10.5.0.6', '10.5.0.7'];

test('a wrong token: 401 Invalid Token, one attempt, never the token in the error', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  const wrong = 'linode-wrong-secret-value';
  const refused = 'discover-linode: ListInstances failed: 401: Invalid Token (check api_token / LINODE_TOKEN)';
  await faults.checkCredentialRefused(t, faulty(sim, cfg(sim).replace(TOKEN, wrong)), [wrong], { instanceOf: ProviderError, message: refused });
});

test('auth_reject fault on the IPs calls: a typed error naming the instance, not retried, no partial list', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  const target = faulty(sim, cfg(sim, 'address_type=vpc_v4'));
  await faults.checkFaultFails(t, target, { auth_reject: true }, { instanceOf: ProviderError, message: /401: Invalid Token/, attempts: 1 });
});

test('throttled (429, Retry-After: 1) once, then success: the wait is honoured, every page read', async (t) => {
  const target = faulty(await startTestSim(t, fleet(3), [linodeSim]));
  await faults.checkFaultRecovers(t, target, { error: 'throttle', error_count: 1 }, { found: PRIVATE, attempts: 4, waitsMs: 950 });
});

test('throttled every time: a typed throttling error, never a partial list', async (t) => {
  const target = faulty(await startTestSim(t, fleet(3), [linodeSim]));
  const throttled = { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', message: /429: Too many requests/, attempts: 2 };
  await faults.checkFaultFails(t, target, { error: 'throttle' }, throttled, { maxAttempts: 2 });
});

test('500 once then success; 503 every time: 4 attempts then a ProviderError with the status', async (t) => {
  const target = faulty(await startTestSim(t, fleet(), [linodeSim]));
  await faults.checkFaultRecovers(t, target, { error: 'server', error_count: 1 }, { found: PRIVATE, attempts: 2 });
  const unavailable = 'discover-linode: ListInstances failed: 503: Service unavailable';
  await faults.checkFaultFails(t, target, { error: 'unavailable' }, { instanceOf: ProviderError, message: unavailable, status: 503, attempts: 4 });
});

test('a reset connection and a truncated body are retried, then reported', async (t) => {
  await faults.checkResetAndTruncated(t, faulty(await startTestSim(t, fleet(), [linodeSim])), 'discover-linode: ListInstances failed: ');
});

test('a malformed body (list or IPs call) is an error, never a partial list', async (t) => {
  const sim = await startTestSim(t, fleet(3), [linodeSim]);
  for (const extra of ['', 'address_type=vpc_v4']) {
    await faults.checkFaultFails(t, faulty(sim, cfg(sim, extra)), { malformed: true }, { instanceOf: MalformedResponseError, attempts: 1 });
  }
});

test('latency below the timeout: success; above it: TimeoutError', async (t) => {
  const below = { latencyMs: 100, found: PRIVATE };
  await faults.checkTimeoutAndAbort(t, faulty(await startTestSim(t, fleet(), [linodeSim])), { provider: 'linode', latencyMs: 10_000, timeoutMs: 500, below });
});

test.serial('a rate limit (token bucket) throttles the IPs calls; every instance still found', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  const target = faulty(sim, cfg(sim, 'address_type=vpc_v4 region=us-east'));
  await faults.checkRateLimit(t, target, { rps: 5, burst: 2, found: VPC, throttledPast: 8 });
});

test('an instance that appears later is found once it exists', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  await faults.checkAppearsLater(t, faulty(sim), node(30), { before: PRIVATE, after: [...PRIVATE, '192.168.140.30'] });
});

test('HTTP_PROXY carries the calls (tinyproxy log); NO_PROXY bypasses it', async (t) => {
  await faults.checkProxy(t, faulty(await startTestSim(t, fleet(3), [linodeSim])), { found: PRIVATE, secrets: [TOKEN] });
});

const INSTANCE_PATHS = ['id', 'label', 'region', 'status', 'tags', 'ipv4', 'ipv6'];
const IPS_PATHS = ['ipv4.private.address', 'ipv4.public.address', 'ipv4.vpc.address', 'ipv6.slaac.address', 'ipv6.link_local.address'];

test("the simulator serves the recorded samples' shape; page_size bounds and a page past the end as the real API", async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  const http = createHttpClient({ env: {} });
  t.teardown(() => http.destroy());
  const get = (path: string, token = TOKEN, headers: Record<string, string> = {}) =>
    http.request(`${sim.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers }, okStatus: () => true });
  const list = await get('/v4/linode/instances?page_size=25', TOKEN, { 'x-filter': '{"tags":"consul"}' });
  t.is(list.status, 200);
  const body = list.json<InstancePage>();
  const recorded = fixture('instances-list.json') as InstancePage;
  t.deepEqual(Object.keys(body).sort(), Object.keys(recorded).sort());
  t.deepEqual(typeDifferences(shapeOf(body.data[2]), shapeOf(recorded.data[0]), INSTANCE_PATHS), []);
  const ips = (await get('/v4/linode/instances/5003/ips')).json<unknown>();
  t.deepEqual(typeDifferences(shapeOf(ips), shapeOf(fixture('instance-ips.json')), IPS_PATHS), []);
  t.is((await get('/v4/linode/instances?page_size=10')).status, 400);
  t.is((await get('/v4/linode/instances?page_size=501')).status, 400);
  const beyond = (await get('/v4/linode/instances?page=9')).json<InstancePage>();
  t.is(beyond.page, 1);
  t.is((await get('/v4/linode/instances', TOKEN, { 'x-filter': '{"ipv4":"x"}' })).status, 400);
  const refused = await get('/v4/linode/instances', 'nope');
  t.is(refused.status, 401);
  t.deepEqual(refused.json(), fixture('error-invalid-token.json'));
});

test('discover check, addrs --format json and a failing addrs never print the token (CLI process)', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  await faults.checkCliHidesSecrets(t, (argv, env) => runDiscover(argv, { env: { AUTOJOIN_LOOPBACK_ONLY: '1', ...env } }), {
    secrets: [TOKEN],
    check: { args: [`provider=linode tag_name=consul api_token=${TOKEN}`], shows: 'api_token=***' },
    checkJson: { env: { LINODE_TOKEN: TOKEN }, args: ['provider=linode tag_name=consul'] },
    addrs: { addresses: PRIVATE, args: [cfg(sim)] },
    refused: { says: /401: Invalid Token/, args: [`provider=linode tag_name=consul api_token=${TOKEN}x url=${sim.httpUrl}`] },
  });
});
