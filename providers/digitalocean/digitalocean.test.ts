/**
 * provider=digitalocean: the pure extractor as tables, the simulator's wire format against the
 * recorded sample, then the provider through the engine against the simulator on 127.0.0.1:
 * every argument, every page, every fault, auth refusal, tinyproxy, and secrets kept out of
 * every output (the CLI as a real process).
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { throttleWaitMs } from './client.js';
import { type Droplet, type DropletPage, dropletTargets, malformedPage, nextPage } from './extract.js';
import digitalocean from './index.js';
import digitaloceanSim, { API_NAME } from './sim.js';
import { Discover } from '../../src/discover.js';
import { MalformedResponseError, ProviderArgsError, ProviderError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/index.js';
import type { Logger } from '../../src/log.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { startPageGate } from '../../test/helpers/page-gate.js';
import * as faults from '../../test/helpers/provider-faults.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { shapeOf, typeAt, typeDifferences } from '../../test/helpers/wire-shape.js';

const engine = new Discover({ builtins: false, providers: [digitalocean] });
const TOKEN = 'dop_v1_sim_token_0001';
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as unknown;

// ---------------------------------------------------------------- pure

const drop = (over: Partial<Droplet>): Droplet => ({
  id: 1,
  name: 'd1',
  status: 'active',
  region: { slug: 'nyc3' },
  networks: {
    v4: [
      { ip_address: '203.0.113.1', type: 'public' },
      { ip_address: '10.0.0.1', type: 'private' },
      { ip_address: '10.0.0.2', type: 'private' },
    ],
    v6: [{ ip_address: '2001:db8::1', type: 'public' }],
  },
  ...over,
});

const targetCases: Array<{
  name: string;
  droplets: Droplet[];
  addr: 'private_v4' | 'public_v4' | 'public_v6';
  region?: string;
  expect: string[];
  skipped?: string[];
}> = [
  { name: 'private_v4: the first private v4 network (godo PrivateIPv4)', droplets: [drop({})], addr: 'private_v4', expect: ['10.0.0.1'] },
  { name: 'public_v4: the first public v4', droplets: [drop({})], addr: 'public_v4', expect: ['203.0.113.1'] },
  { name: 'public_v6', droplets: [drop({})], addr: 'public_v6', expect: ['2001:db8::1'] },
  {
    name: 'no address of the type: skipped with the reason, never another type',
    droplets: [drop({ networks: { v4: [{ ip_address: '203.0.113.1', type: 'public' }], v6: [] } })],
    addr: 'private_v4',
    expect: [],
    skipped: ['no private_v4 address'],
  },
  {
    name: 'networks null (a droplet being created): skipped',
    droplets: [drop({ networks: null })],
    addr: 'private_v4',
    expect: [],
    skipped: ['no networks defined yet'],
  },
  {
    name: 'region filter on region.slug',
    droplets: [drop({}), drop({ id: 2, region: { slug: 'fra1' }, networks: { v4: [{ ip_address: '10.9.9.9', type: 'private' }] } })],
    addr: 'private_v4',
    region: 'fra1',
    expect: ['10.9.9.9'],
  },
];
for (const c of targetCases) {
  test(`dropletTargets: ${c.name}`, (t) => {
    const { targets, skipped } = dropletTargets(c.droplets, c.addr, c.region);
    t.deepEqual(
      targets.map((x) => x.address),
      c.expect,
    );
    t.deepEqual(
      skipped.map((s) => s.reason),
      c.skipped ?? [],
    );
  });
}

test('dropletTargets: id, name, zone and status kept', (t) => {
  t.deepEqual(dropletTargets([drop({ id: 42, name: 'web' })], 'private_v4').targets, [
    { address: '10.0.0.1', id: '42', name: 'web', zone: 'nyc3', meta: { status: 'active' } },
  ]);
});

const pageCases: Array<[DropletPage, number, number | undefined]> = [
  [{ droplets: [], links: { pages: {} } }, 1, undefined],
  [{ droplets: [], links: {} }, 1, undefined],
  [{ droplets: [], links: { pages: { next: 'https://api.digitalocean.com/v2/droplets?page=2&per_page=200&tag_name=x', last: 'x' } } }, 1, 2],
  [{ droplets: [], links: { pages: { next: 'https://api.digitalocean.com/v2/droplets?page=1' } } }, 1, undefined],
  [{ droplets: [], links: { pages: { next: 'https://evil.example/v2/droplets?page=3' } } }, 2, 3],
];
for (const [page, current, expect] of pageCases) {
  test(`nextPage(${JSON.stringify(page.links)}, ${current}) = ${expect}`, (t) => {
    t.is(nextPage(page, current), expect);
  });
}

const malformedCases: Array<[unknown, string | undefined]> = [
  [{ droplets: [] }, undefined],
  [[], 'the response is not a JSON object'],
  [{ droplet: [] }, 'the response has no "droplets" array'],
  [{ droplets: [{ id: '1' }] }, 'droplets[0].id is not a number'],
];
for (const [body, expect] of malformedCases) {
  test(`malformedPage(${JSON.stringify(body)})`, (t) => {
    t.is(malformedPage(body), expect);
  });
}

test('throttleWaitMs: retry-after first, else ratelimit-reset (epoch seconds) once nothing remains', (t) => {
  t.is(throttleWaitMs({ 'retry-after': '3', 'ratelimit-reset': '2000' }, 1_000_000), 3000);
  t.is(throttleWaitMs({ 'ratelimit-reset': '1005', 'ratelimit-remaining': '0' }, 1_000_000), 5000);
  t.is(throttleWaitMs({ 'ratelimit-reset': '1005', 'ratelimit-remaining': '12' }, 1_000_000), undefined);
  t.is(throttleWaitMs({}, 1_000_000), undefined);
});

test('the recorded sample passes the extractor (droplets_tagged from the OpenAPI description)', (t) => {
  const body = fixture('droplets-tagged.json') as DropletPage;
  t.is(malformedPage(body), undefined);
  t.deepEqual(
    dropletTargets(body.droplets, 'private_v4').targets.map((x) => x.address),
    ['10.128.192.124', '10.128.192.138'],
  );
  t.deepEqual(
    dropletTargets(body.droplets, 'public_v6').targets.map((x) => x.address),
    ['2604:a880:0:1010::18a:a001'],
  );
});

// ---------------------------------------------------------------- against the simulator

function droplet(i: number, over: Partial<FleetInstance> = {}): FleetInstance {
  return {
    id: String(1000 + i),
    cloud: 'digitalocean',
    name: `consul-${i}`,
    region: 'nyc3',
    tags: { consul: '' },
    private_ipv4: `10.4.0.${i}`,
    public_ipv4: `203.0.113.${i}`,
    ...over,
  };
}

/** 7 tagged droplets in nyc3 (one without a public v4, one with v6), 2 in fra1, 3 untagged. */
function fleet(pageSize?: number): Fleet {
  const instances = [1, 2, 3, 4, 5, 6, 7].map((i) => droplet(i));
  instances[1] = droplet(2, { public_ipv4: undefined });
  instances[2] = droplet(3, { public_ipv6: '2001:db8:4::3' });
  instances.push(droplet(8, { region: 'fra1' }), droplet(9, { region: 'fra1', tags: { consul: '', env: 'prod' } }));
  for (const i of [20, 21, 22]) instances.push(droplet(i, { tags: { web: '' } }));
  return { credentials: { digitalocean: { token: TOKEN } }, instances, ...(pageSize ? { page_size: { [API_NAME]: pageSize } } : {}) };
}
const NYC = ['10.4.0.1', '10.4.0.2', '10.4.0.3', '10.4.0.4', '10.4.0.5', '10.4.0.6', '10.4.0.7'];
const ALL = [...NYC, '10.4.0.8', '10.4.0.9'];

function collect(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (line: string) => lines.push(line);
  return { lines, logger: { debug: push, info: push, warn: push, error: push } };
}

const addrs = faults.engineLookup(engine, { AUTOJOIN_LOOPBACK_ONLY: '1' });
const cfg = (sim: RunningSim, extra = '') => `provider=digitalocean tag_name=consul api_token=${TOKEN} url=${sim.httpUrl}${extra ? ` ${extra}` : ''}`;

test('every page (3 a page), ordered by droplet id, private v4 by default', async (t) => {
  const sim = await startTestSim(t, fleet(3), [digitaloceanSim]);
  t.deepEqual(await addrs(cfg(sim)), ALL);
  t.is(sim.counts()[API_NAME], 3);
});

test('pages after the first are read 4 at a time (never more), from links.pages.last; every droplet in order', async (t) => {
  const sim = await startTestSim(t, fleet(1), [digitaloceanSim]);
  // Nine pages of one: the gate holds pages 2.. until four wait at once.
  const gate = await startPageGate(t, sim.httpUrl, { watch: (_, path) => path.startsWith('/v2/droplets') && !/[?&]page=1(&|$)/.test(path), hold: 4 });
  t.deepEqual(await addrs(`provider=digitalocean tag_name=consul api_token=${TOKEN} url=${gate.url}`, { timeout: 20_000 }), ALL);
  t.true(gate.opened());
  t.is(gate.maxInFlight(), 4);
  t.is(sim.counts()[API_NAME], 9, 'each page read once');
});

test('per_page=200 is asked for: one request for 9 droplets with the API default page size', async (t) => {
  const sim = await startTestSim(t, fleet(), [digitaloceanSim]);
  t.deepEqual(await addrs(cfg(sim)), ALL);
  t.is(sim.counts()[API_NAME], 1);
});

test('region filters on the region slug; a namespaced tag (key:value)', async (t) => {
  const sim = await startTestSim(t, fleet(2), [digitaloceanSim]);
  t.deepEqual(await addrs(cfg(sim, 'region=fra1')), ['10.4.0.8', '10.4.0.9']);
  t.deepEqual(await addrs(`provider=digitalocean tag_name=env:prod api_token=${TOKEN} url=${sim.httpUrl}`), ['10.4.0.9']);
});

test('addr_type=public_v4 and public_v6: droplets without one are skipped and said in the log', async (t) => {
  const sim = await startTestSim(t, fleet(4), [digitaloceanSim]);
  const v4 = collect();
  t.deepEqual(await addrs(cfg(sim, 'region=nyc3 addr_type=public_v4'), { logger: v4.logger }), [
    '203.0.113.1',
    '203.0.113.3',
    '203.0.113.4',
    '203.0.113.5',
    '203.0.113.6',
    '203.0.113.7',
  ]);
  t.true(
    v4.lines.some((l) => l === 'discover-digitalocean: skipped droplet consul-2 (1002): no public_v4 address'),
    v4.lines.join('\n'),
  );
  t.true(
    v4.lines.some((l) => /6 droplet\(s\) with tag consul in nyc3, 1 skipped/.test(l)),
    v4.lines.join('\n'),
  );
  t.deepEqual(await addrs(cfg(sim, 'addr_type=public_v6')), ['2001:db8:4::3']);
});

test('addr_type is strict: an unknown value is a config error naming it', async (t) => {
  await t.throwsAsync(addrs('provider=digitalocean tag_name=x api_token=t addr_type=private_v6'), { instanceOf: ProviderArgsError, message: /addr_type/ });
});

test('api_token from DIGITALOCEAN_TOKEN, else DIGITALOCEAN_ACCESS_TOKEN (doctl); url from DIGITALOCEAN_API_URL', async (t) => {
  const sim = await startTestSim(t, fleet(), [digitaloceanSim]);
  t.deepEqual(await addrs('provider=digitalocean tag_name=consul region=fra1', { env: { DIGITALOCEAN_TOKEN: TOKEN, DIGITALOCEAN_API_URL: sim.httpUrl } }), [
    '10.4.0.8',
    '10.4.0.9',
  ]);
  t.deepEqual(
    await addrs('provider=digitalocean tag_name=consul region=fra1', { env: { DIGITALOCEAN_ACCESS_TOKEN: TOKEN, DIGITALOCEAN_API_URL: sim.httpUrl } }),
    ['10.4.0.8', '10.4.0.9'],
  );
});

test('no token anywhere: a config error naming api_token and its env variables', async (t) => {
  await t.throwsAsync(addrs('provider=digitalocean tag_name=consul'), { instanceOf: ProviderArgsError, message: /api_token/ });
});

/** The sim (started by the caller) and the lookup of `config` against it, for the shared fault scenarios. */
const faulty = (sim: RunningSim, config = cfg(sim)): faults.FaultTarget => ({ sim, api: API_NAME, lookup: (options) => addrs(config, options) });

test('a wrong token: 401 unauthorized, one attempt, the error names api_token but never the token', async (t) => {
  const sim = await startTestSim(t, fleet(), [digitaloceanSim]);
  const wrong = 'dop_v1_wrong_secret_value';
  await faults.checkCredentialRefused(t, faulty(sim, cfg(sim).replace(TOKEN, wrong)), [wrong], {
    instanceOf: ProviderError,
    message: 'discover-digitalocean: ListDroplets failed: 401 unauthorized: Unable to authenticate you. (check api_token / DIGITALOCEAN_TOKEN)',
  });
});

test('auth_reject fault: the real 401 body, not retried', async (t) => {
  const target = faulty(await startTestSim(t, fleet(), [digitaloceanSim]));
  await faults.checkFaultFails(t, target, { auth_reject: true }, { instanceOf: ProviderError, code: 'ERR_PROVIDER', message: /401 unauthorized/, attempts: 1 });
});

test('throttled (429 too_many_requests, retry-after: 1) on a later page, then success: the wait is honoured, every page read', async (t) => {
  const sim = await startTestSim(t, fleet(3), [digitaloceanSim]);
  await addrs(cfg(sim));
  await faults.checkFaultRecovers(t, faulty(sim), { error: 'throttle', error_count: 1 }, { found: ALL, attempts: 4, waitsMs: 950 });
});

test('throttled on every call: a typed throttling error after the attempts, never a partial list', async (t) => {
  const target = faulty(await startTestSim(t, fleet(3), [digitaloceanSim]));
  const throttled = { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', message: /429 too_many_requests: API Rate limit exceeded\./, attempts: 2 };
  await faults.checkFaultFails(t, target, { error: 'throttle' }, throttled, { maxAttempts: 2 });
});

test('500 once then success; 503 every time: 4 attempts then a ProviderError with the status', async (t) => {
  const target = faulty(await startTestSim(t, fleet(), [digitaloceanSim]));
  await faults.checkFaultRecovers(t, target, { error: 'server', error_count: 1 }, { found: ALL, attempts: 2 });
  const unavailable = /^discover-digitalocean: ListDroplets failed: 503 service_unavailable/;
  await faults.checkFaultFails(t, target, { error: 'unavailable' }, { instanceOf: ProviderError, message: unavailable, status: 503, attempts: 4 });
});

test('a reset connection and a truncated body are retried, then reported', async (t) => {
  const target = faulty(await startTestSim(t, fleet(), [digitaloceanSim]));
  await faults.checkResetAndTruncated(t, target, 'discover-digitalocean: ListDroplets failed: ');
});

test('a malformed page is an error, never a partial list', async (t) => {
  const target = faulty(await startTestSim(t, fleet(3), [digitaloceanSim]));
  await faults.checkFaultFails(t, target, { malformed: true }, { instanceOf: MalformedResponseError, attempts: 1 });
});

test('latency below the timeout: success; above it: TimeoutError', async (t) => {
  const target = faulty(await startTestSim(t, fleet(), [digitaloceanSim]));
  await faults.checkTimeoutAndAbort(t, target, { provider: 'digitalocean', latencyMs: 10_000, timeoutMs: 500, below: { latencyMs: 100, found: ALL } });
});

test.serial('a rate limit (token bucket) throttles later pages; every page is still read', async (t) => {
  const target = faulty(await startTestSim(t, fleet(1), [digitaloceanSim]));
  await faults.checkRateLimit(t, target, { rps: 5, burst: 2, found: ALL, throttledPast: 9 });
});

test('a droplet that appears later is found once it exists', async (t) => {
  const target = faulty(await startTestSim(t, fleet(), [digitaloceanSim]));
  await faults.checkAppearsLater(t, target, droplet(30), { before: ALL, after: [...ALL, '10.4.0.30'] });
});

test('HTTP_PROXY carries every page (tinyproxy log); NO_PROXY bypasses it', async (t) => {
  const target = faulty(await startTestSim(t, fleet(3), [digitaloceanSim]));
  await faults.checkProxy(t, target, { found: ALL, secrets: [TOKEN] });
});

const DROPLET_PATHS = [
  'id',
  'name',
  'status',
  'tags',
  'region.slug',
  'networks.v4.ip_address',
  'networks.v4.type',
  'networks.v6.ip_address',
  'networks.v6.type',
];

test("the simulator serves the recorded sample's shape, and its links.pages as the real API", async (t) => {
  const sim = await startTestSim(t, fleet(2), [digitaloceanSim]);
  const http = createHttpClient({ env: {} });
  t.teardown(() => http.destroy());
  const get = async (query: string, token = TOKEN) =>
    http.request(`${sim.httpUrl}/v2/droplets?${query}`, { headers: { authorization: `Bearer ${token}` }, okStatus: () => true });
  const first = await get('tag_name=consul&per_page=2');
  t.is(first.status, 200);
  t.truthy(first.headers['ratelimit-limit']);
  const body = first.json<DropletPage & Record<string, unknown>>();
  const recorded = fixture('droplets-tagged.json') as Record<string, unknown>;
  t.deepEqual(Object.keys(body).sort(), Object.keys(recorded).sort());
  const bodyShape = shapeOf(body);
  t.deepEqual({ total: typeAt(bodyShape, 'meta.total'), next: typeAt(bodyShape, 'links.pages.next') }, { total: 'number', next: 'string' });
  // The paths the extractor reads, on a droplet with every network (page 2 starts with droplet 1003).
  const withV6 = (await get('tag_name=consul&per_page=2&page=2')).json<DropletPage>().droplets[0];
  const withV6Shape = shapeOf(withV6);
  t.deepEqual(typeDifferences(withV6Shape, shapeOf((recorded.droplets as unknown[])[0]), DROPLET_PATHS), []);
  t.is(typeAt(withV6Shape, 'networks.v6.ip_address'), 'string');
  t.deepEqual(Object.keys(body.links?.pages ?? {}).sort(), ['last', 'next']);
  const middle = (await get('tag_name=consul&per_page=2&page=2')).json<DropletPage>();
  t.deepEqual(Object.keys(middle.links?.pages ?? {}).sort(), ['first', 'last', 'next', 'prev']);
  const last = (await get('tag_name=consul&per_page=2&page=5')).json<DropletPage>();
  t.deepEqual(Object.keys(last.links?.pages ?? {}).sort(), ['first', 'prev']);
  t.is(last.meta?.total, 9);
  const refused = await get('tag_name=consul', 'nope');
  t.is(refused.status, 401);
  t.deepEqual(
    Object.keys(refused.json<object>())
      .sort()
      .filter((k) => k !== 'request_id'),
    Object.keys(fixture('error-unauthorized.json') as object).sort(),
  );
});

test('discover check, addrs --format json and a failing addrs never print the token (CLI process)', async (t) => {
  const sim = await startTestSim(t, fleet(), [digitaloceanSim]);
  const run: faults.CliRunner = (argv, env) => runDiscover(argv, { env: { AUTOJOIN_LOOPBACK_ONLY: '1', ...env } });
  await faults.checkCliHidesSecrets(t, run, {
    check: { args: [`provider=digitalocean tag_name=consul api_token=${TOKEN}`], shows: 'api_token=***' },
    checkJson: { args: ['provider=digitalocean tag_name=consul'], env: { DIGITALOCEAN_TOKEN: TOKEN } },
    // The simulator in this process is not a built-in of the CLI's, so addrs runs against a served fleet by URL.
    addrs: { args: [cfg(sim)], addresses: ALL },
    refused: { args: [`provider=digitalocean tag_name=consul api_token=${TOKEN}x url=${sim.httpUrl}`], says: /401 unauthorized/ },
    secrets: [TOKEN],
  });
});
