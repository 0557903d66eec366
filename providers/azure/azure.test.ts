/**
 * provider=azure end to end: the official @azure/arm-network, @azure/arm-compute and
 * @azure/identity SDKs against the simulated ARM and Entra ID on 127.0.0.1 (HTTPS, the sim's CA
 * through NODE_EXTRA_CA_CERTS). Nothing leaves loopback: AUTOJOIN_LOOPBACK_ONLY is set and
 * every token comes from the sim.
 */
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { Discover, type DiscoverOptions } from '../../src/discover.js';
import { AbortError, ProviderArgsError, ProviderError, TimeoutError } from '../../src/errors.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import azure from './index.js';
import azureSim from './sim.js';
import { FEDERATED_TOKEN_FILE, MSI_PATH, SIM_IDENTITY_HEADER } from './sim-identity.js';
import { retryWaitMs, startFront } from '../../test/helpers/front.js';
import { startHttpsServer } from '../../test/helpers/servers.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { startTinyproxy } from '../../test/helpers/tinyproxy.js';

// Load the SDK before any test starts its clock: a call's timeout covers loading its provider.
await import('./client.js');

const TENANT = 'aaaaaaaa-0000-0000-0000-000000000001';
const CLIENT = 'bbbbbbbb-0000-0000-0000-000000000002';
const SECRET = 'sim-Secret~value.1';
const SUB = 'cccccccc-0000-0000-0000-000000000003';

const vm = (id: string, extra: Partial<FleetInstance> = {}): FleetInstance => ({ id, cloud: 'azure', ...extra });

/** Five tagged VMs (one with a public IP, one deallocated), one with another tag, a Uniform and a Flexible set. */
function fleet(pageSize = 1000): Fleet {
  return {
    credentials: { azure: { tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET, subscription_id: SUB } },
    page_size: { 'azure-arm': pageSize },
    instances: [
      vm('srv1', { tags: { consul: 'server' }, private_ipv4: '10.0.0.1', public_ipv4: '20.0.0.1', private_ipv6: 'fd00::1' }),
      vm('srv2', { tags: { consul: 'server' }, private_ipv4: '10.0.0.2', extra_nics: [{ private_ipv4: '10.0.1.2' }] }),
      vm('srv3', { tags: { consul: 'server' }, private_ipv4: '10.0.0.3', public_ipv4: '20.0.0.3', state: 'deallocated' }),
      vm('srv4', { tags: { consul: 'server' }, private_ipv4: '10.0.0.4' }),
      vm('cli1', { tags: { consul: 'client' }, private_ipv4: '10.0.0.9', public_ipv4: '20.0.0.9' }),
      vm('late', { tags: { consul: 'server' }, private_ipv4: '10.0.0.99', appear_after_ms: 3_600_000 }),
      vm('u0', { resource_group: 'rg-sets', scale_set: 'uni', tags: { consul: 'server' }, private_ipv4: '10.1.0.4', public_ipv4: '20.1.0.4' }),
      vm('u1', { resource_group: 'rg-sets', scale_set: 'uni', private_ipv4: '10.1.0.5' }),
      vm('f0', { resource_group: 'rg-sets', scale_set: 'flex', orchestration: 'flexible', private_ipv4: '10.2.0.4', public_ipv4: '20.2.0.4' }),
      vm('f1', { resource_group: 'rg-sets', scale_set: 'flex', orchestration: 'flexible', private_ipv4: '10.2.0.5' }),
      vm('solo', { resource_group: 'rg-sets', private_ipv4: '10.2.0.99' }),
    ],
  };
}

const TAGGED_PRIVATE = ['10.0.0.1', '10.0.0.2', '10.0.1.2', '10.0.0.3', '10.0.0.4'];

interface Setup {
  sim: RunningSim;
  env: Record<string, string | undefined>;
  /** A config with the service principal and endpoint, plus `extra`. */
  config(extra: string): string;
  run(extra: string, options?: DiscoverOptions): Promise<string[]>;
}

async function setup(t: ExecutionContext, pageSize?: number): Promise<Setup> {
  const sim = await startTestSim(t, fleet(pageSize), [azureSim]);
  const env = { AZURE_AUTHORITY_HOST: sim.httpsUrl, AUTOJOIN_LOOPBACK_ONLY: '1' };
  const discover = new Discover({ builtins: false, providers: [azure] });
  const config = (extra: string) =>
    `provider=azure tenant_id=${TENANT} client_id=${CLIENT} secret_access_key="${SECRET}" subscription_id=${SUB} endpoint=${sim.httpsUrl} ${extra}`;
  return {
    sim,
    env,
    config,
    run: (extra, options = {}) => discover.addrs(config(extra), { env, ...options }),
  };
}

function engine(): Discover {
  return new Discover({ builtins: false, providers: [azure] });
}

test('tags: private addresses of every IP configuration of NICs with the tag, over several pages', async (t) => {
  const s = await setup(t, 2);
  t.deepEqual(await s.run('tag_name=consul tag_value=server'), TAGGED_PRIVATE);
  // 9 NICs in the subscription list (late is not there yet) in pages of 2, and one token
  // (plus MSAL's authority metadata read).
  t.is(s.sim.counts()['azure-arm'], 5);
  t.is(s.sim.counts()['azure-identity'], 2);
});

test('tags: public_v4 joins NICs to public IP resources; a deallocated VM has none', async (t) => {
  const s = await setup(t, 2);
  t.deepEqual(await s.run('tag_name=consul tag_value=server addr_type=public_v4'), ['20.0.0.1']);
  t.deepEqual(await s.run('tag_name=consul tag_value=client addr_type=public_v4'), ['20.0.0.9']);
});

test('tags: private_v6', async (t) => {
  const s = await setup(t);
  t.deepEqual(await s.run('tag_name=consul tag_value=server addr_type=private_v6'), ['fd00::1']);
});

test('tags: no NIC carries the tag -> empty list, not an error', async (t) => {
  const s = await setup(t);
  t.deepEqual(await s.run('tag_name=consul tag_value=nobody'), []);
});

test('uniform scale set: NICs listed under the set, as go-discover', async (t) => {
  const s = await setup(t, 1);
  t.deepEqual(await s.run('resource_group=rg-sets vm_scale_set=uni'), ['10.1.0.4', '10.1.0.5']);
  t.is(s.sim.counts()['azure-arm'], 2, 'two pages of one NIC; no VM list needed');
  t.deepEqual(await s.run('resource_group=rg-sets vm_scale_set=uni addr_type=public_v4'), ['20.1.0.4']);
});

test('uniform scale set NICs are not in the subscription NIC list (as in ARM)', async (t) => {
  const s = await setup(t);
  // u0 carries consul=server but its NIC lives under the scale set.
  t.false((await s.run('tag_name=consul tag_value=server')).includes('10.1.0.4'));
});

test('flexible scale set: its VMs and their NICs (go-discover#268)', async (t) => {
  const s = await setup(t, 1);
  t.deepEqual(await s.run('resource_group=rg-sets vm_scale_set=flex'), ['10.2.0.4', '10.2.0.5']);
  t.deepEqual(await s.run('resource_group=rg-sets vm_scale_set=flex addr_type=public_v4'), ['20.2.0.4']);
});

test('unknown scale set and unknown subscription: typed errors with ARM codes', async (t) => {
  const s = await setup(t);
  await t.throwsAsync(s.run('resource_group=rg-sets vm_scale_set=nope'), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: /^discover-azure: NetworkInterfaces_ListVirtualMachineScaleSetNetworkInterfaces failed: 404 ParentResourceNotFound: /,
  });
  const other = s.config('tag_name=a tag_value=b').replace(SUB, 'dddddddd-0000-0000-0000-000000000004');
  await t.throwsAsync(engine().addrs(other, { env: s.env }), {
    instanceOf: ProviderError,
    message: /NetworkInterfaces_ListAll failed: 404 SubscriptionNotFound: /,
  });
});

test('wrong client secret: Entra ID AADSTS7000215, no retry, secret never printed', async (t) => {
  const s = await setup(t);
  const err = await t.throwsAsync(engine().addrs(s.config('tag_name=consul tag_value=server').replace(SECRET, 'wrong-secret-value'), { env: s.env }), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: /^discover-azure: GetToken failed: 401 AADSTS7000215: Invalid client secret provided\./,
  });
  t.is(err?.cloudCode, 'AADSTS7000215');
  t.false(err?.message.includes('wrong-secret-value'));
  t.is(s.sim.counts()['azure-arm'], undefined, 'ARM never called without a token');
  t.is(s.sim.counts()['azure-identity'], 2, 'metadata + one token request: a refused secret is final');
});

test("an authority whose certificate is not trusted: the error says so and how to trust it (MSAL's endpoints_resolution_error alone does not)", async (t) => {
  const s = await setup(t);
  // A certificate of its own, from no CA this process trusts.
  let asked = '';
  const authority = await startHttpsServer(t, (req, res) => {
    asked = req.url ?? '';
    res.end('{}');
  });
  const err = await t.throwsAsync(engine().addrs(s.config('tag_name=consul tag_value=server'), { env: { ...s.env, AZURE_AUTHORITY_HOST: authority.url } }), {
    instanceOf: ProviderError,
    message: new RegExp(
      `^discover-azure: GetToken failed: Entra ID could not be reached \\(GET ${authority.url}/${TENANT}/v2\\.0/\\.well-known/openid-configuration: TLS verification failed \\([A-Z_]+: .*\\); trust a private CA with NODE_EXTRA_CA_CERTS\\)$`,
    ),
  });
  t.regex(String((err?.cause as Error | undefined)?.message), /endpoints_resolution_error/);
  t.is(asked, '', 'no request got past the TLS handshake');
  t.false(err?.message.includes(SECRET));
});

test('wrong client id: AADSTS700016', async (t) => {
  const s = await setup(t);
  await t.throwsAsync(
    engine().addrs(s.config('tag_name=a tag_value=b').replace(`client_id=${CLIENT}`, 'client_id=eeeeeeee-0000-0000-0000-000000000005'), { env: s.env }),
    {
      instanceOf: ProviderError,
      message: /GetToken failed: .*AADSTS700016: Application with identifier/,
    },
  );
});

test('ARM_* environment fallbacks (go-discover argsOrEnv) carry the service principal', async (t) => {
  const s = await setup(t);
  const env = { ...s.env, ARM_TENANT_ID: TENANT, ARM_CLIENT_ID: CLIENT, ARM_CLIENT_SECRET: SECRET, ARM_SUBSCRIPTION_ID: SUB };
  t.deepEqual(await engine().addrs(`provider=azure tag_name=consul tag_value=server endpoint=${s.sim.httpsUrl}`, { env }), TAGGED_PRIVATE);
});

test('no secret: AZURE_CLIENT_SECRET from the environment (EnvironmentCredential settings)', async (t) => {
  const s = await setup(t);
  const env = { ...s.env, AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: SECRET };
  t.deepEqual(
    await engine().addrs(`provider=azure subscription_id=${SUB} tag_name=consul tag_value=server endpoint=${s.sim.httpsUrl}`, { env }),
    TAGGED_PRIVATE,
  );
});

test('no secret: workload identity presents the federated token file', async (t) => {
  const s = await setup(t);
  const env = { ...s.env, AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_FEDERATED_TOKEN_FILE: join(s.sim.stateDir, FEDERATED_TOKEN_FILE) };
  t.deepEqual(
    await engine().addrs(`provider=azure subscription_id=${SUB} tag_name=consul tag_value=server endpoint=${s.sim.httpsUrl}`, { env }),
    TAGGED_PRIVATE,
  );
});

/**
 * MSAL keeps the first managed-identity source it builds (endpoint and HTTP client) in a static
 * for the life of the process; tests that switch sources start from a clean slate. Internal to
 * msal-node (not exported), hence the file path.
 */
async function forgetManagedIdentitySource(): Promise<void> {
  const file = new URL('./client/ManagedIdentityClient.mjs', import.meta.resolve('@azure/msal-node'));
  const { ManagedIdentityClient } = (await import(file.href)) as { ManagedIdentityClient: { identitySource?: unknown; sourceName?: unknown } };
  ManagedIdentityClient.identitySource = undefined;
  ManagedIdentityClient.sourceName = undefined;
}

test.serial('no secret, nothing in the environment: managed identity through IDENTITY_ENDPOINT', async (t) => {
  const s = await setup(t);
  await forgetManagedIdentitySource();
  t.teardown(forgetManagedIdentitySource);
  // MSAL reads the managed-identity variables from process.env, not from the env autojoin passes.
  const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
  process.env.IDENTITY_ENDPOINT = `${s.sim.httpUrl}${MSI_PATH}`;
  process.env.IDENTITY_HEADER = SIM_IDENTITY_HEADER;
  t.teardown(() => {
    for (const [key, value] of [
      ['IDENTITY_ENDPOINT', saved.endpoint],
      ['IDENTITY_HEADER', saved.header],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  t.deepEqual(
    await engine().addrs(`provider=azure subscription_id=${SUB} resource_group=rg-sets vm_scale_set=flex endpoint=${s.sim.httpsUrl}`, { env: s.env }),
    ['10.2.0.4', '10.2.0.5'],
  );
  t.is(s.sim.counts()['azure-identity'], 1, 'one managed-identity token, shared by the network and compute clients');
});

test.serial('managed identity answering 500 once is retried, then the call succeeds', async (t) => {
  const s = await setup(t);
  await forgetManagedIdentitySource();
  t.teardown(forgetManagedIdentitySource);
  const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
  process.env.IDENTITY_ENDPOINT = `${s.sim.httpUrl}${MSI_PATH}`;
  process.env.IDENTITY_HEADER = SIM_IDENTITY_HEADER;
  t.teardown(() => {
    for (const [key, value] of [
      ['IDENTITY_ENDPOINT', saved.endpoint],
      ['IDENTITY_HEADER', saved.header],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  s.sim.setFaults('azure-identity', { error: 500, error_count: 1 });
  t.deepEqual(
    await engine().addrs(`provider=azure subscription_id=${SUB} resource_group=rg-sets vm_scale_set=flex endpoint=${s.sim.httpsUrl}`, { env: s.env }),
    ['10.2.0.4', '10.2.0.5'],
  );
  t.is(s.sim.counts()['azure-identity'], 2, 'the 500, then the token');
});

test('validation happens before any request', async (t) => {
  const s = await setup(t);
  await t.throwsAsync(s.run('tag_name=consul'), { instanceOf: ProviderArgsError, message: /tag_value is required with tag_name/ });
  await t.throwsAsync(s.run('tag_name=consul tag_value=server addr_type=public'), { instanceOf: ProviderArgsError, message: /addr_type/ });
  t.deepEqual(s.sim.counts(), {});
});

// --- faults: every kind the sim renders, with ARM's real bodies -------------------------------

test('fault: 429 with Retry-After is retried after the wait, then succeeds', async (t) => {
  const s = await setup(t, 2);
  s.sim.setFaults('azure-arm', { error: 'throttle', error_count: 1 });
  // ARM calls go through a recording front: the wait is read on the server side, SDK loading apart.
  const front = await startFront(t, s.sim.httpsUrl, 'https');
  const lines: string[] = [];
  const logger = { debug() {}, info: (line: string) => lines.push(line), warn() {}, error() {} };
  const config = s.config('tag_name=consul tag_value=server').replace(`endpoint=${s.sim.httpsUrl}`, `endpoint=${front.url}`);
  t.deepEqual(await engine().addrs(config, { env: s.env, logger }), TAGGED_PRIVATE);
  // Retry-After: 1 -> 1000 ms plus a spread under 100 ms; ignored, the backoff would draw below 200 ms.
  t.true(
    lines.some((line) => /NetworkInterfaces_ListAll.*; throttled, attempt 2 of 4 in 10\d\dms$/.test(line)),
    lines.join('\n'),
  );
  const waited = retryWaitMs(t, front, 429);
  t.true(waited >= 990, `the retry came ${waited.toFixed(0)} ms after the 429 left (Retry-After: 1)`);
  t.is(s.sim.counts()['azure-arm'], 6, 'the throttled page fetched again, not the whole list');
});

test('fault: throttled for good -> ERR_PROVIDER_THROTTLED after 4 attempts', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('azure-arm', { error: 'throttle' });
  const err = await t.throwsAsync(s.run('tag_name=consul tag_value=server'), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER_THROTTLED',
    message: /NetworkInterfaces_ListAll failed: 429 TooManyRequests: The request is being throttled/,
  });
  t.is(err?.retryAfterMs, 1000);
  t.is(s.sim.counts()['azure-arm'], 4, 'the Azure SDK retries nothing itself: 4 attempts in all');
});

for (const [kind, status, code] of [
  ['server', 500, 'InternalServerError'],
  ['unavailable', 503, 'ServiceUnavailable'],
] as const) {
  test(`fault: ${status} ${code} is retried; a lasting one is a typed error`, async (t) => {
    const s = await setup(t);
    s.sim.setFaults('azure-arm', { error: kind, error_count: 1 });
    t.deepEqual(await s.run('tag_name=consul tag_value=server'), TAGGED_PRIVATE);
    t.is(s.sim.counts()['azure-arm'], 2);
    s.sim.setFaults('azure-arm', { error: kind });
    const err = await t.throwsAsync(s.run('tag_name=consul tag_value=server'), {
      instanceOf: ProviderError,
      message: new RegExp(`NetworkInterfaces_ListAll failed: ${status} ${code}: `),
    });
    t.is(err?.status, status);
  });
}

test('fault: ARM rejects the token -> 401 InvalidAuthenticationToken, not retried', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('azure-arm', { auth_reject: true });
  await t.throwsAsync(s.run('tag_name=consul tag_value=server'), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: /NetworkInterfaces_ListAll failed: 401 InvalidAuthenticationToken: The access token is invalid\./,
  });
  t.is(s.sim.counts()['azure-arm'], 1);
});

test('fault: malformed body is an error, never a partial list', async (t) => {
  const s = await setup(t, 2);
  s.sim.setFaults('azure-arm', { malformed: true });
  await t.throwsAsync(s.run('tag_name=consul tag_value=server'), {
    instanceOf: ProviderError,
    message: /NetworkInterfaces_ListAll failed: 200 PARSE_ERROR: malformed response body/,
  });
  t.is(s.sim.counts()['azure-arm'], 1);
});

test('fault: truncated body and connection reset are retried, then typed errors', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('azure-arm', { truncated: true });
  await t.throwsAsync(s.run('tag_name=consul tag_value=server'), {
    instanceOf: ProviderError,
    message: /NetworkInterfaces_ListAll failed: PARSE_ERROR: response body cut short/,
  });
  t.is(s.sim.counts()['azure-arm'], 4);
  s.sim.resetCounts();
  s.sim.setFaults('azure-arm', { reset: true });
  await t.throwsAsync(s.run('tag_name=consul tag_value=server'), {
    instanceOf: ProviderError,
    message: /NetworkInterfaces_ListAll failed: ECONNRESET: /,
  });
  t.is(s.sim.counts()['azure-arm'], 4);
});

test('fault: latency within the timeout succeeds; past it the call times out', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('azure-arm', { latency_ms: 200 });
  t.deepEqual(await s.run('tag_name=consul tag_value=server', { timeout: '60s' }), TAGGED_PRIVATE);
  s.sim.setFaults('azure-arm', { latency_ms: 20_000 });
  // The timeout, not the 20 s latency, ends the call: it says so.
  await t.throwsAsync(s.run('tag_name=consul tag_value=server', { timeout: '500ms' }), {
    instanceOf: TimeoutError,
    code: 'ERR_TIMEOUT',
    message: /timed out after 500 ms$/,
  });
});

test('fault: rate limit -> throttled pages retried until the bucket refills', async (t) => {
  const s = await setup(t, 3);
  s.sim.setFaults('azure-arm', { rate_limit: { rps: 1, burst: 1 } });
  t.deepEqual(await s.run('tag_name=consul tag_value=server'), TAGGED_PRIVATE);
  t.true((s.sim.counts()['azure-arm'] ?? 0) > 3, 'pages 2 and 3 came too fast, were throttled and fetched again');
});

test('fault: the token endpoint failing once is retried; refusing is final', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('azure-identity', { error: 500, error_count: 1 });
  t.deepEqual(await s.run('tag_name=consul tag_value=server'), TAGGED_PRIVATE);
  // metadata + failed token, then a fresh MSAL client (MSAL would replay the 500 from memory): metadata + token.
  t.is(s.sim.counts()['azure-identity'], 4);
  s.sim.setFaults('azure-identity', { auth_reject: true });
  await t.throwsAsync(s.run('tag_name=consul tag_value=server'), {
    instanceOf: ProviderError,
    message: /GetToken failed: 401 AADSTS7000215/,
  });
});

test('abort: the caller aborting stops the call with AbortError', async (t) => {
  const s = await setup(t);
  s.sim.setFaults('azure-arm', { latency_ms: 5000 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  await t.throwsAsync(s.run('tag_name=consul tag_value=server', { signal: controller.signal }), { instanceOf: AbortError });
});

// --- proxy -------------------------------------------------------------------------------------

test('proxy: token and ARM calls tunnel through HTTPS_PROXY (tinyproxy log)', async (t) => {
  const s = await setup(t);
  const proxy = await startTinyproxy(t);
  // Entra ID at localhost, ARM at 127.0.0.1 (the same sim): the log tells the two apart, proving
  // the credential uses autojoin's agent too (the proxy is only in the env autojoin is given).
  const port = new URL(s.sim.httpsUrl).port;
  const env = { ...s.env, AZURE_AUTHORITY_HOST: `https://localhost:${port}`, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '' };
  t.deepEqual(await engine().addrs(s.config('tag_name=consul tag_value=server'), { env }), TAGGED_PRIVATE);
  const requests = proxy.requests();
  t.true(
    requests.some((line) => line.includes(`CONNECT localhost:${port}`)),
    proxy.log(),
  );
  t.true(
    requests.some((line) => line.includes(`CONNECT 127.0.0.1:${port}`)),
    proxy.log(),
  );
});

test('proxy: NO_PROXY sends the same calls direct', async (t) => {
  const s = await setup(t);
  const proxy = await startTinyproxy(t);
  // localhost is the sim too (its certificate names it); NO_PROXY matches it and only it.
  const local = s.sim.httpsUrl.replace('127.0.0.1', 'localhost');
  const env = { ...s.env, AZURE_AUTHORITY_HOST: local, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost' };
  t.deepEqual(await engine().addrs(s.config('tag_name=consul tag_value=server').replace(s.sim.httpsUrl, local), { env }), TAGGED_PRIVATE);
  t.deepEqual(proxy.requests(), []);
  t.true((s.sim.counts()['azure-arm'] ?? 0) > 0);
});

// --- the simulated API's wire format ---------------------------------------------------------

test('sim: ARM wire format, absolute nextLinks to the serving listener, ARM auth errors', async (t) => {
  const s = await setup(t, 4);
  const { createHttpClient } = await import('../../src/http/index.js');
  const { issueToken } = await import('./sim-token.js');
  const http = createHttpClient({ env: {} });
  t.teardown(() => http.destroy());
  const any = () => true;
  const list = `${s.sim.httpsUrl}/subscriptions/${SUB}/providers/Microsoft.Network/networkInterfaces?api-version=2025-05-01`;

  const anonymous = await http.request(list, { okStatus: any });
  t.is(anonymous.status, 401);
  t.is(anonymous.json<{ error: { code: string } }>().error.code, 'AuthenticationFailed');
  const forged = await http.request(list, { okStatus: any, headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.forged' } });
  t.deepEqual(forged.json(), { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } });

  // ARM accepts a token for itself only: here, the listener's URL (as management.azure.com for Azure's ARM).
  for (const [claims, status, code] of [
    [{ aud: 'https://management.azure.com', tid: TENANT, appid: CLIENT }, 401, 'InvalidAuthenticationTokenAudience'],
    [{ aud: 'https://graph.microsoft.com', tid: TENANT, appid: CLIENT }, 401, 'InvalidAuthenticationTokenAudience'],
    [{ aud: s.sim.httpsUrl, tid: 'cccccccc-0000-0000-0000-000000000009', appid: CLIENT }, 401, 'InvalidAuthenticationTokenTenant'],
    [{ aud: s.sim.httpsUrl, tid: TENANT, appid: 'eeeeeeee-0000-0000-0000-000000000005' }, 403, 'AuthorizationFailed'],
  ] as const) {
    const refused = await http.request(list, { okStatus: any, headers: { authorization: `Bearer ${issueToken(claims).token}` } });
    t.is(refused.status, status, code);
    t.is(refused.json<{ error: { code: string } }>().error.code, code);
  }
  const authorization = `Bearer ${issueToken({ aud: s.sim.httpsUrl, tid: TENANT, appid: CLIENT }).token}`;
  const noVersion = await http.request(list.replace(/\?.*/, ''), { okStatus: any, headers: { authorization } });
  t.is(noVersion.json<{ error: { code: string } }>().error.code, 'MissingApiVersionParameter');

  interface Page {
    value: Array<{
      name: string;
      tags?: Record<string, string>;
      properties: { ipConfigurations: Array<{ properties: { privateIPAddress?: string; publicIPAddress?: { id: string } } }>; virtualMachine: { id: string } };
    }>;
    nextLink?: string;
  }
  const first = (await http.request(list, { headers: { authorization } })).json<Page>();
  t.is(first.value.length, 4);
  const nic = first.value[0]!;
  t.is(nic.name, 'srv1-nic0');
  t.deepEqual(nic.tags, { consul: 'server' });
  t.is(nic.properties.ipConfigurations[0]?.properties.privateIPAddress, '10.0.0.1');
  t.regex(nic.properties.ipConfigurations[0]?.properties.publicIPAddress?.id ?? '', /\/providers\/Microsoft\.Network\/publicIPAddresses\/srv1-pip0$/);
  t.regex(nic.properties.virtualMachine.id, /\/providers\/Microsoft\.Compute\/virtualMachines\/srv1$/);
  t.true(first.nextLink?.startsWith(`${s.sim.httpsUrl}/subscriptions/${SUB}/providers/Microsoft.Network/networkInterfaces?api-version=2025-05-01&`));
  const names: string[] = first.value.map((n) => n.name);
  for (let next = first.nextLink; next; ) {
    const page = (await http.request(next, { headers: { authorization } })).json<Page>();
    names.push(...page.value.map((n) => n.name));
    next = page.nextLink;
  }
  t.is(names.length, 9);
  t.is(new Set(names).size, 9);
});

test('sim: the token endpoint answers a wrong secret with the real AADSTS7000215 JSON', async (t) => {
  const s = await setup(t);
  const { createHttpClient } = await import('../../src/http/index.js');
  const http = createHttpClient({ env: {} });
  t.teardown(() => http.destroy());
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: CLIENT,
    client_secret: 'nope',
    scope: 'https://management.azure.com/.default',
  });
  const answer = await http.request(`${s.sim.httpsUrl}/${TENANT}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    okStatus: () => true,
  });
  t.is(answer.status, 401);
  const body = answer.json<{ error: string; error_codes: number[]; error_description: string }>();
  t.is(body.error, 'invalid_client');
  t.deepEqual(body.error_codes, [7000215]);
  t.regex(body.error_description, /^AADSTS7000215: Invalid client secret provided\./);
});

test('sim: the token endpoint refuses a client-credentials scope without /.default (AADSTS1002012)', async (t) => {
  const s = await setup(t);
  const { createHttpClient } = await import('../../src/http/index.js');
  const http = createHttpClient({ env: {} });
  t.teardown(() => http.destroy());
  const ask = (scope: string) =>
    http.request(`${s.sim.httpsUrl}/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: SECRET, scope }).toString(),
      okStatus: () => true,
    });
  for (const scope of [`${s.sim.httpsUrl}/user_impersonation`, s.sim.httpsUrl, '']) {
    const refused = await ask(scope);
    t.is(refused.status, 400, scope);
    t.deepEqual(refused.json<{ error_codes: number[] }>().error_codes, [1002012]);
  }
  t.is((await ask(`${s.sim.httpsUrl}/.default`)).status, 200);
});

test('sim: discover sim paste gives a working config and env', async (t) => {
  const s = await setup(t);
  const paste = azureSim.paste?.(s.sim.ctx);
  t.truthy(paste);
  t.is(paste?.env.AZURE_AUTHORITY_HOST, s.sim.httpsUrl);
  t.is(paste?.env.NODE_EXTRA_CA_CERTS, s.sim.caPath);
  const addresses = await engine().addrs(paste!.config, { env: { ...s.env, ...paste!.env } });
  t.deepEqual(addresses, TAGGED_PRIVATE);
});

test.serial("no credentials configured anywhere: managed identity would call IMDS, through autojoin's guarded agent", async (t) => {
  const s = await setup(t);
  await forgetManagedIdentitySource();
  t.teardown(forgetManagedIdentitySource);
  t.is(process.env.IDENTITY_ENDPOINT, undefined, 'this test needs IMDS as the managed-identity source');
  const { createHttpClient } = await import('../../src/http/index.js');
  const http = createHttpClient({ env: s.env });
  t.teardown(() => http.destroy());
  t.true(http.loopbackOnly, 'the guard refuses 169.254.169.254 before connecting');
  // Record what reaches autojoin's agent: the IMDS request must go through it (and its guard).
  const seen: string[] = [];
  const agent = http.httpAgent as unknown as { addRequest(req: unknown, options: { host?: string }): void };
  const addRequest = agent.addRequest.bind(agent);
  agent.addRequest = (req, options) => {
    seen.push(String(options.host));
    addRequest(req, options);
  };
  await t.throwsAsync(
    engine().addrs(`provider=azure subscription_id=${SUB} tag_name=consul tag_value=server endpoint=${s.sim.httpsUrl}`, { env: s.env, http }),
    {
      instanceOf: ProviderError,
      message: /^discover-azure: GetToken failed: CredentialUnavailableError: ManagedIdentityCredential: Network unreachable/,
    },
  );
  t.deepEqual([...new Set(seen)], ['169.254.169.254']);
  t.is(s.sim.counts()['azure-arm'], undefined);
});
