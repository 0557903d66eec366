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
import { MalformedResponseError, ProviderArgsError, ProviderError, TimeoutError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/index.js';
import type { Logger } from '../../src/log.js';
import type { Fleet } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { shapeOf, typeDifferences } from '../../test/helpers/wire-shape.js';
import { startPageGate } from '../../test/helpers/page-gate.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { startTinyproxy } from '../../test/helpers/tinyproxy.js';

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

function addrs(config: string, options: { env?: Record<string, string | undefined>; timeout?: number; logger?: Logger; maxAttempts?: number } = {}) {
  return engine.addrs(config, {
    env: { AUTOJOIN_LOOPBACK_ONLY: '1', ...options.env },
    timeout: options.timeout ?? 30_000,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  });
}
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

test('a wrong token: 401 Invalid Token, one attempt, never the token in the error', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  const wrong = 'linode-wrong-secret-value';
  const err = await t.throwsAsync(addrs(`provider=linode tag_name=consul api_token=${wrong} url=${sim.httpUrl}`), {
    instanceOf: ProviderError,
    message: 'discover-linode: ListInstances failed: 401: Invalid Token (check api_token / LINODE_TOKEN)',
  });
  t.false(String(err?.stack).includes(wrong));
  t.is(sim.counts()[API_NAME], 1);
});

test('auth_reject fault on the IPs calls: a typed error naming the instance, not retried, no partial list', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  sim.setFaults(API_NAME, { auth_reject: true });
  await t.throwsAsync(addrs(cfg(sim, 'address_type=vpc_v4')), { instanceOf: ProviderError, message: /401: Invalid Token/ });
  t.is(sim.counts()[API_NAME], 1);
});

test('throttled (429, Retry-After: 1) once, then success: the wait is honoured, every page read', async (t) => {
  const sim = await startTestSim(t, fleet(3), [linodeSim]);
  sim.setFaults(API_NAME, { error: 'throttle', error_count: 1 });
  const started = Date.now();
  t.deepEqual(await addrs(cfg(sim)), PRIVATE);
  t.true(Date.now() - started >= 950, 'waited for Retry-After');
  t.is(sim.counts()[API_NAME], 4);
});

test('throttled every time: a typed throttling error, never a partial list', async (t) => {
  const sim = await startTestSim(t, fleet(3), [linodeSim]);
  sim.setFaults(API_NAME, { error: 'throttle' });
  await t.throwsAsync(addrs(cfg(sim), { maxAttempts: 2 }), { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', message: /429: Too many requests/ });
});

test('500 once then success; 503 every time: 4 attempts then a ProviderError with the status', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  sim.setFaults(API_NAME, { error: 'server', error_count: 1 });
  t.deepEqual(await addrs(cfg(sim)), PRIVATE);
  t.is(sim.counts()[API_NAME], 2);
  sim.resetCounts();
  sim.setFaults(API_NAME, { error: 'unavailable' });
  const err = await t.throwsAsync(addrs(cfg(sim)), { instanceOf: ProviderError, message: 'discover-linode: ListInstances failed: 503: Service unavailable' });
  t.is((err as ProviderError).status, 503);
  t.is(sim.counts()[API_NAME], 4);
});

test('a reset connection and a truncated body are retried, then reported', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  sim.setFaults(API_NAME, { reset: true });
  await t.throwsAsync(addrs(cfg(sim)), { instanceOf: ProviderError, message: /^discover-linode: ListInstances failed: .*socket hang up/ });
  t.is(sim.counts()[API_NAME], 4);
  sim.resetCounts();
  sim.setFaults(API_NAME, { truncated: true });
  await t.throwsAsync(addrs(cfg(sim)), { instanceOf: ProviderError, message: /connection closed before the full body arrived/ });
  t.is(sim.counts()[API_NAME], 4);
});

test('a malformed body (list or IPs call) is an error, never a partial list', async (t) => {
  const sim = await startTestSim(t, fleet(3), [linodeSim]);
  sim.setFaults(API_NAME, { malformed: true });
  await t.throwsAsync(addrs(cfg(sim)), { instanceOf: MalformedResponseError });
  await t.throwsAsync(addrs(cfg(sim, 'address_type=vpc_v4')), { instanceOf: MalformedResponseError });
});

test('latency below the timeout: success; above it: TimeoutError', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  sim.setFaults(API_NAME, { latency_ms: 100 });
  t.deepEqual(await addrs(cfg(sim)), PRIVATE);
  sim.setFaults(API_NAME, { latency_ms: 10_000 });
  await t.throwsAsync(addrs(cfg(sim), { timeout: 500 }), { instanceOf: TimeoutError });
});

test.serial('a rate limit (token bucket) throttles the IPs calls; every instance still found', async (t) => {
  const sim = await startTestSim(t, fleet(), [linodeSim]);
  sim.setFaults(API_NAME, { rate_limit: { rps: 5, burst: 2 } });
  t.deepEqual(await addrs(cfg(sim, 'address_type=vpc_v4 region=us-east')), ['10.5.0.1', '10.5.0.3', '10.5.0.4', '10.5.0.5', '10.5.0.6', '10.5.0.7']);
  t.true((sim.counts()[API_NAME] ?? 0) > 8, 'some requests were throttled');
});

test('an instance that appears later is found once it exists', async (t) => {
  const base = fleet();
  base.instances.push(node(30, { appear_after_ms: 60 * 60 * 1000 }));
  const sim = await startTestSim(t, base, [linodeSim]);
  t.deepEqual(await addrs(cfg(sim)), PRIVATE);
  sim.updateFleet((f) => ({ ...f, instances: f.instances.map((i) => ({ ...i, appear_after_ms: undefined })) }));
  t.deepEqual(await addrs(cfg(sim)), [...PRIVATE, '192.168.140.30']);
});

test('HTTP_PROXY carries the calls (tinyproxy log); NO_PROXY bypasses it', async (t) => {
  const sim = await startTestSim(t, fleet(3), [linodeSim]);
  const proxy = await startTinyproxy(t);
  const port = new URL(sim.httpUrl).port;
  t.deepEqual(await addrs(cfg(sim), { env: { HTTP_PROXY: proxy.url } }), PRIVATE);
  t.true(proxy.requests().includes(`CONNECT 127.0.0.1:${port}`), proxy.requests().join('\n'));
  t.false(proxy.log().includes(TOKEN));
  const before = proxy.requests().length;
  t.deepEqual(await addrs(cfg(sim), { env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } }), PRIVATE);
  t.is(proxy.requests().length, before);
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
  const env = { AUTOJOIN_LOOPBACK_ONLY: '1' };
  const check = await runDiscover(['check', `provider=linode tag_name=consul api_token=${TOKEN}`], { env });
  t.is(check.code, 0, check.stderr);
  t.true(check.stdout.includes('api_token=***'), check.stdout);
  const checkJson = await runDiscover(['--format', 'json', 'check', 'provider=linode tag_name=consul'], { env: { ...env, LINODE_TOKEN: TOKEN } });
  t.is(checkJson.code, 0, checkJson.stderr);
  const json = await runDiscover(['--format', 'json', 'addrs', cfg(sim)], { env });
  t.is(json.code, 0, json.stderr);
  t.true(json.stdout.includes('"192.168.140.1"'), json.stdout);
  const failing = await runDiscover(['addrs', `provider=linode tag_name=consul api_token=${TOKEN}x url=${sim.httpUrl}`], { env });
  t.is(failing.code, 1);
  for (const run of [check, checkJson, json, failing]) {
    t.false(`${run.stdout}${run.stderr}`.includes(TOKEN), `${run.stdout}${run.stderr}`);
  }
});
