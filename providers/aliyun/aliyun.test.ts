/**
 * provider=aliyun through the engine against the simulator's ECS API on 127.0.0.1: every page,
 * every argument, the RPC signature verifier (wrong secret, unknown key, expired timestamp,
 * replayed nonce, wrong region, STS token), every fault kind, tinyproxy, and secrets kept out of
 * every output.
 */
import test, { type ExecutionContext } from 'ava';
import { Discover } from '../../src/discover.js';
import { MalformedResponseError, ProviderArgsError, ProviderError } from '../../src/errors.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import { checkPagesInFlight } from '../../test/helpers/page-gate.js';
import * as faults from '../../test/helpers/provider-faults.js';
import { startTestSim } from '../../test/helpers/sim.js';
import aliyun, { createAliyunProvider } from './index.js';
import aliyunSim, { API_NAME } from './sim.js';

const KEY = 'LTAIsimTEST0000000001';
const SECRET = 'sim-aliyun-secret-0001';
const engine = new Discover({ builtins: false, providers: [aliyun] });

function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { ...process.env, AUTOJOIN_LOOPBACK_ONLY: '1' };
  for (const name of Object.keys(base)) if (/_proxy$/i.test(name) || /^(ALIBABA_CLOUD_|ALICLOUD_|ECS_ENDPOINT)/.test(name)) delete base[name];
  return { ...base, ...extra };
}

const ip = (i: number) => `10.30.${i >> 8}.${i & 255}`;

function fleet(n: number, extra: FleetInstance[] = [], pageSize?: number): Fleet {
  const instances: FleetInstance[] = [];
  for (let i = 0; i < n; i++) {
    instances.push({
      id: `i-${i.toString(16).padStart(12, '0')}`,
      cloud: 'aliyun',
      name: `srv-${i}`,
      region: 'cn-hangzhou',
      zone: 'cn-hangzhou-h',
      tags: { consul: 'server' },
      private_ipv4: ip(i),
      ...(i % 2 === 0 ? { public_ipv4: `203.0.113.${i % 250}` } : {}),
      ...(i % 3 === 0 ? { network_type: 'classic' } : {}),
    });
  }
  return {
    credentials: { aliyun: { access_key_id: KEY, access_key_secret: SECRET } },
    instances: [...instances, ...extra],
    services: [],
    ...(pageSize ? { page_size: { [API_NAME]: pageSize } } : {}),
  };
}

const cfg = (url: string, more = '') =>
  `provider=aliyun region=cn-hangzhou tag_key=consul tag_value=server access_key_id=${KEY} access_key_secret=${SECRET} endpoint=${url} ${more}`.trim();

const addrs = (config: string, options: { env?: Record<string, string | undefined>; timeout?: number; signal?: AbortSignal } = {}, d = engine) =>
  d.addrs(config, { env: options.env ?? env(), timeout: options.timeout ?? 30_000, ...(options.signal ? { signal: options.signal } : {}) });

const all = (n: number) => Array.from({ length: n }, (_, i) => ip(i));

test('every page: 250 instances at PageSize 100 (3 pages); 25 at a server cap of 10 (3 pages)', async (t) => {
  const sim = await startTestSim(t, fleet(250), [aliyunSim]);
  t.deepEqual(await addrs(cfg(sim.httpUrl)), all(250));
  t.is(sim.counts()[API_NAME], 3);
  const capped = await startTestSim(t, fleet(25, [], 10), [aliyunSim]);
  t.deepEqual(await addrs(cfg(capped.httpUrl)), all(25));
  t.is(capped.counts()[API_NAME], 3);
});

/** The page number of a signed DescribeInstances GET (0 for another request). */
const pageNumberOf = (path: string) => Number(/[?&]PageNumber=(\d+)/.exec(path)?.[1] ?? 0);

test('pages after the first are read 4 at a time (never more), planned from TotalCount; every instance in order', async (t) => {
  const sim = await startTestSim(t, fleet(45, [], 5), [aliyunSim]);
  // Nine pages of five: the gate holds pages 2.. until four wait at once.
  await checkPagesInFlight(t, sim.httpUrl, 4, {
    pageOf: (request) => pageNumberOf(request.path),
    held: (page) => page > 1,
    lookup: (url) => addrs(cfg(url), { timeout: 20_000 }),
    addresses: all(45),
    pages: [1, 2, 3, 4, 5, 6, 7, 8, 9],
  });
});

test('only Running instances with the tag in the region; classic and vpc addresses; addr_type=public_v4', async (t) => {
  const others: FleetInstance[] = [
    { id: 'i-stopped', cloud: 'aliyun', region: 'cn-hangzhou', state: 'stopped', tags: { consul: 'server' }, private_ipv4: '10.9.0.1' },
    { id: 'i-client', cloud: 'aliyun', region: 'cn-hangzhou', tags: { consul: 'client' }, private_ipv4: '10.9.0.2' },
    { id: 'i-sh', cloud: 'aliyun', region: 'cn-shanghai', tags: { consul: 'server' }, private_ipv4: '10.9.0.3' },
  ];
  const sim = await startTestSim(t, fleet(4, others), [aliyunSim]);
  t.deepEqual(await addrs(cfg(sim.httpUrl)), all(4));
  t.deepEqual(await addrs(cfg(sim.httpUrl, 'addr_type=public_v4')), ['203.0.113.0', '203.0.113.2']);
  t.deepEqual(await addrs(cfg(sim.httpUrl).replace('cn-hangzhou', 'cn-shanghai')), ['10.9.0.3']);
  const noTag = `provider=aliyun region=cn-hangzhou access_key_id=${KEY} access_key_secret=${SECRET} endpoint=${sim.httpUrl}`;
  t.deepEqual(await addrs(noTag), [...all(4), '10.9.0.2']);
});

test('the -v log counts the instances skipped for want of an address', async (t) => {
  const sim = await startTestSim(t, fleet(3), [aliyunSim]);
  const lines: string[] = [];
  const push = (m: string) => {
    lines.push(m);
  };
  await engine.addrs(cfg(sim.httpUrl, 'addr_type=public_v4'), { env: env(), timeout: 30_000, logger: { debug: push, info: push, warn: push, error: push } });
  t.true(
    lines.some((l) => l.includes('1 instance(s) skipped: no public_v4 address')),
    lines.join('\n'),
  );
});

test('credentials, region and endpoint from ALIBABA_CLOUD_* / ALICLOUD_* and ECS_ENDPOINT', async (t) => {
  const sim = await startTestSim(t, fleet(2), [aliyunSim]);
  const config = 'provider=aliyun tag_key=consul tag_value=server';
  t.deepEqual(
    await addrs(config, {
      env: env({
        ALIBABA_CLOUD_ACCESS_KEY_ID: KEY,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET,
        ALIBABA_CLOUD_REGION_ID: 'cn-hangzhou',
        ECS_ENDPOINT: sim.httpUrl,
      }),
    }),
    all(2),
  );
  t.deepEqual(
    await addrs(config, { env: env({ ALICLOUD_ACCESS_KEY: KEY, ALICLOUD_SECRET_KEY: SECRET, ALICLOUD_REGION: 'cn-hangzhou', ECS_ENDPOINT: sim.httpUrl }) }),
    all(2),
  );
});

test('strict arguments: no region, a lone tag_value, an unknown addr_type, no secret are config errors before any request', async (t) => {
  const sim = await startTestSim(t, fleet(1), [aliyunSim]);
  const bad: Array<[string, string]> = [
    [`provider=aliyun access_key_id=${KEY} access_key_secret=${SECRET} endpoint=${sim.httpUrl}`, 'region'],
    [cfg(sim.httpUrl).replace(' tag_key=consul', ''), 'tag_key'],
    [cfg(sim.httpUrl, 'addr_type=public_v6'), 'addr_type'],
    [`provider=aliyun region=cn-hangzhou access_key_id=${KEY} endpoint=${sim.httpUrl}`, 'access_key_secret'],
  ];
  for (const [config, key] of bad) {
    const err = await t.throwsAsync(addrs(config), { instanceOf: ProviderArgsError });
    t.regex(err?.message ?? '', new RegExp(key));
  }
  t.is(sim.counts()[API_NAME] ?? 0, 0);
});

/** The sim and the lookup of `config` against it, for the shared fault scenarios. */
function target(sim: RunningSim, config = cfg(sim.httpUrl)): faults.FaultTarget {
  return { sim, api: API_NAME, lookup: (options = {}) => engine.addrs(config, { timeout: 30_000, ...options, env: env(options.env) }) };
}

/** A sim of `n` instances (`pageSize` a page) and the lookup against it. */
const faulty = async (t: ExecutionContext, n = 3, pageSize?: number) => target(await startTestSim(t, fleet(n, [], pageSize), [aliyunSim]));

test('a wrong secret is 400 SignatureDoesNotMatch: one attempt, names access_key_secret, never the secret', async (t) => {
  const sim = await startTestSim(t, fleet(2), [aliyunSim]);
  const wrong = 'not-the-secret-0001';
  await faults.checkCredentialRefused(t, target(sim, cfg(sim.httpUrl).replace(SECRET, wrong)), [wrong, SECRET], {
    instanceOf: ProviderError,
    message: /^discover-aliyun: DescribeInstances failed: 400 SignatureDoesNotMatch: the signature was refused: access_key_secret is wrong/,
    cloudCode: 'SignatureDoesNotMatch',
  });
});

test('an unknown key is 404 InvalidAccessKeyId.NotFound naming access_key_id; not retried', async (t) => {
  const sim = await startTestSim(t, fleet(2), [aliyunSim]);
  const unknown = { instanceOf: ProviderError, message: /404 InvalidAccessKeyId\.NotFound: access_key_id was refused/ };
  await faults.checkCredentialRefused(t, target(sim, cfg(sim.httpUrl).replace(KEY, 'LTAIunknown')), [SECRET], unknown);
});

test('a clock 20 minutes off is InvalidTimeStamp.Expired, said as a clock problem; 5 minutes passes', async (t) => {
  const sim = await startTestSim(t, fleet(2), [aliyunSim]);
  const slow = new Discover({ builtins: false, providers: [createAliyunProvider({ now: () => Date.now() - 20 * 60_000 })] });
  await t.throwsAsync(addrs(cfg(sim.httpUrl), {}, slow), { instanceOf: ProviderError, message: /InvalidTimeStamp\.Expired: .*clock/ });
  const near = new Discover({ builtins: false, providers: [createAliyunProvider({ now: () => Date.now() - 5 * 60_000 })] });
  t.deepEqual(await addrs(cfg(sim.httpUrl), {}, near), all(2));
});

test('a replayed SignatureNonce is refused (SignatureNonceUsed)', async (t) => {
  const sim = await startTestSim(t, fleet(2), [aliyunSim]);
  const fixed = `nonce-${Date.now()}-${Math.random()}`;
  const replay = new Discover({ builtins: false, providers: [createAliyunProvider({ nonce: () => fixed })] });
  t.deepEqual(await addrs(cfg(sim.httpUrl), {}, replay), all(2));
  await t.throwsAsync(addrs(cfg(sim.httpUrl), {}, replay), { instanceOf: ProviderError, message: /SignatureNonceUsed/ });
});

test('an unknown region is InvalidRegionId.NotFound naming the region', async (t) => {
  const sim = await startTestSim(t, fleet(2), [aliyunSim]);
  await t.throwsAsync(addrs(cfg(sim.httpUrl).replace('cn-hangzhou', 'xx-nowhere-9')), {
    instanceOf: ProviderError,
    message: /InvalidRegionId\.NotFound: region xx-nowhere-9 was refused/,
  });
});

test('security_token: required by the fleet, refused when wrong, never printed', async (t) => {
  const f = fleet(2);
  f.credentials.aliyun = { access_key_id: KEY, access_key_secret: SECRET, security_token: 'sim-sts-token-1' };
  const sim = await startTestSim(t, f, [aliyunSim]);
  t.deepEqual(await addrs(cfg(sim.httpUrl, 'security_token=sim-sts-token-1')), all(2));
  t.deepEqual(await addrs(cfg(sim.httpUrl), { env: env({ ALIBABA_CLOUD_SECURITY_TOKEN: 'sim-sts-token-1' }) }), all(2));
  const err = await t.throwsAsync(addrs(cfg(sim.httpUrl, 'security_token=wrong-token-1')), {
    instanceOf: ProviderError,
    message: /security_token was refused/,
  });
  t.false(err?.message.includes('wrong-token-1'));
});

// --- faults -----------------------------------------------------------------------------------

test('Throttling (HTTP 400) twice, then success: retried as throttling', async (t) => {
  await faults.checkFaultRecovers(t, await faulty(t), { error: 'throttle', error_count: 2 }, { found: all(3), attempts: 3 });
});

test('Throttling on every call: a throttled ProviderError after 4 attempts', async (t) => {
  const throttled = { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', cloudCode: 'Throttling', attempts: 4 };
  await faults.checkFaultFails(t, await faulty(t), { error: 'throttle' }, throttled);
});

test('500 InternalError once is retried; 503 ServiceUnavailable on every call fails after 4 attempts', async (t) => {
  const target = await faulty(t);
  await faults.checkFaultRecovers(t, target, { error: 'server', error_count: 1 }, { found: all(3), attempts: 2 });
  await faults.checkFaultFails(t, target, { error: 'unavailable' }, { instanceOf: ProviderError, message: /503 ServiceUnavailable/, attempts: 4 });
});

test('auth rejection fault: one attempt, a typed error', async (t) => {
  await faults.checkFaultFails(t, await faulty(t), { auth_reject: true }, { instanceOf: ProviderError, message: /SignatureDoesNotMatch/, attempts: 1 });
});

test('a malformed page is an error, never a partial list', async (t) => {
  await faults.checkFaultFails(t, await faulty(t, 150), { malformed: true }, { instanceOf: MalformedResponseError, attempts: 1 });
});

test('a truncated body and a reset connection are retried, then reported', async (t) => {
  await faults.checkResetAndTruncated(t, await faulty(t), 'discover-aliyun: DescribeInstances failed: ');
});

test('latency past the timeout is a TimeoutError; an abort is an AbortError', async (t) => {
  await faults.checkTimeoutAndAbort(t, await faulty(t), { provider: 'aliyun' });
});

test.serial('a rate limit (token bucket) throttles later pages; backoff still gets every page', async (t) => {
  await faults.checkRateLimit(t, await faulty(t, 50, 10), { rps: 20, burst: 1, found: all(50) });
});

// --- proxy and secrets ---------------------------------------------------------------------------

test('instances appearing later (appear_after_ms) are not listed before they exist', async (t) => {
  const late: FleetInstance = {
    id: 'i-late',
    cloud: 'aliyun',
    region: 'cn-hangzhou',
    tags: { consul: 'server' },
    private_ipv4: '10.41.0.9',
  };
  await faults.checkAppearsLater(t, await faulty(t, 2), late, { before: all(2), after: [...all(2), '10.41.0.9'] });
});

test('HTTP_PROXY carries the signed GETs (tinyproxy log)', async (t) => {
  await faults.checkProxy(t, await faulty(t, 120), { found: all(120), secrets: [SECRET] });
});

test('the secret is absent from check (text, JSON), addrs --format json, the logs and the auth error', async (t) => {
  const sim = await startTestSim(t, fleet(2), [aliyunSim]);
  const args = cfg(sim.httpUrl).split(' ');
  await faults.checkCliHidesSecrets(t, faults.inProcessCli(env()), {
    check: { args, shows: 'access_key_secret=***' },
    checkJson: { args },
    addrs: { args, addresses: all(2) },
    refused: { args: args.map((w) => w.replace(SECRET, 'wrong-secret-zz1')), says: /aliyun.*access_key_secret/ },
    secrets: [SECRET, 'wrong-secret-zz1'],
  });
});

test('the paste block of the demo fleet works as printed', async (t) => {
  const demo = aliyunSim.fleet?.demo as Fleet;
  const sim = await startTestSim(t, { credentials: demo.credentials, instances: demo.instances, services: [] }, [aliyunSim]);
  const paste = aliyunSim.paste?.(sim.ctx);
  t.truthy(paste);
  t.deepEqual(await addrs(paste?.config as string, { env: env(paste?.env) }), ['10.8.0.11', '10.8.0.12', '10.8.0.13']);
});
