/**
 * provider=gce end to end: the official @google-cloud/compute client and google-auth-library
 * against the simulator on 127.0.0.1, through the engine. The simulator is also the identity
 * provider (its service-account key, its token endpoint checking RS256 signatures) and the
 * metadata server. Every fault kind, paging, proxy and NO_PROXY (tinyproxy's log). Nothing
 * leaves loopback.
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { AGGREGATED_FIELDS, LIST_FIELDS, ZONE_FIELDS } from './fields.js';
import gce from './index.js';
import gceSim from './sim.js';
import { Discover, type DiscoverOptions } from '../../src/discover.js';
import { AbortError, MalformedResponseError, ProviderArgsError, ProviderError, TimeoutError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/index.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import type { SimApi, SimModule } from '../../src/sim/types.js';
import { retryWaitMs, startFront } from '../../test/helpers/front.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { startTinyproxy } from '../../test/helpers/tinyproxy.js';
import { waitUntil, within } from '../../test/helpers/wait.js';

// Load the SDK (about a second of CPU, much more on a busy machine) before any test starts its
// clock: the first test used to pay it inside its own timeout.
await Promise.all([import('./client.js'), import('./auth.js')]);

/**
 * The engine, with a call bound far above loading time unless a test sets its own: from sources
 * each simulator endpoint builds its own compute client (half a second of CPU on an idle machine,
 * many times that with the suite's other files on both cores), and a test is about the answer.
 */
const discoverer = new Discover({ builtins: false, providers: [gce] });
const engine = {
  addrs: (cfg: string, options: DiscoverOptions = {}) => discoverer.addrs(cfg, { timeout: '10m', ...options }),
  discover: (cfg: string, options: DiscoverOptions = {}) => discoverer.discover(cfg, { timeout: '10m', ...options }),
};
const PROJECT = 'sim-proj-7';

/**
 * 10 consul servers over us-west1-a/b and us-central1-b (server 3 TERMINATED, server 5 STOPPING),
 * 4 clients (other label, other tag), 2 servers in another project.
 */
function gceFleet(pageSize?: number): Fleet {
  const instances: FleetInstance[] = [];
  const zones = ['us-west1-a', 'us-west1-b', 'us-central1-b'];
  for (let i = 0; i < 10; i++) {
    instances.push({
      id: `consul-${i}`,
      cloud: 'gce',
      zone: zones[i % 3]!,
      labels: { role: 'consul-server', env: i % 2 ? 'prod' : 'dev' },
      network_tags: ['consul', 'http-server'],
      private_ipv4: `10.128.0.${i}`,
      ...(i === 3 ? { state: 'stopped' } : {}),
      ...(i === 5 ? { state: 'STOPPING' } : {}),
      ...(i < 2 ? { public_ipv4: `34.1.0.${i}`, private_ipv6: `fd20:0:0:${i}::1`, public_ipv6: `2600:1900:4000::${i}` } : {}),
      // Public address on the second NIC only.
      ...(i === 2 ? { extra_nics: [{ private_ipv4: '10.130.0.2', public_ipv4: '34.9.9.2' }] } : {}),
    });
  }
  for (let i = 0; i < 4; i++) {
    instances.push({
      id: `client-${i}`,
      cloud: 'gce',
      zone: 'us-west1-a',
      labels: { role: 'consul-client' },
      network_tags: ['client'],
      private_ipv4: `10.128.1.${i}`,
    });
  }
  for (let i = 0; i < 2; i++) {
    instances.push({
      id: `other-${i}`,
      cloud: 'gce',
      project: 'other-proj',
      zone: 'us-west1-a',
      labels: { role: 'consul-server' },
      network_tags: ['consul'],
      private_ipv4: `10.200.0.${i}`,
    });
  }
  instances.push({ id: 'i-aws', cloud: 'aws', region: 'eu-west-1', tags: { role: 'consul-server' }, private_ipv4: '10.9.9.9' });
  return {
    credentials: { gce: { project: PROJECT, client_email: `discovery@${PROJECT}.iam.gserviceaccount.com` } },
    instances,
    ...(pageSize ? { page_size: { 'gce-compute': pageSize } } : {}),
  };
}

const RUNNING_SERVERS = [0, 1, 2, 4, 6, 7, 8, 9].map((i) => `10.128.0.${i}`);

interface Setup {
  sim: RunningSim;
  stateDir: string;
  keyFile: string;
  /** A config prefix: provider, project, credentials file and endpoint. */
  base: string;
  env: Record<string, string | undefined>;
}

/** A simulator in its own state folder (its key file is not shared with other tests). */
async function setup(t: ExecutionContext, fleet: Fleet = gceFleet()): Promise<Setup> {
  const stateDir = mkdtempSync(join(tmpdir(), 'autojoin-gce-test-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const sim = await startTestSim(t, fleet, [gceSim], { stateDir });
  const keyFile = join(stateDir, 'gce-service-account.json');
  return {
    sim,
    stateDir,
    keyFile,
    base: `provider=gce project_name=${PROJECT} credentials_file=${keyFile} endpoint=${sim.httpUrl}`,
    // No metadata server unless a test asks for it; no proxy unless a test sets one.
    env: { AUTOJOIN_LOOPBACK_ONLY: '1', METADATA_SERVER_DETECTION: 'none', HOME: stateDir },
  };
}

function sorted(addresses: string[]): string[] {
  return [...addresses].sort();
}

test('credentials_file: the service-account key is exchanged at the simulator token_uri, RUNNING servers by label', async (t) => {
  const s = await setup(t);
  const addrs = await engine.addrs(`${s.base} label_key=role label_value=consul-server`, { env: s.env });
  t.deepEqual(sorted(addrs), sorted(RUNNING_SERVERS));
  const counts = s.sim.counts();
  t.is(counts['gce-oauth'], 1, 'one token for the whole call');
  t.is(counts['gce-compute'], 1, 'one aggregated page');
  t.is(counts['gce-metadata'], undefined, 'no metadata lookups with a key file and a project');
});

test('project_name absent: the key file project_id is used', async (t) => {
  const s = await setup(t);
  const addrs = await engine.addrs(`provider=gce credentials_file=${s.keyFile} endpoint=${s.sim.httpUrl} tag_value=consul`, { env: s.env });
  t.deepEqual(sorted(addrs), sorted(RUNNING_SERVERS));
});

test('metadata server ADC: project id and token from GCE_METADATA_HOST, no key file', async (t) => {
  const s = await setup(t);
  const env = { AUTOJOIN_LOOPBACK_ONLY: '1', HOME: s.stateDir, GCE_METADATA_HOST: new URL(s.sim.httpUrl).host };
  const retries: string[] = [];
  const logger = { debug() {}, info: (line: string) => (/metadata .*; attempt \d+ of/.test(line) ? retries.push(line) : 0), warn() {}, error() {} };
  const addrs = await engine.addrs(`provider=gce endpoint=${s.sim.httpUrl} tag_value=consul`, { env, logger });
  t.deepEqual(sorted(addrs), sorted(RUNNING_SERVERS));
  const counts = s.sim.counts();
  // Detection, project-id, token; plus any retry the log shows (a metadata answer past its 5 s
  // bound on a busy machine is asked again).
  t.is(counts['gce-metadata'], 3 + retries.length, `detection, project-id, token; retries: ${retries.join(' | ')}`);
  t.is(counts['gce-oauth'], undefined);
});

test('GOOGLE_APPLICATION_CREDENTIALS is read when credentials_file is absent', async (t) => {
  const s = await setup(t);
  const env = { ...s.env, GOOGLE_APPLICATION_CREDENTIALS: s.keyFile };
  const addrs = await engine.addrs(`provider=gce endpoint=${s.sim.httpUrl} tag_value=consul`, { env });
  t.deepEqual(sorted(addrs), sorted(RUNNING_SERVERS));
  t.is(s.sim.counts()['gce-oauth'], 1);
});

test('no credentials and METADATA_SERVER_DETECTION=none: a clear error before any compute call', async (t) => {
  const s = await setup(t);
  await t.throwsAsync(engine.addrs(`provider=gce project_name=${PROJECT} endpoint=${s.sim.httpUrl} tag_value=consul`, { env: s.env }), {
    instanceOf: ProviderError,
    message: /metadata detection failed: the metadata server is disabled \(METADATA_SERVER_DETECTION=none\)/,
  });
  t.is(s.sim.counts()['gce-compute'], undefined);
});

test('a key the simulator did not issue: the token endpoint answers 400 invalid_grant, not retried', async (t) => {
  const s = await setup(t);
  const good = JSON.parse(readFileSync(s.keyFile, 'utf8')) as Record<string, string>;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const wrongFile = join(s.stateDir, 'wrong-key.json');
  writeFileSync(wrongFile, JSON.stringify({ ...good, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }));
  const err = await t.throwsAsync(
    engine.addrs(`provider=gce project_name=${PROJECT} credentials_file=${wrongFile} endpoint=${s.sim.httpUrl} tag_value=consul`, { env: s.env }),
    { instanceOf: ProviderError, message: /failed: 400 invalid_grant: Invalid JWT Signature\./ },
  );
  t.is(err?.status, 400);
  t.is(err?.cloudCode, 'invalid_grant');
  t.false(err?.message.includes('PRIVATE KEY'), 'the key never reaches the message');
  t.is(s.sim.counts()['gce-oauth'], 1, 'an auth rejection is final');
  t.is(s.sim.counts()['gce-compute'], undefined, 'no compute call without a token');
});

test('zone_pattern: zones.list with name eq <RE2>, then instances.list in the matching zones only', async (t) => {
  const s = await setup(t);
  const addrs = await engine.addrs(`${s.base} tag_value=consul zone_pattern=us-west1-.*`, { env: s.env });
  // Servers in us-west1-a (0,6,9; 3 terminated) and us-west1-b (1,4,7).
  t.deepEqual(sorted(addrs), sorted([0, 6, 9, 1, 4, 7].map((i) => `10.128.0.${i}`)));
  // 1 zones page + 3 us-west1 zones.
  t.is(s.sim.counts()['gce-compute'], 4);
});

test('zone_pattern matches whole names (RE2 full match) and a bad pattern is refused before any call', async (t) => {
  const s = await setup(t);
  t.deepEqual(await engine.addrs(`${s.base} tag_value=consul zone_pattern=us-west1`, { env: s.env }), []);
  await t.throwsAsync(engine.addrs(`${s.base} tag_value=consul zone_pattern=us-(west`, { env: s.env }), {
    instanceOf: ProviderArgsError,
    message: /zone_pattern "us-\(west" is not a valid regular expression/,
  });
});

test('labels: only instances with the label value, the filter sent server-side', async (t) => {
  const s = await setup(t);
  const prod = await engine.addrs(`${s.base} label_key=env label_value=prod`, { env: s.env });
  t.deepEqual(sorted(prod), sorted([1, 7, 9].map((i) => `10.128.0.${i}`)));
  const clients = await engine.addrs(`${s.base} label_key=role label_value=consul-client`, { env: s.env });
  t.deepEqual(sorted(clients), ['10.128.1.0', '10.128.1.1', '10.128.1.2', '10.128.1.3']);
});

test('network tag and label together: both must match', async (t) => {
  const s = await setup(t);
  t.deepEqual(await engine.addrs(`${s.base} tag_value=client label_key=role label_value=consul-server`, { env: s.env }), []);
  const both = await engine.addrs(`${s.base} tag_value=http-server label_key=env label_value=dev`, { env: s.env });
  t.deepEqual(sorted(both), sorted([0, 2, 4, 6, 8].map((i) => `10.128.0.${i}`)));
});

test('RUNNING only by default; status= widens it', async (t) => {
  const s = await setup(t);
  const any = await engine.discover(`${s.base} tag_value=consul status=any`, { env: s.env });
  t.deepEqual(sorted(any.map((x) => x.address)), sorted(Array.from({ length: 10 }, (_, i) => `10.128.0.${i}`)));
  t.is(any.find((x) => x.address === '10.128.0.3')?.meta?.status, 'TERMINATED');
  const two = await engine.addrs(`${s.base} tag_value=consul status=RUNNING,stopping`, { env: s.env });
  t.deepEqual(sorted(two), sorted([...RUNNING_SERVERS, '10.128.0.5']));
  const stopped = await engine.addrs(`${s.base} tag_value=consul status=TERMINATED`, { env: s.env });
  t.deepEqual(stopped, ['10.128.0.3']);
  await t.throwsAsync(engine.addrs(`${s.base} tag_value=consul status=running,asleep`, { env: s.env }), {
    instanceOf: ProviderArgsError,
    message: /status "running,asleep" is not a list of/,
  });
});

test('addr_type: public_v4 (any NIC), private_v6 and public_v6', async (t) => {
  const s = await setup(t);
  t.deepEqual(sorted(await engine.addrs(`${s.base} tag_value=consul addr_type=public_v4`, { env: s.env })), ['34.1.0.0', '34.1.0.1', '34.9.9.2']);
  t.deepEqual(sorted(await engine.addrs(`${s.base} tag_value=consul addr_type=private_v6`, { env: s.env })), ['fd20:0:0:0::1', 'fd20:0:0:1::1']);
  t.deepEqual(sorted(await engine.addrs(`${s.base} tag_value=consul addr_type=public_v6`, { env: s.env })), ['2600:1900:4000::0', '2600:1900:4000::1']);
});

test('targets carry the instance id, name and zone', async (t) => {
  const s = await setup(t);
  const [first] = await engine.discover(`${s.base} tag_value=consul zone_pattern=us-central1-b`, { env: s.env });
  t.is(first?.name, 'consul-2');
  t.is(first?.zone, 'us-central1-b');
  t.regex(first?.id ?? '', /^[0-9]+$/);
});

test('several pages: aggregated instances, zones and per-zone instances are all followed', async (t) => {
  const s = await setup(t, gceFleet(2));
  const addrs = await engine.addrs(`${s.base} tag_value=consul`, { env: s.env });
  t.deepEqual(sorted(addrs), sorted(RUNNING_SERVERS));
  // 12 RUNNING instances (status is filtered server-side, the tag client-side), 2 a page.
  t.is(s.sim.counts()['gce-compute'], 6);
  s.sim.resetCounts();
  const west = await engine.addrs(`${s.base} label_key=role label_value=consul-server zone_pattern=us-west1-a|us-central1-b`, { env: s.env });
  // us-west1-a: 0, 6, 9 (2 pages); us-central1-b: 2, 8 (1 page).
  t.deepEqual(sorted(west), sorted([0, 6, 9, 2, 8].map((i) => `10.128.0.${i}`)));
  // 1 zones page (2 zones) + 2 + 1 instance pages.
  t.is(s.sim.counts()['gce-compute'], 4);
  s.sim.resetCounts();
  const allZones = await engine.addrs(`${s.base} tag_value=consul zone_pattern=.*`, { env: s.env });
  t.deepEqual(sorted(allZones), sorted(RUNNING_SERVERS));
  // 19 zones -> 10 zone pages; 16 empty zones 1 page each; RUNNING in us-west1-a: 3 servers + 4 clients
  // (4 pages), us-west1-b: 3 (2 pages), us-central1-b: 2 (1 page).
  t.is(s.sim.counts()['gce-compute'], 10 + 16 + 4 + 2 + 1);
});

test('fault latency: slower but complete; past the timeout: TimeoutError', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('gce-compute', { latency_ms: 150 });
  const started = Date.now();
  t.deepEqual(sorted(await engine.addrs(`${s.base} tag_value=consul`, { env: s.env })), sorted(RUNNING_SERVERS));
  t.true(Date.now() - started >= 150);
  s.sim.setFaults('gce-compute', { latency_ms: 5000 });
  await t.throwsAsync(engine.addrs(`${s.base} tag_value=consul`, { env: s.env, timeout: '1500ms' }), { instanceOf: TimeoutError, code: 'ERR_TIMEOUT' });
});

test('fault throttle: 403 rateLimitExceeded with Retry-After is retried after the wait, then succeeds', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('gce-compute', { error: 'throttle', error_count: 1 });
  // Compute calls go through a recording front: the wait is read on the server side, SDK loading apart.
  const front = await startFront(t, s.sim.httpUrl);
  const lines: string[] = [];
  const logger = { debug() {}, info: (line: string) => lines.push(line), warn() {}, error() {} };
  const config = `${s.base.replace(`endpoint=${s.sim.httpUrl}`, `endpoint=${front.url}`)} tag_value=consul`;
  t.deepEqual(sorted(await engine.addrs(config, { env: s.env, logger })), sorted(RUNNING_SERVERS));
  // Retry-After: 1 -> 1000 ms plus a spread under 100 ms; ignored, the backoff would draw below 200 ms.
  t.true(
    lines.some((line) => /instances\.aggregatedList failed: 403 rateLimitExceeded.*; throttled, attempt 2 of 4 in 10\d\dms$/.test(line)),
    lines.join('\n'),
  );
  const waited = retryWaitMs(t, front, 403);
  t.true(waited >= 990, `the retry came ${waited.toFixed(0)} ms after the 403 left (Retry-After: 1)`);
  t.is(s.sim.counts()['gce-compute'], 2);
});

test('fault throttle, every time: a throttled ProviderError after 4 attempts', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('gce-compute', { error: 'throttle' });
  const err = await t.throwsAsync(engine.addrs(`${s.base} tag_value=consul`, { env: s.env }), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER_THROTTLED',
    message: 'discover-gce: instances.aggregatedList failed: 403 rateLimitExceeded: Rate Limit Exceeded',
  });
  t.true(err?.throttled);
  t.is(err?.retryAfterMs, 1000);
  t.is(s.sim.counts()['gce-compute'], 4);
});

for (const [error, status, code] of [
  [500, 500, 'backendError'],
  [503, 503, 'backendError'],
  ['server', 500, 'backendError'],
  ['unavailable', 503, 'backendError'],
] as const) {
  test(`fault ${error}: exactly 4 attempts (gax retries off), then a typed error, no partial list`, async (t) => {
    const s = await setup(t);
    s.sim.setFaults('gce-compute', { error });
    const err = await t.throwsAsync(engine.addrs(`${s.base} tag_value=consul`, { env: s.env }), {
      instanceOf: ProviderError,
      message: new RegExp(`^discover-gce: instances\\.aggregatedList failed: ${status} ${code}: `),
    });
    t.is(err?.status, status);
    t.is(s.sim.counts()['gce-compute'], 4);
  });
}

test('fault 503 twice then recovery: succeeds on the third attempt', async (t) => {
  const s = await setup(t, gceFleet(3));
  s.sim.setFaults('gce-compute', { error: 503, error_count: 2 });
  t.deepEqual(sorted(await engine.addrs(`${s.base} tag_value=consul`, { env: s.env })), sorted(RUNNING_SERVERS));
  // 2 failures + 4 pages of 3 (12 RUNNING instances).
  t.is(s.sim.counts()['gce-compute'], 6);
});

test('fault auth: 401 UNAUTHENTICATED is final', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('gce-compute', { auth_reject: true });
  const err = await t.throwsAsync(engine.addrs(`${s.base} tag_value=consul`, { env: s.env }), {
    instanceOf: ProviderError,
    message: /^discover-gce: instances\.aggregatedList failed: 401 authError: Request had invalid authentication credentials/,
  });
  t.is(err?.status, 401);
  t.is(s.sim.counts()['gce-compute'], 1);
});

test('fault malformed: a broken 200 body is an error, not an empty list', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('gce-compute', { malformed: true });
  await t.throwsAsync(engine.addrs(`${s.base} tag_value=consul`, { env: s.env }), {
    instanceOf: MalformedResponseError,
    code: 'ERR_MALFORMED_RESPONSE',
    message: /^discover-gce: instances\.aggregatedList: malformed response: not JSON$/,
  });
  t.is(s.sim.counts()['gce-compute'], 1);
});

test('a failure on page 2 fails the call: no partial list', async (t) => {
  const s = await setup(t, gceFleet(3));
  // One request's worth of tokens, then (practically) none: page 1 passes, page 2 is throttled every time.
  s.sim.setFaults('gce-compute', { rate_limit: { rps: 0.001, burst: 1 } });
  await t.throwsAsync(engine.addrs(`${s.base} tag_value=consul`, { env: s.env }), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER_THROTTLED',
  });
  t.is(s.sim.counts()['gce-compute'], 5, 'page 1, then 4 attempts at page 2');
});

test('fault truncated: the cut body is retried as a network failure, then reported', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('gce-compute', { truncated: true });
  await t.throwsAsync(engine.addrs(`${s.base} tag_value=consul`, { env: s.env }), {
    instanceOf: ProviderError,
    message: /^discover-gce: instances\.aggregatedList failed: ECONNRESET: network error: /,
  });
  t.is(s.sim.counts()['gce-compute'], 4);
});

test('fault reset: the dropped connection is retried, then reported', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('gce-compute', { reset: true });
  const err = await t.throwsAsync(engine.addrs(`${s.base} tag_value=consul`, { env: s.env }), {
    instanceOf: ProviderError,
    message: /^discover-gce: instances\.aggregatedList failed: ECONNRESET: network error: .*socket hang up/,
  });
  t.is(err?.cloudCode, 'ECONNRESET');
  t.is(s.sim.counts()['gce-compute'], 4);
});

test('fault rate_limit: pages past the bucket are throttled, waited for and completed', async (t) => {
  const s = await setup(t, gceFleet(4));
  s.sim.setFaults('gce-compute', { rate_limit: { rps: 2, burst: 1 } });
  t.deepEqual(sorted(await engine.addrs(`${s.base} tag_value=consul`, { env: s.env })), sorted(RUNNING_SERVERS));
  t.true((s.sim.counts()['gce-compute'] ?? 0) >= 3, 'at least one throttled answer on the way');
});

test('unknown project: 404 notFound, not retried', async (t) => {
  const s = await setup(t);
  await t.throwsAsync(engine.addrs(`provider=gce project_name=nope credentials_file=${s.keyFile} endpoint=${s.sim.httpUrl} tag_value=consul`, { env: s.env }), {
    instanceOf: ProviderError,
    message: "discover-gce: instances.aggregatedList failed: 404 notFound: The resource 'projects/nope' was not found",
  });
  t.is(s.sim.counts()['gce-compute'], 1);
});

test('another project is served by the same simulator', async (t) => {
  const s = await setup(t);
  const addrs = await engine.addrs(`provider=gce project_name=other-proj credentials_file=${s.keyFile} endpoint=${s.sim.httpUrl} tag_value=consul`, {
    env: s.env,
  });
  t.deepEqual(sorted(addrs), ['10.200.0.0', '10.200.0.1']);
});

test('proxy: compute, token and metadata calls all go through HTTP_PROXY (tinyproxy log)', async (t) => {
  const s = await setup(t);
  const proxy = await startTinyproxy(t);
  const port = new URL(s.sim.httpUrl).port;
  const viaKey = await engine.addrs(`${s.base} tag_value=consul`, { env: { ...s.env, HTTP_PROXY: proxy.url } });
  t.deepEqual(sorted(viaKey), sorted(RUNNING_SERVERS));
  t.deepEqual([...new Set(proxy.requests())], [`CONNECT 127.0.0.1:${port}`]);

  // Token and metadata calls on their own: a host name only they use, the compute endpoint in NO_PROXY.
  const key = JSON.parse(readFileSync(s.keyFile, 'utf8')) as Record<string, string>;
  const localhostKey = join(s.stateDir, 'localhost-token-uri.json');
  writeFileSync(localhostKey, JSON.stringify({ ...key, token_uri: `http://localhost:${port}/token` }));
  const before = proxy.requests().length;
  const tokenOnly = await engine.addrs(`provider=gce project_name=${PROJECT} credentials_file=${localhostKey} endpoint=${s.sim.httpUrl} tag_value=consul`, {
    env: { ...s.env, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' },
  });
  t.deepEqual(sorted(tokenOnly), sorted(RUNNING_SERVERS));
  t.deepEqual(proxy.requests().slice(before), [`CONNECT localhost:${port}`], 'the token request alone was proxied');

  const mark = proxy.requests().length;
  const env = { AUTOJOIN_LOOPBACK_ONLY: '1', HOME: s.stateDir, GCE_METADATA_HOST: `localhost:${port}`, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' };
  const viaMetadata = await engine.addrs(`provider=gce endpoint=${s.sim.httpUrl} tag_value=consul`, { env });
  t.deepEqual(sorted(viaMetadata), sorted(RUNNING_SERVERS));
  const metadataTunnels = proxy.requests().slice(mark);
  t.true(metadataTunnels.length >= 1);
  t.true(
    metadataTunnels.every((r) => r === `CONNECT localhost:${port}`),
    metadataTunnels.join('\n'),
  );
  t.is(s.sim.counts()['gce-metadata'], 3);
});

test('NO_PROXY: a matching host bypasses the proxy for every call', async (t) => {
  const s = await setup(t);
  const proxy = await startTinyproxy(t);
  const port = new URL(s.sim.httpUrl).port;
  const env = { AUTOJOIN_LOOPBACK_ONLY: '1', HOME: s.stateDir, GCE_METADATA_HOST: `127.0.0.1:${port}`, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' };
  t.deepEqual(sorted(await engine.addrs(`provider=gce endpoint=${s.sim.httpUrl} tag_value=consul`, { env })), sorted(RUNNING_SERVERS));
  t.deepEqual(
    sorted(await engine.addrs(`${s.base} tag_value=consul`, { env: { ...s.env, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } })),
    sorted(RUNNING_SERVERS),
  );
  t.deepEqual(proxy.requests(), []);
});

test('arguments are checked before any call: tag or label needed, label pair, label key syntax', async (t) => {
  const s = await setup(t);
  await t.throwsAsync(engine.addrs(`${s.base}`, { env: s.env }), { instanceOf: ProviderArgsError, message: /tag_value or label_key must be provided/ });
  await t.throwsAsync(engine.addrs(`${s.base} label_key=role`, { env: s.env }), {
    instanceOf: ProviderArgsError,
    message: /label_key and label_value must both be set or both be empty/,
  });
  await t.throwsAsync(engine.addrs(`${s.base} label_key=Role label_value=x`, { env: s.env }), {
    instanceOf: ProviderArgsError,
    message: /label_key "Role" is not a GCE label key/,
  });
  await t.throwsAsync(engine.addrs(`${s.base} tag_value=consul addr_type=ipv6`, { env: s.env }), { instanceOf: ProviderArgsError });
  t.deepEqual(s.sim.counts(), {});
});

test('a label value with quotes is escaped in the filter and still matches exactly', async (t) => {
  const fleet = gceFleet();
  fleet.instances.push({ id: 'odd', cloud: 'gce', labels: { note: 'a"b\\c' }, private_ipv4: '10.99.0.1' });
  const s = await setup(t, fleet);
  t.deepEqual(await engine.addrs(`${s.base} label_key=note label_value="a\\"b\\\\c"`, { env: s.env }), ['10.99.0.1']);
});

test('the simulator paste: its config string and env work as printed', async (t) => {
  const s = await setup(t);
  const paste = gceSim.paste?.(s.sim.ctx);
  t.truthy(paste);
  t.regex(paste!.config, /label_key=role label_value=consul-server/);
  t.deepEqual(sorted(await engine.addrs(paste!.config, { env: { ...s.env, ...paste!.env } })), sorted(RUNNING_SERVERS));
});

/** An RS256 JWT signed with `key`, as google-auth-library builds them. */
function assertion(key: string, claims: Record<string, unknown>): string {
  const encode = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(key).toString('base64url')}`;
}

async function tokenRequest(s: Setup, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${s.sim.httpUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('simulator token endpoint: checks grant type, signature, issuer, audience, lifetime and scope', async (t) => {
  const s = await setup(t);
  const key = JSON.parse(readFileSync(s.keyFile, 'utf8')) as { private_key: string; client_email: string; token_uri: string };
  const now = Math.floor(Date.now() / 1000);
  const good = { iss: key.client_email, aud: key.token_uri, scope: 'https://www.googleapis.com/auth/compute', iat: now, exp: now + 3600 };
  const grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
  const ok = await tokenRequest(s, { grant_type: grant, assertion: assertion(key.private_key, good) });
  t.is(ok.status, 200);
  t.regex(String(ok.body.access_token), /^ya29\./);
  t.is(ok.body.token_type, 'Bearer');
  const cases: Array<[Record<string, string>, string]> = [
    [{ grant_type: 'client_credentials' }, 'unsupported_grant_type'],
    [{ grant_type: grant, assertion: 'not.a.jwt.at.all' }, 'invalid_request'],
    [{ grant_type: grant, assertion: assertion(key.private_key, { ...good, iss: 'someone@else.iam.gserviceaccount.com' }) }, 'invalid_grant'],
    [{ grant_type: grant, assertion: assertion(key.private_key, { ...good, aud: 'https://example.test/token' }) }, 'invalid_grant'],
    [{ grant_type: grant, assertion: assertion(key.private_key, { ...good, iat: now - 7200, exp: now - 3600 }) }, 'invalid_grant'],
    [{ grant_type: grant, assertion: assertion(key.private_key, { ...good, scope: 'openid' }) }, 'invalid_scope'],
  ];
  for (const [form, error] of cases) {
    const answer = await tokenRequest(s, form);
    t.is(answer.status, 400, JSON.stringify(form).slice(0, 80));
    t.is(answer.body.error, error);
  }
});

test('simulator compute and metadata: bearer token required, Metadata-Flavor required, strict maxResults and filter', async (t) => {
  const s = await setup(t);
  const url = `${s.sim.httpUrl}/compute/v1/projects/${PROJECT}/aggregated/instances`;
  const missing = await fetch(url);
  t.is(missing.status, 401);
  t.is(((await missing.json()) as { error: { errors: Array<{ reason: string }> } }).error.errors[0]?.reason, 'required');
  const forged = await fetch(url, { headers: { authorization: 'Bearer ya29.forged' } });
  t.is(forged.status, 401);
  t.regex(forged.headers.get('www-authenticate') ?? '', /invalid_token/);

  const noFlavor = await fetch(`${s.sim.httpUrl}/computeMetadata/v1/instance/service-accounts/default/token`);
  t.is(noFlavor.status, 403);
  const token = await fetch(`${s.sim.httpUrl}/computeMetadata/v1/instance/service-accounts/default/token`, { headers: { 'Metadata-Flavor': 'Google' } });
  t.is(token.headers.get('metadata-flavor'), 'Google');
  const bearer = `Bearer ${((await token.json()) as { access_token: string }).access_token}`;

  const tooMany = await fetch(`${url}?maxResults=501`, { headers: { authorization: bearer } });
  t.is(tooMany.status, 400);
  const badFilter = await fetch(`${url}?filter=${encodeURIComponent('cpuPlatform = "x"')}`, { headers: { authorization: bearer } });
  t.is(badFilter.status, 400);
  t.regex(((await badFilter.json()) as { error: { message: string } }).error.message, /Invalid value for field 'filter'/);
  const badToken = await fetch(`${url}?pageToken=bogus`, { headers: { authorization: bearer } });
  t.is(badToken.status, 400);
  const page = (await (await fetch(`${url}?maxResults=1`, { headers: { authorization: bearer } })).json()) as {
    kind: string;
    items: Record<string, { instances?: unknown[]; warning?: { code: string } }>;
    nextPageToken?: string;
  };
  t.is(page.kind, 'compute#instanceAggregatedList');
  t.truthy(page.nextPageToken);
  const scopes = Object.values(page.items);
  t.is(scopes.filter((x) => x.instances).length, 1);
  t.true(scopes.filter((x) => !x.instances).every((x) => x.warning?.code === 'NO_RESULTS_ON_PAGE'));
});

test('simulator scopes: compute refuses a token without a compute scope (403 ACCESS_TOKEN_SCOPE_INSUFFICIENT); the metadata token honours ?scopes=', async (t) => {
  const s = await setup(t);
  const url = `${s.sim.httpUrl}/compute/v1/projects/${PROJECT}/aggregated/instances`;
  const metadataToken = async (query: string) => {
    const answer = await fetch(`${s.sim.httpUrl}/computeMetadata/v1/instance/service-accounts/default/token${query}`, {
      headers: { 'Metadata-Flavor': 'Google' },
    });
    return `Bearer ${((await answer.json()) as { access_token: string }).access_token}`;
  };
  const storage = await fetch(url, {
    headers: { authorization: await metadataToken(`?scopes=${encodeURIComponent('https://www.googleapis.com/auth/devstorage.read_only')}`) },
  });
  t.is(storage.status, 403);
  const body = (await storage.json()) as { error: { status: string; details: Array<{ reason: string }> } };
  t.is(body.error.status, 'PERMISSION_DENIED');
  t.is(body.error.details[0]?.reason, 'ACCESS_TOKEN_SCOPE_INSUFFICIENT');
  const readonly = await fetch(url, {
    headers: {
      authorization: await metadataToken(
        `?scopes=${encodeURIComponent('https://www.googleapis.com/auth/userinfo.email,https://www.googleapis.com/auth/compute.readonly')}`,
      ),
    },
  });
  t.is(readonly.status, 200);
  t.is((await fetch(url, { headers: { authorization: await metadataToken('') } })).status, 200, 'no scopes=: the instance default, cloud-platform');
  // The key-file flow: the token carries the assertion's scopes.
  const key = JSON.parse(readFileSync(s.keyFile, 'utf8')) as { private_key: string; client_email: string; token_uri: string };
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: key.client_email, aud: key.token_uri, scope: 'https://www.googleapis.com/auth/devstorage.read_only', iat: now, exp: now + 3600 };
  const granted = await tokenRequest(s, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(key.private_key, claims) });
  t.is(granted.status, 200);
  t.is((await fetch(url, { headers: { authorization: `Bearer ${String(granted.body.access_token)}` } })).status, 403);
});

/** The gce sim with its compute API wrapped: records each request's field mask, optionally refuses masks like an old server. */
function recordingSim(refuseMasks: boolean): { module: SimModule; masks: Array<string | undefined> } {
  const masks: Array<string | undefined> = [];
  const apis = gceSim.apis.map((api): SimApi => {
    if (api.name !== 'gce-compute') return api;
    return {
      ...api,
      handle(req, ctx) {
        const mask = req.headers['x-goog-fieldmask'] as string | undefined;
        masks.push(mask);
        if (refuseMasks && mask) {
          return {
            status: 400,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ error: { code: 400, message: `Invalid field selection ${mask}`, errors: [{ reason: 'invalidParameter' }] } }),
          };
        }
        return api.handle(req, ctx);
      },
    };
  });
  return { module: { ...gceSim, apis }, masks };
}

test('partial responses: every compute call asks only for the fields discovery reads', async (t) => {
  const { module, masks } = recordingSim(false);
  const stateDir = mkdtempSync(join(tmpdir(), 'autojoin-gce-test-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const sim = await startTestSim(t, gceFleet(3), [module], { stateDir });
  const base = `provider=gce project_name=${PROJECT} credentials_file=${join(stateDir, 'gce-service-account.json')} endpoint=${sim.httpUrl}`;
  const env = { AUTOJOIN_LOOPBACK_ONLY: '1', METADATA_SERVER_DETECTION: 'none', HOME: stateDir };
  t.deepEqual(sorted(await engine.addrs(`${base} tag_value=consul`, { env })), sorted(RUNNING_SERVERS));
  t.deepEqual(sorted(await engine.addrs(`${base} tag_value=consul zone_pattern=us-west1-a`, { env })), ['10.128.0.0', '10.128.0.6', '10.128.0.9']);
  t.true(masks.length > 3);
  t.deepEqual([...new Set(masks)].sort(), [AGGREGATED_FIELDS, LIST_FIELDS, ZONE_FIELDS].sort());
});

test('partial responses refused (400): the page is asked for again without a mask, and so are the next ones', async (t) => {
  const { module, masks } = recordingSim(true);
  const stateDir = mkdtempSync(join(tmpdir(), 'autojoin-gce-test-'));
  t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
  const sim = await startTestSim(t, gceFleet(3), [module], { stateDir });
  const base = `provider=gce project_name=${PROJECT} credentials_file=${join(stateDir, 'gce-service-account.json')} endpoint=${sim.httpUrl}`;
  const env = { AUTOJOIN_LOOPBACK_ONLY: '1', METADATA_SERVER_DETECTION: 'none', HOME: stateDir };
  t.deepEqual(sorted(await engine.addrs(`${base} tag_value=consul`, { env })), sorted(RUNNING_SERVERS));
  // 12 RUNNING instances, 3 a page: 4 pages, plus the refused first try.
  t.deepEqual(masks, [AGGREGATED_FIELDS, undefined, undefined, undefined, undefined]);
});

test('concurrent calls on one endpoint keep their own credentials (shared SDK clients)', async (t) => {
  const s = await setup(t);
  const good = JSON.parse(readFileSync(s.keyFile, 'utf8')) as Record<string, string>;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const wrongFile = join(s.stateDir, 'wrong-key.json');
  writeFileSync(wrongFile, JSON.stringify({ ...good, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }));
  const wrong = `provider=gce project_name=${PROJECT} credentials_file=${wrongFile} endpoint=${s.sim.httpUrl} tag_value=consul`;
  const metadataEnv = { AUTOJOIN_LOOPBACK_ONLY: '1', HOME: s.stateDir, GCE_METADATA_HOST: new URL(s.sim.httpUrl).host };
  const results = await Promise.allSettled([
    engine.addrs(`${s.base} tag_value=consul`, { env: s.env }),
    engine.addrs(wrong, { env: s.env }),
    engine.addrs(`provider=gce endpoint=${s.sim.httpUrl} label_key=env label_value=prod`, { env: metadataEnv }),
    engine.addrs(wrong, { env: s.env }),
    engine.addrs(`${s.base} tag_value=client`, { env: s.env }),
  ]);
  t.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'],
  );
  const value = (i: number) => sorted((results[i] as PromiseFulfilledResult<string[]>).value);
  t.deepEqual(value(0), sorted(RUNNING_SERVERS));
  t.deepEqual(value(2), sorted([1, 7, 9].map((i) => `10.128.0.${i}`)));
  t.deepEqual(value(4), ['10.128.1.0', '10.128.1.1', '10.128.1.2', '10.128.1.3']);
  t.regex(String((results[1] as PromiseRejectedResult).reason), /invalid_grant/);
});

test('https endpoint: compute calls go through the https agent of ctx.http (HTTPS_PROXY applies)', async (t) => {
  const s = await setup(t);
  const proxy = await startTinyproxy(t);
  const http = createHttpClient({ env: { ...s.env, HTTPS_PROXY: proxy.url }, ca: readFileSync(s.sim.caPath) });
  t.teardown(() => http.destroy());
  const cfg = `provider=gce project_name=${PROJECT} credentials_file=${s.keyFile} endpoint=${s.sim.httpsUrl} tag_value=consul`;
  t.deepEqual(sorted(await engine.addrs(cfg, { env: s.env, http })), sorted(RUNNING_SERVERS));
  // The token_uri the simulator writes is http: only the https compute calls used HTTPS_PROXY.
  t.deepEqual([...new Set(proxy.requests())], [`CONNECT 127.0.0.1:${new URL(s.sim.httpsUrl).port}`]);
});

test('abort: the caller signal ends a slow call promptly', async (t) => {
  const s = await setup(t);
  // Held far past the call's own 10-minute bound: only the abort can end the call.
  s.sim.setFaults('gce-compute', { latency_ms: 1_200_000 });
  const controller = new AbortController();
  const call = engine.addrs(`${s.base} tag_value=consul`, { env: s.env, signal: controller.signal, timeout: '10m' });
  // Abort once the compute request is being held (the token has been fetched, the list asked for).
  await waitUntil(() => (s.sim.counts()['gce-compute'] ?? 0) >= 1, 'the compute request');
  controller.abort();
  await within(t.throwsAsync(call, { instanceOf: AbortError }), 'the aborted call');
});

test('loopback guard: the real compute endpoint and the real metadata server are refused before connecting', async (t) => {
  const s = await setup(t);
  await t.throwsAsync(engine.addrs(`provider=gce project_name=${PROJECT} credentials_file=${s.keyFile} tag_value=consul`, { env: s.env }), {
    code: 'ERR_LOOPBACK_ONLY',
    message: /compute\.googleapis\.com/,
  });
  const noMetadataOverride = { AUTOJOIN_LOOPBACK_ONLY: '1', HOME: s.stateDir };
  await t.throwsAsync(engine.addrs(`provider=gce endpoint=${s.sim.httpUrl} tag_value=consul`, { env: noMetadataOverride }), {
    code: 'ERR_LOOPBACK_ONLY',
    message: /metadata\.google\.internal/,
  });
  t.deepEqual(s.sim.counts(), { 'gce-oauth': 1 }, 'only the token request (loopback token_uri) was made');
});

/** A loopback port with nothing listening: a metadata server that is not there (off GCE). */
async function deadPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('off GCE (metadata host not answering): say what to give, then the cause', async (t) => {
  const s = await setup(t);
  const env = { AUTOJOIN_LOOPBACK_ONLY: '1', HOME: s.stateDir, GCE_METADATA_HOST: `127.0.0.1:${await deadPort()}` };
  // No credentials, no project.
  await t.throwsAsync(engine.addrs(`provider=gce endpoint=${s.sim.httpUrl} tag_value=consul`, { env, maxAttempts: 1 }), {
    instanceOf: ProviderError,
    message:
      /^discover-gce: metadata detection failed: no credentials: give credentials_file= \(or set GOOGLE_APPLICATION_CREDENTIALS\) and project_name= \(no metadata server answered: not on GCE\?\): .*ECONNREFUSED/,
  });
  // Credentials whose key names no project, and no project_name.
  const key = JSON.parse(readFileSync(s.keyFile, 'utf8')) as Record<string, string>;
  delete key.project_id;
  const keyFile = join(s.stateDir, 'no-project.json');
  writeFileSync(keyFile, JSON.stringify(key));
  await t.throwsAsync(engine.addrs(`provider=gce credentials_file=${keyFile} endpoint=${s.sim.httpUrl} tag_value=consul`, { env, maxAttempts: 1 }), {
    instanceOf: ProviderError,
    message:
      /^discover-gce: metadata project-id failed: no project: give project_name= \(or set GOOGLE_CLOUD_PROJECT\) \(no metadata server answered: not on GCE\?\): .*ECONNREFUSED/,
  });
});
