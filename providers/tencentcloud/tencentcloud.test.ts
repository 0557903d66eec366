/**
 * provider=tencentcloud through the engine against the simulator's CVM API on 127.0.0.1: every
 * page, every argument, the TC3 verifier (worked example, wrong secret, unknown id, expired
 * timestamp, wrong region, session token), every fault kind, tinyproxy, and secrets kept out of
 * every output.
 */
import test, { type ExecutionContext } from 'ava';
import { Discover } from '../../src/discover.js';
import { MalformedResponseError, ProviderArgsError, ProviderError } from '../../src/errors.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import type { SimRequest } from '../../src/sim/types.js';
import { checkPagesInFlight } from '../../test/helpers/page-gate.js';
import * as faults from '../../test/helpers/provider-faults.js';
import { startTestSim } from '../../test/helpers/sim.js';
import tencentcloud, { createTencentcloudProvider } from './index.js';
import { tc3Sign } from './sign.js';
import tencentcloudSim, { API_NAME, authProblem } from './sim.js';

const ID = 'AKIDsimTEST00000000000000000000000001';
const SECRET = 'sim-tencent-secret-0001';
const engine = new Discover({ builtins: false, providers: [tencentcloud] });

function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { ...process.env, AUTOJOIN_LOOPBACK_ONLY: '1' };
  for (const name of Object.keys(base)) if (/_proxy$/i.test(name) || name.startsWith('TENCENTCLOUD_')) delete base[name];
  return { ...base, ...extra };
}

const ip = (i: number) => `10.20.${i >> 8}.${i & 255}`;

function fleet(n: number, extra: FleetInstance[] = [], pageSize?: number): Fleet {
  const instances: FleetInstance[] = [];
  for (let i = 0; i < n; i++) {
    instances.push({
      id: `ins-${i.toString(16).padStart(8, '0')}`,
      cloud: 'tencentcloud',
      name: `srv-${i}`,
      region: 'ap-guangzhou',
      zone: 'ap-guangzhou-3',
      tags: { consul: 'server' },
      private_ipv4: ip(i),
      ...(i % 2 === 0 ? { public_ipv4: `203.0.113.${i % 250}` } : {}),
    });
  }
  return {
    credentials: { tencentcloud: { secret_id: ID, secret_key: SECRET } },
    instances: [...instances, ...extra],
    services: [],
    ...(pageSize ? { page_size: { [API_NAME]: pageSize } } : {}),
  };
}

const cfg = (url: string, more = '') =>
  `provider=tencentcloud region=ap-guangzhou tag_key=consul tag_value=server access_key_id=${ID} access_key_secret=${SECRET} endpoint=${url} ${more}`.trim();

const addrs = (config: string, options: { env?: Record<string, string | undefined>; timeout?: number; signal?: AbortSignal } = {}, d = engine) =>
  d.addrs(config, { env: options.env ?? env(), timeout: options.timeout ?? 30_000, ...(options.signal ? { signal: options.signal } : {}) });

const all = (n: number) => Array.from({ length: n }, (_, i) => ip(i));

test('every page: 250 instances at the API maximum of 100 (3 pages); 25 at a server cap of 10', async (t) => {
  const sim = await startTestSim(t, fleet(250), [tencentcloudSim]);
  t.deepEqual(await addrs(cfg(sim.httpUrl)), all(250));
  t.is(sim.counts()[API_NAME], 3);
  const capped = await startTestSim(t, fleet(25, [], 10), [tencentcloudSim]);
  t.deepEqual(await addrs(cfg(capped.httpUrl)), all(25));
  t.is(capped.counts()[API_NAME], 3);
});

/** The Offset of a DescribeInstances POST body (-1 for another request). */
function offsetOf(body: string): number {
  try {
    const offset = (JSON.parse(body) as { Offset?: unknown }).Offset;
    return typeof offset === 'number' ? offset : -1;
  } catch {
    return -1;
  }
}

test('pages after the first are read 4 at a time (never more), at the offsets of the served page size; every instance in order', async (t) => {
  const sim = await startTestSim(t, fleet(45, [], 5), [tencentcloudSim]);
  // Nine pages of five (the server serves 5 of the 100 asked): the gate holds pages 2.. until four wait at once.
  await checkPagesInFlight(t, sim.httpUrl, 4, {
    pageOf: (request) => offsetOf(request.body),
    held: (offset) => offset > 0,
    lookup: (url) => addrs(cfg(url), { timeout: 20_000 }),
    addresses: all(45),
    pages: [0, 5, 10, 15, 20, 25, 30, 35, 40],
  });
});

test('only RUNNING instances with the tag in the region; address_type=public_v4 skips those without one', async (t) => {
  const others: FleetInstance[] = [
    { id: 'ins-stopped', cloud: 'tencentcloud', region: 'ap-guangzhou', state: 'stopped', tags: { consul: 'server' }, private_ipv4: '10.9.0.1' },
    { id: 'ins-client', cloud: 'tencentcloud', region: 'ap-guangzhou', tags: { consul: 'client' }, private_ipv4: '10.9.0.2' },
    { id: 'ins-sh', cloud: 'tencentcloud', region: 'ap-shanghai', tags: { consul: 'server' }, private_ipv4: '10.9.0.3' },
  ];
  const sim = await startTestSim(t, fleet(4, others), [tencentcloudSim]);
  t.deepEqual(await addrs(cfg(sim.httpUrl)), all(4));
  t.deepEqual(await addrs(cfg(sim.httpUrl, 'address_type=public_v4')), ['203.0.113.0', '203.0.113.2']);
  t.deepEqual(await addrs(cfg(sim.httpUrl).replace('ap-guangzhou', 'ap-shanghai')), ['10.9.0.3']);
  // No tag: every running instance of the region.
  const noTag = `provider=tencentcloud region=ap-guangzhou access_key_id=${ID} access_key_secret=${SECRET} endpoint=${sim.httpUrl}`;
  t.deepEqual(await addrs(noTag), [...all(4), '10.9.0.2']);
});

test('the -v log counts the instances skipped for want of an address', async (t) => {
  const sim = await startTestSim(t, fleet(3), [tencentcloudSim]);
  const lines: string[] = [];
  const push = (m: string) => {
    lines.push(m);
  };
  const log = { debug: push, info: push, warn: push, error: push };
  await engine.addrs(cfg(sim.httpUrl, 'address_type=public_v4'), { env: env(), timeout: 30_000, logger: log });
  t.true(
    lines.some((l) => l.includes('1 instance(s) skipped: no public_v4 address')),
    lines.join('\n'),
  );
});

test('targets carry the instance id, name and zone', async (t) => {
  const sim = await startTestSim(t, fleet(1), [tencentcloudSim]);
  const targets = await engine.discover(cfg(sim.httpUrl), { env: env(), timeout: 30_000 });
  t.like(targets[0], { address: ip(0), id: 'ins-00000000', name: 'srv-0', zone: 'ap-guangzhou-3' });
});

test('credentials and region from TENCENTCLOUD_SECRET_ID / _SECRET_KEY / _REGION', async (t) => {
  const sim = await startTestSim(t, fleet(2), [tencentcloudSim]);
  const found = await addrs(`provider=tencentcloud tag_key=consul tag_value=server endpoint=${sim.httpUrl}`, {
    env: env({ TENCENTCLOUD_SECRET_ID: ID, TENCENTCLOUD_SECRET_KEY: SECRET, TENCENTCLOUD_REGION: 'ap-guangzhou' }),
  });
  t.deepEqual(found, all(2));
});

test('strict arguments: no region, a lone tag_key, an unknown address_type are config errors before any request', async (t) => {
  const sim = await startTestSim(t, fleet(1), [tencentcloudSim]);
  const bad = [
    `provider=tencentcloud access_key_id=${ID} access_key_secret=${SECRET} endpoint=${sim.httpUrl}`,
    cfg(sim.httpUrl).replace(' tag_value=server', ''),
    cfg(sim.httpUrl, 'address_type=public_v6'),
    `provider=tencentcloud region=ap-guangzhou access_key_id=${ID} endpoint=${sim.httpUrl}`,
  ];
  const keys = ['region', 'tag_key', 'address_type', 'access_key_secret'];
  for (const [i, config] of bad.entries()) {
    const err = await t.throwsAsync(addrs(config), { instanceOf: ProviderArgsError });
    t.regex(err?.message ?? '', new RegExp(keys[i] ?? ''));
  }
  t.is(sim.counts()[API_NAME] ?? 0, 0);
});

test('the verifier accepts the published worked example at its own time, and refuses it 5 minutes later', (t) => {
  const payload = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
  const req: SimRequest = {
    method: 'POST',
    url: new URL('https://cvm.tencentcloudapi.com/'),
    scheme: 'https',
    body: Buffer.from(payload),
    headers: {
      'content-type': 'application/json; charset=utf-8',
      host: 'cvm.tencentcloudapi.com',
      'x-tc-timestamp': '1551113065',
      authorization:
        'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
    },
  };
  const creds = { secret_id: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE', secret_key: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE' };
  t.is(authProblem(req, creds, 1551113065), undefined);
  t.regex(String(authProblem(req, creds, 1551113065 + 301)?.body), /AuthFailure\.SignatureExpire/);
  t.regex(String(authProblem(req, { ...creds, secret_key: 'other' }, 1551113065)?.body), /AuthFailure\.SignatureFailure/);
  t.regex(String(authProblem({ ...req, body: Buffer.from(`${payload} `) }, creds, 1551113065)?.body), /AuthFailure\.SignatureFailure/);
  // The signer produced the same header.
  t.is(
    tc3Sign({
      ...creds,
      secretId: creds.secret_id,
      secretKey: creds.secret_key,
      timestamp: 1551113065,
      service: 'cvm',
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', host: 'cvm.tencentcloudapi.com' },
      payload,
    }).authorization,
    String(req.headers.authorization),
  );
});

/** The sim and the lookup of `config` against it, for the shared fault scenarios. */
function target(sim: RunningSim, config = cfg(sim.httpUrl)): faults.FaultTarget {
  return { sim, api: API_NAME, lookup: (options = {}) => engine.addrs(config, { timeout: 30_000, ...options, env: env(options.env) }) };
}

/** A sim of `n` instances (`pageSize` a page) and the lookup against it. */
const faulty = async (t: ExecutionContext, n = 3, pageSize?: number) => target(await startTestSim(t, fleet(n, [], pageSize), [tencentcloudSim]));

test('a wrong secret is AuthFailure.SignatureFailure (HTTP 200 body): one attempt, names access_key_secret, never the secret', async (t) => {
  const sim = await startTestSim(t, fleet(2), [tencentcloudSim]);
  const wrong = 'not-the-secret-0001';
  await faults.checkCredentialRefused(t, target(sim, cfg(sim.httpUrl).replace(SECRET, wrong)), [wrong, SECRET], {
    instanceOf: ProviderError,
    message: /^discover-tencentcloud: DescribeInstances failed: AuthFailure\.SignatureFailure: the signature was refused: access_key_secret is wrong/,
    cloudCode: 'AuthFailure.SignatureFailure',
  });
});

test('an unknown secret id is AuthFailure.SecretIdNotFound naming access_key_id; not retried', async (t) => {
  const sim = await startTestSim(t, fleet(2), [tencentcloudSim]);
  const refused = { instanceOf: ProviderError, message: /AuthFailure\.SecretIdNotFound: access_key_id was refused/ };
  await faults.checkCredentialRefused(t, target(sim, cfg(sim.httpUrl).replace(ID, 'AKIDunknown')), [SECRET], refused);
});

test('a clock 10 minutes slow is AuthFailure.SignatureExpire, said as a clock problem', async (t) => {
  const sim = await startTestSim(t, fleet(2), [tencentcloudSim]);
  const slow = new Discover({ builtins: false, providers: [createTencentcloudProvider({ now: () => Date.now() - 600_000 })] });
  await t.throwsAsync(addrs(cfg(sim.httpUrl), {}, slow), { instanceOf: ProviderError, message: /AuthFailure\.SignatureExpire: .*clock/ });
  t.is(sim.counts()[API_NAME], 1);
  // 2 minutes off is inside Tencent's 5-minute window.
  const near = new Discover({ builtins: false, providers: [createTencentcloudProvider({ now: () => Date.now() - 120_000 })] });
  t.deepEqual(await addrs(cfg(sim.httpUrl), {}, near), all(2));
});

test('an unknown region is UnsupportedRegion naming the region', async (t) => {
  const sim = await startTestSim(t, fleet(2), [tencentcloudSim]);
  await t.throwsAsync(addrs(cfg(sim.httpUrl).replace('ap-guangzhou', 'xx-nowhere-9')), {
    instanceOf: ProviderError,
    message: /UnsupportedRegion: region xx-nowhere-9 was refused/,
  });
});

test('session_token: required by the fleet, sent as X-TC-Token, refused when wrong', async (t) => {
  const f = fleet(2);
  f.credentials.tencentcloud = { secret_id: ID, secret_key: SECRET, session_token: 'sim-sts-token-1' };
  const sim = await startTestSim(t, f, [tencentcloudSim]);
  t.deepEqual(await addrs(cfg(sim.httpUrl, 'session_token=sim-sts-token-1')), all(2));
  t.deepEqual(await addrs(cfg(sim.httpUrl), { env: env({ TENCENTCLOUD_SESSION_TOKEN: 'sim-sts-token-1' }) }), all(2));
  const err = await t.throwsAsync(addrs(cfg(sim.httpUrl, 'session_token=wrong-token-1')), {
    instanceOf: ProviderError,
    message: /AuthFailure\.TokenFailure: session_token was refused/,
  });
  t.false(err?.message.includes('wrong-token-1'));
});

// --- faults -----------------------------------------------------------------------------------

test('RequestLimitExceeded twice (HTTP 200 body), then success: retried as throttling', async (t) => {
  await faults.checkFaultRecovers(t, await faulty(t), { error: 'throttle', error_count: 2 }, { found: all(3), attempts: 3 });
});

test('RequestLimitExceeded on every call: a throttled ProviderError after 4 attempts', async (t) => {
  const target = await faulty(t);
  await faults.checkFaultFails(
    t,
    target,
    { error: 'throttle' },
    { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', cloudCode: 'RequestLimitExceeded', attempts: 4 },
  );
});

test('InternalError (200 body) once and a bare 500 once are retried', async (t) => {
  const target = await faulty(t);
  for (const error of ['server', 500] as const) await faults.checkFaultRecovers(t, target, { error, error_count: 1 }, { found: all(3), attempts: 2 });
});

test('unavailable on every call: 4 attempts, then ServiceUnavailable', async (t) => {
  await faults.checkFaultFails(t, await faulty(t), { error: 'unavailable' }, { instanceOf: ProviderError, message: /ServiceUnavailable/, attempts: 4 });
});

test('auth rejection fault: one attempt, a typed error', async (t) => {
  const refused = { instanceOf: ProviderError, message: /AuthFailure\.SignatureFailure/, attempts: 1 };
  await faults.checkFaultFails(t, await faulty(t), { auth_reject: true }, refused);
});

test('a malformed page is an error, never a partial list', async (t) => {
  await faults.checkFaultFails(t, await faulty(t, 150), { malformed: true }, { instanceOf: MalformedResponseError, attempts: 1 });
});

test('a truncated body and a reset connection are retried, then reported', async (t) => {
  await faults.checkResetAndTruncated(t, await faulty(t), 'discover-tencentcloud: DescribeInstances failed: ');
});

test('latency past the timeout is a TimeoutError; an abort is an AbortError', async (t) => {
  await faults.checkTimeoutAndAbort(t, await faulty(t), { provider: 'tencentcloud' });
});

test.serial('a rate limit (token bucket) throttles later pages; backoff still gets every page', async (t) => {
  await faults.checkRateLimit(t, await faulty(t, 50, 10), { rps: 20, burst: 1, found: all(50) });
});

// --- proxy and secrets ---------------------------------------------------------------------------

test('instances appearing later (appear_after_ms) are not listed before they exist', async (t) => {
  const late: FleetInstance = {
    id: 'ins-late0001',
    cloud: 'tencentcloud',
    region: 'ap-guangzhou',
    tags: { consul: 'server' },
    private_ipv4: '10.41.0.9',
  };
  await faults.checkAppearsLater(t, await faulty(t, 2), late, { before: all(2), after: [...all(2), '10.41.0.9'] });
});

test('HTTP_PROXY carries the signed POST (tinyproxy log); the signature still verifies', async (t) => {
  await faults.checkProxy(t, await faulty(t, 120), { found: all(120), secrets: [SECRET] });
});

test('the secret is absent from check (text, JSON), addrs --format json, the logs and the auth error', async (t) => {
  const sim = await startTestSim(t, fleet(2), [tencentcloudSim]);
  const args = cfg(sim.httpUrl).split(' ');
  const refused = args.map((w) => w.replace(SECRET, 'wrong-secret-zz1'));
  await faults.checkCliHidesSecrets(t, faults.inProcessCli(env()), {
    check: { args, shows: 'access_key_secret=***' },
    checkJson: { args },
    addrs: { args, addresses: all(2) },
    refused: { args: refused, says: /tencentcloud.*access_key_secret/ },
    secrets: [SECRET, 'wrong-secret-zz1'],
  });
});

test('the paste block of the demo fleet works as printed', async (t) => {
  const demo = tencentcloudSim.fleet?.demo as Fleet;
  const sim = await startTestSim(t, { credentials: demo.credentials, instances: demo.instances, services: [] }, [tencentcloudSim]);
  const paste = tencentcloudSim.paste?.(sim.ctx);
  t.truthy(paste);
  t.deepEqual(await addrs(paste?.config as string, { env: env(paste?.env) }), ['10.11.0.11', '10.11.0.12', '10.11.0.13']);
});
