/**
 * provider=softlayer: the pure parts as tables, the recorded sample against the simulator's shape,
 * then the provider through the engine against the simulator's REST API on 127.0.0.1 (every
 * argument, every page, every fault, auth refusal, tinyproxy, secrets in no output).
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { Discover } from '../../src/discover.js';
import { ProviderArgsError, ProviderError } from '../../src/errors.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { shapeOf, typeDifferences } from '../../test/helpers/wire-shape.js';
import { checkPagesInFlight } from '../../test/helpers/page-gate.js';
import * as faults from '../../test/helpers/provider-faults.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { guestTargets, guestsUrl, malformedGuests, objectFilter, type VirtualGuest } from './extract.js';
import softlayer from './index.js';
import softlayerSim from './sim.js';

const engine = new Discover({ builtins: false, providers: [softlayer] });
const USER = 'SL1234567';
const KEY = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2';
const WRONG_KEY = 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f';
const sample = JSON.parse(readFileSync(new URL('./fixtures/getVirtualGuests.json', import.meta.url), 'utf8')) as VirtualGuest[];

// ---------------------------------------------------------------- pure

test('guestTargets: the recorded sample gives the backend addresses (go-discover) or the public ones', (t) => {
  t.deepEqual(guestTargets(sample, 'private_v4').targets, [
    { address: '10.45.19.37', id: '100', name: 'vs-test1.test.sftlyr.ws', zone: 'TEST00' },
    { address: '10.45.19.35', id: '104', name: 'vs-test2.test.sftlyr.ws', zone: 'TEST00' },
  ]);
  t.deepEqual(
    guestTargets(sample, 'public_v4').targets.map((x) => x.address),
    ['172.16.240.2', '172.16.240.7'],
  );
});

test('guestTargets: a guest without the address is skipped and reported, never given the other one', (t) => {
  const { targets, skipped } = guestTargets([{ id: 7, hostname: 'bare', primaryIpAddress: '203.0.113.9' }], 'private_v4');
  t.deepEqual(targets, []);
  t.deepEqual(skipped, [{ guest: 'bare', reason: 'no primaryBackendIpAddress (addr_type=private_v4)' }]);
});

test("objectFilter: go-discover's datacenter and tag paths, each only when given, ordered by id", (t) => {
  t.deepEqual(JSON.parse(objectFilter('dal09', 'consul')), {
    virtualGuests: {
      id: { operation: 'orderBy', options: [{ name: 'sort', value: ['ASC'] }] },
      datacenter: { name: { operation: 'dal09' } },
      tagReferences: { tag: { name: { operation: 'consul' } } },
    },
  });
  t.deepEqual(Object.keys(JSON.parse(objectFilter(undefined, undefined)).virtualGuests), ['id']);
});

test('guestsUrl: mask, filter and resultLimit in the query; a trailing slash on the endpoint is harmless', (t) => {
  const url = guestsUrl('https://api.softlayer.com/rest/v3.1/', '{}', 200, 100);
  t.is(url.pathname, '/rest/v3.1/SoftLayer_Account/getVirtualGuests.json');
  t.is(url.searchParams.get('resultLimit'), '200,100');
  t.regex(
    url.searchParams.get('objectMask') ?? '',
    /^mask\[id,hostname,domain,tagReferences\[tag\[name\]\],primaryBackendIpAddress,primaryIpAddress,datacenter\[name\]\]$/,
  );
});

for (const [body, expect] of [
  [[], undefined],
  [{ id: 1 }, undefined],
  ['Access Denied', 'the response is not a JSON array of guests'],
  [[{ id: 1 }, 2], 'element 1 is not an object'],
] as Array<[unknown, string | undefined]>) {
  test(`malformedGuests(${JSON.stringify(body)})`, (t) => t.is(malformedGuests(body), expect));
}

// ---------------------------------------------------------------- against the simulator

function guest(n: number, over: Partial<FleetInstance> = {}): FleetInstance {
  return {
    id: String(5000 + n),
    cloud: 'softlayer',
    name: `vs-${n}`,
    zone: 'dal09',
    tags: { consul: '' },
    private_ipv4: `10.0.0.${n}`,
    public_ipv4: `203.0.113.${n}`,
    ...over,
  };
}

function fleet(instances: FleetInstance[], pageSize?: number): Fleet {
  return { credentials: { softlayer: { username: USER, api_key: KEY } }, instances, ...(pageSize ? { page_size: { softlayer: pageSize } } : {}) };
}

const estate = [
  guest(1),
  guest(2),
  guest(3, { zone: 'fra02' }),
  guest(4, { tags: { nomad: '' } }),
  guest(5, { private_ipv4: undefined }),
  guest(6, { tags: { consul: '', role: 'server' } }),
];

const creds = `username=${USER} api_key=${KEY}`;

test('the recorded sample and the simulator have the same shape along the paths the provider reads', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [softlayerSim]);
  const url = guestsUrl(`${sim.httpUrl}/rest/v3.1`, objectFilter(undefined, undefined), 0, 10);
  const response = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${USER}:${KEY}`).toString('base64')}` } });
  t.is(response.headers.get('softlayer-total-items'), '6');
  const served = (await response.json()) as unknown[];
  const paths = ['id', 'hostname', 'domain', 'primaryBackendIpAddress', 'primaryIpAddress', 'datacenter.name', 'tagReferences.tag.name'];
  t.deepEqual(typeDifferences(shapeOf(served[0]), shapeOf(sample[0]), paths), []);
  const denied = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${USER}:${WRONG_KEY}`).toString('base64')}` } });
  t.is(denied.status, 401);
  t.deepEqual(await denied.json(), JSON.parse(readFileSync(new URL('./fixtures/error-access-denied.json', import.meta.url), 'utf8')));
});

test('datacenter and tag_value filter on the server; every guest without them; the backend address by default', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [softlayerSim]);
  const base = `provider=softlayer ${creds} url=${sim.httpUrl}/rest/v3.1`;
  t.deepEqual(await engine.addrs(`${base} datacenter=dal09 tag_value=consul`), ['10.0.0.1', '10.0.0.2', '10.0.0.6']);
  t.deepEqual(await engine.addrs(`${base} tag_value=role:server`), ['10.0.0.6']);
  t.deepEqual(await engine.addrs(`${base} datacenter=fra02`), ['10.0.0.3']);
  t.deepEqual(await engine.addrs(base), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.6']);
  t.deepEqual(await engine.addrs(`${base} tag_value=consul addr_type=public_v4`), ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.5', '203.0.113.6']);
});

test('a guest without a backend address is skipped and counted in the -v log', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [softlayerSim]);
  const lines: string[] = [];
  const logger = { debug: (m: string) => lines.push(m), info: () => {}, warn: () => {}, error: () => {} };
  await engine.addrs(`provider=softlayer ${creds} url=${sim.httpUrl}/rest/v3.1 tag_value=consul`, { logger });
  t.true(lines.includes('discover-softlayer: skipped guest vs-5: no primaryBackendIpAddress (addr_type=private_v4)'), lines.join('\n'));
  t.true(lines.includes('discover-softlayer: 4 guest(s), 1 skipped'), lines.join('\n'));
});

test('every page: resultLimit walks until SoftLayer-Total-Items guests are in', async (t) => {
  const many = Array.from({ length: 23 }, (_, n) => guest(n + 1));
  const sim = await startTestSim(t, fleet(many, 5), [softlayerSim]);
  const found = await engine.addrs(`provider=softlayer ${creds} url=${sim.httpUrl}/rest/v3.1 tag_value=consul`);
  t.is(found.length, 23);
  t.deepEqual(sim.counts(), { softlayer: 5 });
});

/** The offset of a getVirtualGuests request's `resultLimit` (-1 for another request). */
const offsetOf = (path: string) => Number(new URL(path, 'http://x').searchParams.get('resultLimit')?.split(',')[0] ?? -1);

test('pages after the first are read 4 at a time (never more), at the offsets of the served page size; every guest in order', async (t) => {
  const many = Array.from({ length: 43 }, (_, n) => guest(n + 1));
  const sim = await startTestSim(t, fleet(many, 5), [softlayerSim]);
  // Nine pages of five (the server serves 5 of the 100 asked): the gate holds pages 2.. until four wait at once.
  await checkPagesInFlight(t, sim.httpUrl, 4, {
    pageOf: (request) => offsetOf(request.path),
    held: (offset) => offset > 0,
    lookup: (url) => engine.addrs(`provider=softlayer ${creds} url=${url}/rest/v3.1 tag_value=consul`, { timeout: '20s' }),
    addresses: many.map((g) => g.private_ipv4 as string),
    pages: [0, 5, 10, 15, 20, 25, 30, 35, 40],
  });
});

test('credentials and endpoint from SL_USERNAME, SL_API_KEY, SL_ENDPOINT_URL (and the SOFTLAYER_ names)', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [softlayerSim]);
  const url = `${sim.httpUrl}/rest/v3`;
  t.deepEqual(
    await engine.addrs('provider=softlayer datacenter=fra02', {
      env: { SL_USERNAME: USER, SL_API_KEY: KEY, SL_ENDPOINT_URL: url, AUTOJOIN_LOOPBACK_ONLY: '1' },
    }),
    ['10.0.0.3'],
  );
  t.deepEqual(
    await engine.addrs('provider=softlayer datacenter=fra02', {
      env: { SOFTLAYER_USERNAME: USER, SOFTLAYER_API_KEY: KEY, SOFTLAYER_ENDPOINT_URL: url, AUTOJOIN_LOOPBACK_ONLY: '1' },
    }),
    ['10.0.0.3'],
  );
});

test('missing username or api_key, or an unknown addr_type, is a config error before any request', async (t) => {
  await t.throwsAsync(engine.discover('provider=softlayer api_key=x', { env: {} }), { instanceOf: ProviderArgsError, message: /username/ });
  await t.throwsAsync(engine.discover('provider=softlayer username=x', { env: {} }), { instanceOf: ProviderArgsError, message: /api_key/ });
  await t.throwsAsync(engine.discover('provider=softlayer username=x api_key=y addr_type=private_v6', { env: {} }), {
    instanceOf: ProviderArgsError,
    message: /addr_type/,
  });
});

/** The sim (started by the caller) and the lookup of `config` (with `env`) against it, for the shared fault scenarios. */
function faulty(sim: RunningSim, config: string, env: Record<string, string> = {}): faults.FaultTarget {
  const lookup: faults.Lookup = (options = {}) => engine.addrs(config, { ...options, env: { AUTOJOIN_LOOPBACK_ONLY: '1', ...env, ...options.env } });
  return { sim, api: 'softlayer', lookup };
}

test('a wrong api_key: an authentication error naming the username, not the key, not retried', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [softlayerSim]);
  await faults.checkCredentialRefused(t, faulty(sim, `provider=softlayer username=${USER} api_key=${WRONG_KEY} url=${sim.httpUrl}/rest/v3.1`), [WRONG_KEY], {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: `discover-softlayer: getVirtualGuests failed: 401 SoftLayer_Exception_Public: Access Denied. (authentication failed: the api_key of username "${USER}" was refused; check api_key / SL_API_KEY and username / SL_USERNAME)`,
    status: 401,
  });
  // A wrong username is refused the same way.
  await t.throwsAsync(engine.discover(`provider=softlayer username=SL999 api_key=${KEY} url=${sim.httpUrl}/rest/v3.1`), {
    message: /username "SL999" was refused/,
  });
});

test('faults: throttle and server errors retried; persistent throttle typed; reset, truncated, malformed, unavailable, auth_reject', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [softlayerSim]);
  const target = faulty(sim, `provider=softlayer ${creds} url=${sim.httpUrl}/rest/v3.1 datacenter=fra02`);
  for (const error of ['throttle', 'server', 'unavailable'] as const) {
    await faults.checkFaultRecovers(t, target, { error, error_count: 1 }, { found: ['10.0.0.3'], attempts: 2 });
  }
  // The request URL carries a long object filter: the message shows it without its query, so the cause fits.
  await faults.checkResetAndTruncated(t, target, 'discover-softlayer: getVirtualGuests failed: ');
  await faults.checkFaultFails(t, target, { malformed: true }, { code: 'ERR_MALFORMED_RESPONSE', attempts: 1 });
  const throttled = { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', cloudCode: 'SoftLayer_Exception_WebService_RateLimitExceeded' };
  await faults.checkFaultFails(t, target, { error: 'throttle' }, throttled, { timeout: 3000 });
  await faults.checkFaultFails(t, target, { auth_reject: true }, { message: /401 SoftLayer_Exception_Public: Access Denied/, attempts: 1 });
});

test('faults: latency past the timeout is a TimeoutError; a rate limit throttles pages and every one is still read', async (t) => {
  const many = Array.from({ length: 12 }, (_, n) => guest(n + 1));
  const sim = await startTestSim(t, fleet(many, 3), [softlayerSim]);
  const target = faulty(sim, `provider=softlayer ${creds} url=${sim.httpUrl}/rest/v3.1 tag_value=consul`);
  await faults.checkTimeoutAndAbort(t, target, { provider: 'softlayer' });
  await faults.checkRateLimit(t, target, { rps: 20, burst: 1, found: 12 });
});

test('guests appearing later (appear_after_ms) are not listed before they exist', async (t) => {
  const sim = await startTestSim(t, fleet([guest(1)]), [softlayerSim]);
  const target = faulty(sim, `provider=softlayer ${creds} url=${sim.httpUrl}/rest/v3.1`);
  await faults.checkAppearsLater(t, target, guest(2), { before: ['10.0.0.1'], after: ['10.0.0.1', '10.0.0.2'] });
});

test('a page failing mid-walk fails the whole call: never a partial list', async (t) => {
  const many = Array.from({ length: 12 }, (_, n) => guest(n + 1));
  const sim = await startTestSim(t, fleet(many, 5), [softlayerSim]);
  const target = faulty(sim, `provider=softlayer ${creds} url=${sim.httpUrl}/rest/v3.1`);
  await faults.checkFaultFails(t, target, { error: 'server' }, { instanceOf: ProviderError, message: /500/ }, { timeout: 5000 });
});

test('through HTTP_PROXY: tinyproxy logs the request', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [softlayerSim]);
  const target = faulty(sim, `provider=softlayer datacenter=fra02 url=${sim.httpUrl}/rest/v3.1`, { SL_USERNAME: USER, SL_API_KEY: KEY });
  await faults.checkProxy(t, target, { found: ['10.0.0.3'], secrets: [KEY], requests: 1 });
});

test('the CLI: addrs from the paste, and the key in no output (check, --format json, a refused key)', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [softlayerSim]);
  const paste = softlayerSim.paste?.(sim.ctx);
  t.truthy(paste);
  const ok = await runDiscover(['addrs', paste?.config ?? ''], { env: paste?.env });
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout.trim(), '10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.6');
  const cfg = `provider=softlayer ${creds} url=${sim.httpUrl}/rest/v3.1 datacenter=fra02`;
  await faults.checkCliHidesSecrets(t, (argv) => runDiscover(argv), {
    check: { args: [cfg], shows: 'api_key=***' },
    addrs: { args: [cfg], addresses: ['10.0.0.3'] },
    refused: { args: [cfg.replace(KEY, WRONG_KEY)], says: /authentication failed: the api_key of username "SL1234567" was refused/ },
    secrets: [KEY, WRONG_KEY],
  });
});
