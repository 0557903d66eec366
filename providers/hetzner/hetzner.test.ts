/**
 * provider=hetzner through the engine against the simulator's Hetzner Cloud API on 127.0.0.1:
 * every argument, every page, every fault, auth, the real proxy, the CLI's outputs without the
 * token, and the recorded sample's shape against what the simulator serves.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import hetzner from './index.js';
import hetznerSim, { API_NAME } from './sim.js';
import type { HetznerInstance } from './sim-fleet.js';
import { Discover } from '../../src/discover.js';
import { AbortError, ProviderArgsError, ProviderError } from '../../src/errors.js';
import type { Fleet } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { sampleProblems } from '../../test/helpers/wire-shape.js';
import { startPageGate } from '../../test/helpers/page-gate.js';
import * as faults from '../../test/helpers/provider-faults.js';
import { startTestSim } from '../../test/helpers/sim.js';

const engine = new Discover({ builtins: false, providers: [hetzner] });
const TOKEN = 'hcloud-sim-token-3f9c1a';
const env = (extra: Record<string, string | undefined> = {}) => ({ AUTOJOIN_LOOPBACK_ONLY: '1', ...extra });

function server(n: number, over: Partial<HetznerInstance> = {}): HetznerInstance {
  return {
    id: String(1000 + n),
    cloud: 'hetzner',
    name: `nomad-${n}`,
    zone: 'fsn1',
    tags: { role: 'nomad-server' },
    private_ipv4: `10.0.${n >> 8}.${n & 255}`,
    public_ipv4: `203.0.113.${n & 255}`,
    public_ipv6: `2001:db8:${n.toString(16)}::1`,
    ...over,
  };
}

function fleet(instances: HetznerInstance[], extra: Partial<Fleet> = {}): Fleet {
  return { credentials: { hetzner: { token: TOKEN } }, instances, ...extra };
}

const many = (count: number) => Array.from({ length: count }, (_, i) => server(i + 1));
const cfg = (sim: { httpUrl: string }, rest = '') => `provider=hetzner api_token=${TOKEN} endpoint=${sim.httpUrl}/v1 ${rest}`.trim();

// ---------------------------------------------------------------- every page

test('every page: 120 servers at 50 a page are 3 requests, in id order', async (t) => {
  const sim = await startTestSim(t, fleet(many(120)), [hetznerSim]);
  const addrs = await engine.addrs(cfg(sim, 'label_selector="role=nomad-server"'), { env: env() });
  t.is(addrs.length, 120);
  t.is(addrs[0], '10.0.0.1');
  t.is(addrs[119], '10.0.0.120');
  t.deepEqual(sim.counts(), { [API_NAME]: 3 });
});

test('pages after the first are read 4 at a time (never more), every server found in order', async (t) => {
  const sim = await startTestSim(t, fleet(many(60), { page_size: { [API_NAME]: 6 } }), [hetznerSim]);
  // Ten pages: the gate holds pages 2.. until four wait at once.
  const gate = await startPageGate(t, sim.httpUrl, { watch: (_, path) => /[?&]page=([2-9]|\d\d)/.test(path), hold: 4 });
  const addrs = await engine.addrs(`provider=hetzner api_token=${TOKEN} endpoint=${gate.url}/v1`, { env: env(), timeout: '20s' });
  t.deepEqual(
    addrs,
    many(60).map((s) => s.private_ipv4),
  );
  t.true(gate.opened());
  t.is(gate.maxInFlight(), 4);
  t.deepEqual(sim.counts(), { [API_NAME]: 10 }, 'each page read once');
});

test('a smaller server page size (7) is followed by next_page to the last page', async (t) => {
  const sim = await startTestSim(t, fleet(many(30), { page_size: { [API_NAME]: 7 } }), [hetznerSim]);
  t.is((await engine.addrs(cfg(sim), { env: env() })).length, 30);
  t.deepEqual(sim.counts(), { [API_NAME]: 5 });
});

// ---------------------------------------------------------------- arguments

const estate = [
  server(1),
  server(2, { zone: 'nbg1', tags: { role: 'nomad-server', env: 'dev' } }),
  server(3, { zone: 'hel1', state: 'off' }),
  server(4, { tags: { role: 'consul-server' } }),
  server(5, { zone: 'ash', network_id: 9000, extra_nics: [{ private_ipv4: '10.9.0.5' }], public_ipv4: undefined, public_ipv6: undefined }),
  server(6, { private_ipv4: undefined, tags: { role: 'nomad-server', drain: 'true' } }),
];

const argCases: Array<[string, string, string[]]> = [
  ['label_selector: equality (stopped servers left out)', 'label_selector="role=nomad-server"', ['10.0.0.1', '10.0.0.2', '10.0.0.5']],
  ['label_selector: != and !key', 'label_selector="role=nomad-server,env!=dev,!drain"', ['10.0.0.1', '10.0.0.5']],
  ['label_selector: in (…)', 'label_selector="role in (consul-server,other)"', ['10.0.0.4']],
  ['no selector: every running server of the project', '', ['10.0.0.1', '10.0.0.2', '10.0.0.4', '10.0.0.5']],
  ['location list', 'location=nbg1,ash', ['10.0.0.2', '10.0.0.5']],
  ['network picks the address in that network', 'network=9001', ['10.9.0.5']],
  ['public_v4 (servers without one skipped)', 'addr_type=public_v4 label_selector=role', ['203.0.113.1', '203.0.113.2', '203.0.113.4', '203.0.113.6']],
  ['public_v6 is ::1 of the /64', 'addr_type=public_v6 location=fsn1', ['2001:db8:1::1', '2001:db8:4::1', '2001:db8:6::1']],
];
for (const [name, rest, want] of argCases) {
  test(`arguments: ${name}`, async (t) => {
    const sim = await startTestSim(t, fleet(estate), [hetznerSim]);
    t.deepEqual(await engine.addrs(cfg(sim, rest), { env: env() }), want);
  });
}

test('a server without the asked address is skipped and counted in the log, never given another kind', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [hetznerSim]);
  const lines: string[] = [];
  const logger = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: () => {}, error: () => {} };
  t.deepEqual(await engine.addrs(cfg(sim, 'label_selector="role=nomad-server"'), { env: env(), logger }), ['10.0.0.1', '10.0.0.2', '10.0.0.5']);
  t.true(lines.includes('discover-hetzner: 1 server(s) without a private_v4 address skipped: nomad-6'), lines.join('\n'));
  t.false(lines.join('\n').includes(TOKEN));
});

test('HCLOUD_TOKEN and HCLOUD_ENDPOINT, as the hcloud CLI reads them', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [hetznerSim]);
  const addrs = await engine.addrs('provider=hetzner label_selector="role=consul-server"', {
    env: env({ HCLOUD_TOKEN: TOKEN, HCLOUD_ENDPOINT: `${sim.httpUrl}/v1` }),
  });
  t.deepEqual(addrs, ['10.0.0.4']);
});

test('bad arguments are refused before any request, each named', async (t) => {
  const error = await t.throwsAsync(engine.discover('provider=hetzner addr_type=private_v6 network=x', { env: env() }), { instanceOf: ProviderArgsError });
  const text = error?.message ?? '';
  t.regex(text, /addr_type/);
  t.regex(text, /network/);
  t.regex(text, /api_token/);
  await t.throwsAsync(engine.discover(`provider=hetzner api_token=${TOKEN} addr_type=public_v4 network=4711`, { env: env() }), {
    instanceOf: ProviderArgsError,
    message: /network=4711 needs addr_type=private_v4/,
  });
});

// ---------------------------------------------------------------- auth and faults

/** The sim (started by the caller) and the lookup of `config` against it, for the shared fault scenarios. */
const faulty = (sim: RunningSim, config = cfg(sim)): faults.FaultTarget => ({
  sim,
  api: API_NAME,
  lookup: (options = {}) => engine.addrs(config, { ...options, env: env(options.env) }),
});
const THREE = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];

test('a wrong token: 401 unauthorized, not retried, naming the setting and never the token', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [hetznerSim]);
  const wrong = 'not-the-token-77aa';
  await faults.checkCredentialRefused(t, faulty(sim, `provider=hetzner api_token=${wrong} endpoint=${sim.httpUrl}/v1`), [wrong], {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: 'discover-hetzner: ListServers failed: 401 unauthorized: unable to authenticate (the api_token / HCLOUD_TOKEN was refused)',
    cloudCode: 'unauthorized',
  });
});

test('an invalid label selector: 400 invalid_input, not retried', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [hetznerSim]);
  const invalid = { instanceOf: ProviderError, message: /400 invalid_input: invalid input in field 'label_selector'/, attempts: 1 };
  await faults.checkFaultFails(t, faulty(sim, cfg(sim, 'label_selector="role=a b"')), undefined, invalid);
});

for (const error of ['throttle', 'server', 'unavailable'] as const) {
  test(`fault ${error} once: retried, every server found`, async (t) => {
    const sim = await startTestSim(t, fleet(many(3)), [hetznerSim]);
    await faults.checkFaultRecovers(t, faulty(sim), { error, error_count: 1 }, { found: THREE, attempts: 2 });
  });
}

test('connection resets: retried (4 attempts), then a ProviderError naming the cause', async (t) => {
  await faults.checkResetAndTruncated(t, faulty(await startTestSim(t, fleet(many(3)), [hetznerSim])), 'discover-hetzner: ListServers failed: ');
});

test('persistent throttling ends as a throttled ProviderError with the 1 s wait', async (t) => {
  const sim = await startTestSim(t, fleet(many(3)), [hetznerSim]);
  const throttled = { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', message: /429 rate_limit_exceeded/, retryAfterMs: 1000, attempts: 4 };
  await faults.checkFaultFails(t, faulty(sim), { error: 'throttle' }, throttled, { timeout: 20_000 });
});

test('auth_reject: the real 401 body', async (t) => {
  const sim = await startTestSim(t, fleet(many(3)), [hetznerSim]);
  await faults.checkFaultFails(t, faulty(sim), { auth_reject: true }, { instanceOf: ProviderError, message: /401 unauthorized/, attempts: 1 });
});

test('malformed and truncated bodies are clear errors, never a partial list', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(3)), [hetznerSim]));
  await faults.checkFaultFails(t, target, { malformed: true }, { code: 'ERR_MALFORMED_RESPONSE', attempts: 1 }, { maxAttempts: 1 });
  const truncated = { instanceOf: ProviderError, code: 'ERR_PROVIDER', message: new RegExp(faults.TRUNCATED_CAUSE), attempts: 1 };
  await faults.checkFaultFails(t, target, { truncated: true }, truncated, { maxAttempts: 1 });
});

test('a page failing after the first: the whole call fails (no partial list)', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(120)), [hetznerSim]));
  // Page 1, then pages 2 and 3 at once, both refused as throttled: page 2 is read once more alone,
  // refused again, and that ends the call.
  const limit = { rate_limit: { rps: 0.001, burst: 1 } };
  await faults.checkFaultFails(t, target, limit, { code: 'ERR_PROVIDER_THROTTLED', attempts: 4 }, { maxAttempts: 1 });
});

test('rate_limit: throttled pages are retried until every page is read', async (t) => {
  const target = faulty(await startTestSim(t, fleet(many(120), { page_size: { [API_NAME]: 20 } }), [hetznerSim]));
  await faults.checkRateLimit(t, target, { rps: 5, burst: 2, found: 120, timeoutMs: 60_000 });
});

test('latency past the timeout: a timeout error, not a hang', async (t) => {
  await faults.checkTimeoutAndAbort(t, faulty(await startTestSim(t, fleet(many(3)), [hetznerSim])), { provider: 'hetzner', latencyMs: 30_000, timeoutMs: 500 });
});

test('aborting the call stops it with AbortError', async (t) => {
  const sim = await startTestSim(t, fleet(many(3)), [hetznerSim]);
  sim.setFaults(API_NAME, { latency_ms: 30_000 });
  const controller = new AbortController();
  const call = engine.discover(cfg(sim), { env: env(), signal: controller.signal });
  controller.abort();
  await t.throwsAsync(call, { instanceOf: AbortError });
});

test('servers appearing later (appear_after_ms) are not listed before they exist', async (t) => {
  const sim = await startTestSim(t, fleet([server(1)]), [hetznerSim]);
  await faults.checkAppearsLater(t, faulty(sim), server(2), { before: ['10.0.0.1'], after: ['10.0.0.1', '10.0.0.2'] });
});

// ---------------------------------------------------------------- proxy

test('HTTP_PROXY carries every request (tinyproxy log); NO_PROXY bypasses it', async (t) => {
  await faults.checkProxy(t, faulty(await startTestSim(t, fleet(many(60)), [hetznerSim])), { found: 60, secrets: [TOKEN] });
});

// ---------------------------------------------------------------- the CLI's outputs

test('CLI: check, addrs --format json and a refused token print no secret', async (t) => {
  const sim = await startTestSim(t, fleet(many(2)), [hetznerSim]);
  const config = cfg(sim);
  await faults.checkCliHidesSecrets(t, (argv, extra) => runDiscover(argv, { env: extra }), {
    check: { args: [config], shows: 'api_token=***' },
    addrs: { args: [config], addresses: ['10.0.0.1', '10.0.0.2'] },
    refused: { args: [config.replace(TOKEN, 'wrong-token-abc123')], says: /401 unauthorized/ },
    secrets: [TOKEN, 'wrong-token-abc123'],
  });
});

// ---------------------------------------------------------------- recorded sample, paste

test('the recorded sample and the simulator agree on every path the extractor reads', async (t) => {
  const sample = JSON.parse(readFileSync(new URL('./fixtures/servers.json', import.meta.url), 'utf8'));
  const sim = await startTestSim(t, fleet([server(1, { network_id: 4711, extra_nics: [{ private_ipv4: '10.1.0.1' }] }), server(2)]), [hetznerSim]);
  const served = await fetch(`${sim.httpUrl}/v1/servers?per_page=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const body = await served.json();
  const paths = [
    'servers',
    'servers.id',
    'servers.name',
    'servers.status',
    'servers.labels',
    'servers.location.name',
    'servers.public_net.ipv4.ip',
    'servers.public_net.ipv6.ip',
    'servers.private_net',
    'servers.private_net.network',
    'servers.private_net.ip',
    'meta.pagination.page',
    'meta.pagination.per_page',
    'meta.pagination.next_page',
    'meta.pagination.last_page',
    'meta.pagination.total_entries',
  ];
  t.deepEqual(sampleProblems(body, sample, { paths, objects: ['servers'] }), []);
  t.truthy(served.headers.get('ratelimit-remaining'));
  const refused = await fetch(`${sim.httpUrl}/v1/servers`, { headers: { authorization: 'Bearer wrong' } });
  t.is(refused.status, 401);
  const recordedError = JSON.parse(readFileSync(new URL('./fixtures/error-unauthorized.json', import.meta.url), 'utf8'));
  t.deepEqual(await refused.json(), recordedError);
  sim.setFaults(API_NAME, { error: 'throttle' });
  const throttled = await fetch(`${sim.httpUrl}/v1/servers`, { headers: { authorization: `Bearer ${TOKEN}` } });
  t.is(throttled.status, 429);
  t.deepEqual(await throttled.json(), JSON.parse(readFileSync(new URL('./fixtures/error-rate-limit.json', import.meta.url), 'utf8')));
});

test('the sim paste gives a working config', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [hetznerSim]);
  const paste = hetznerSim.paste?.(sim.ctx);
  t.is(paste?.config, `provider=hetzner label_selector="role=nomad-server" endpoint=${sim.httpUrl}/v1`);
  t.deepEqual(await engine.addrs(paste?.config ?? '', { env: env(paste?.env) }), ['10.0.0.1', '10.0.0.2', '10.0.0.5']);
});
