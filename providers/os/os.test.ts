/**
 * provider=os: the pure parts as tables, the recorded Keystone and Nova samples against the
 * simulator's shape, then the provider through the engine against the simulator's Keystone and
 * Nova on 127.0.0.1 (every auth method, region and interface, every page, token renewal, faults,
 * auth refusal, tinyproxy, secrets in no output).
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { Discover } from '../../src/discover.js';
import { LoopbackOnlyError, ProviderArgsError, ProviderError } from '../../src/errors.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { shapeOf, typeDifferences } from '../../test/helpers/wire-shape.js';
import { startTestSim } from '../../test/helpers/sim.js';
import * as faults from '../../test/helpers/provider-faults.js';
import { tokensUrl } from './client.js';
import { authBody, type CatalogEntry, computeEndpoint, type NovaServer, nextPage, serverTargets } from './extract.js';
import os from './index.js';
import { metadataDocumentUrl, projectIdOf } from './metadata.js';
import osSim, { expireTokens, identity, METADATA_API } from './sim.js';

const engine = new Discover({ builtins: false, providers: [os] });
const PASSWORD = 'os-Pass-9c1f27ab';
const WRONG = 'os-Wrong-5e8d3a';
const APP_ID = '21dced0fd20347869b93710d2b98aae0';
const APP_SECRET = 'app-Secret-4b7e1c9d';
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const keystoneSample = fixture('auth-password-project-scoped-response.json') as { token: { catalog: CatalogEntry[] } };
const novaSample = fixture('servers-details-resp.json') as { servers: NovaServer[] };

// ---------------------------------------------------------------- pure

test('authBody: password by user name + domain, scoped to a project by name', (t) => {
  t.deepEqual(authBody({ method: 'password', userName: 'demo', password: 'secret' }, { projectName: 'demo', domainName: 'Default' }), {
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'demo', domain: { name: 'Default' }, password: 'secret' } } },
      scope: { project: { name: 'demo', domain: { name: 'Default' } } },
    },
  });
});

test('authBody: token method scoped by project id; application credential by id, unscoped', (t) => {
  t.deepEqual(authBody({ method: 'token', token: 'tok' }, { projectId: 'p1' }), {
    auth: { identity: { methods: ['token'], token: { id: 'tok' } }, scope: { project: { id: 'p1' } } },
  });
  t.deepEqual(authBody({ method: 'application_credential', id: 'ac1', secret: 's' }, { projectId: 'p1' }), {
    auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac1', secret: 's' } } },
  });
  t.deepEqual(authBody({ method: 'application_credential', name: 'ac', secret: 's', userName: 'u' }, { domainId: 'default' }).auth, {
    identity: { methods: ['application_credential'], application_credential: { name: 'ac', secret: 's', user: { name: 'u', domain: { id: 'default' } } } },
  });
});

test('computeEndpoint: the recorded catalog gives nova v2.1 for RegionOne by interface; a missing region says what is offered', (t) => {
  const catalog = keystoneSample.token.catalog;
  t.is(computeEndpoint(catalog, 'RegionOne', 'public'), 'http://23.253.248.171:8774/v2.1/a6944d763bf64ee6a275f1263fae0352');
  t.is(computeEndpoint(catalog, 'RegionOne', 'internal'), 'http://23.253.248.171:8774/v2.1/a6944d763bf64ee6a275f1263fae0352');
  t.deepEqual(computeEndpoint(catalog, 'RegionTwo', 'public'), {
    problem: 'no compute endpoint for region "RegionTwo" and interface public (the catalog offers RegionOne/admin, RegionOne/internal, RegionOne/public)',
  });
  t.deepEqual(computeEndpoint([], 'RegionOne', 'public'), { problem: 'the service catalog has no compute service' });
});

test('serverTargets: the recorded server by metadata; fixed v4 and v6, never floating', (t) => {
  t.deepEqual(serverTargets(novaSample.servers, 'My Server Name', 'Apache1'), [
    { address: '192.168.0.3', id: 'f5dc173b-6804-445a-a6d8-c705dad5b5eb', name: 'new-server-test' },
  ]);
  t.deepEqual(serverTargets(novaSample.servers, 'My Server Name', 'Nginx'), []);
  const server: NovaServer = {
    id: 's1',
    metadata: { role: 'x' },
    addresses: {
      a: [
        { addr: '10.0.0.1', version: 4, 'OS-EXT-IPS:type': 'fixed' },
        { addr: '203.0.113.1', version: 4, 'OS-EXT-IPS:type': 'floating' },
      ],
      b: [{ addr: '2001:db8::1', version: 6, 'OS-EXT-IPS:type': 'fixed' }],
    },
  };
  t.deepEqual(
    serverTargets([server], undefined, undefined).map((x) => x.address),
    ['10.0.0.1', '2001:db8::1'],
  );
  // As a Go map: a missing key reads as empty.
  t.is(serverTargets([server], 'absent', undefined).length, 2);
});

test("projectIdOf and metadataDocumentUrl: go-discover's metadata lookup", (t) => {
  t.deepEqual(projectIdOf({ uuid: 'x', project_id: 'f7ac731cc11f40efbc03a9f9e1d1d21f' }), { projectId: 'f7ac731cc11f40efbc03a9f9e1d1d21f' });
  t.deepEqual(projectIdOf({ uuid: 'x' }), { problem: "couldn't find project_id on metadata" });
  t.deepEqual(projectIdOf({ project_id: 7 }), { problem: "can't convert project_id: 7 is not a non-empty string" });
  t.deepEqual(projectIdOf([]), { problem: 'meta_data.json is not a JSON object' });
  t.is(metadataDocumentUrl('http://169.254.169.254').href, 'http://169.254.169.254/openstack/latest/meta_data.json');
  t.is(metadataDocumentUrl('http://127.0.0.1:9/md/').href, 'http://127.0.0.1:9/md/openstack/latest/meta_data.json');
});

test('tokensUrl and nextPage', (t) => {
  t.is(tokensUrl('https://k.example.com:5000/v3').href, 'https://k.example.com:5000/v3/auth/tokens');
  t.is(tokensUrl('https://k.example.com:5000/v3/').href, 'https://k.example.com:5000/v3/auth/tokens');
  t.is(tokensUrl('https://k.example.com/identity').href, 'https://k.example.com/identity/v3/auth/tokens');
  t.is(nextPage({ servers: [], servers_links: [{ rel: 'next', href: 'http://x/servers/detail?marker=a' }] }), 'http://x/servers/detail?marker=a');
  t.is(nextPage({ servers: [] }), undefined);
});

// ---------------------------------------------------------------- against the simulator

function server(n: number, over: Partial<FleetInstance> = {}): FleetInstance {
  return { id: `srv-${n}`, cloud: 'os', name: `srv${n}`, tags: { consul: 'server' }, private_ipv4: `10.0.0.${n}`, ...over };
}

function fleet(instances: FleetInstance[], extra: Record<string, string> = {}, pageSize?: number): Fleet {
  return {
    credentials: {
      os: {
        user_name: 'discover',
        password: PASSWORD,
        project_name: 'infra',
        application_credential_id: APP_ID,
        application_credential_name: 'autojoin',
        application_credential_secret: APP_SECRET,
        ...extra,
      },
    },
    instances,
    ...(pageSize ? { page_size: { 'os-compute': pageSize } } : {}),
  };
}

const estate = [
  server(1, { public_ipv4: '203.0.113.1' }),
  server(2, { private_ipv6: '2001:db8::2', public_ipv6: '2001:db8:1::2', extra_nics: [{ private_ipv4: '192.0.2.2' }] }),
  server(3, { state: 'stopped' }),
  server(4, { tags: { consul: 'client' } }),
  server(5, { region: 'RegionTwo' }),
];

type Sim = Awaited<ReturnType<typeof startTestSim>>;
const authUrl = (sim: Sim) => `${sim.httpUrl}/identity/v3`;
const pw = (sim: Sim) => `auth_url=${authUrl(sim)} user_name=discover domain_name=Default password=${PASSWORD} project_name=infra`;
const sorted = (list: string[]) => [...list].sort();

test('the recorded samples and the simulator have the same shape along the paths the provider reads', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [osSim]);
  const auth = await fetch(`${authUrl(sim)}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(authBody({ method: 'password', userName: 'discover', password: PASSWORD }, { projectName: 'infra', domainName: 'Default' })),
  });
  t.is(auth.status, 201);
  const token = auth.headers.get('x-subject-token') as string;
  t.truthy(token);
  const served = (await auth.json()) as { token: { catalog: CatalogEntry[] } };
  const tokenPaths = [
    'token.expires_at',
    'token.project.id',
    'token.catalog.type',
    'token.catalog.endpoints.interface',
    'token.catalog.endpoints.region_id',
    'token.catalog.endpoints.url',
  ];
  t.deepEqual(typeDifferences(shapeOf(served), shapeOf(keystoneSample), tokenPaths), []);
  const compute = computeEndpoint(served.token.catalog, 'RegionOne', 'public') as string;
  const list = await fetch(`${compute}/servers/detail?status=ACTIVE`, { headers: { 'x-auth-token': token } });
  const page = await list.json();
  const serverPaths = [
    'servers.id',
    'servers.name',
    'servers.status',
    'servers.metadata',
    'servers.addresses.private.addr',
    'servers.addresses.private.version',
    'servers.addresses.private.OS-EXT-IPS:type',
  ];
  t.deepEqual(typeDifferences(shapeOf(page), shapeOf(novaSample), serverPaths), []);
  const denied = await fetch(`${compute}/servers/detail`, { headers: { 'x-auth-token': 'gAAAAAnope' } });
  t.is(denied.status, 401);
  t.deepEqual(await denied.json(), fixture('error-unauthorized.json'));
});

test('password auth: ACTIVE servers whose metadata matches, every fixed address v4 and v6, never floating', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [osSim]);
  t.deepEqual(
    sorted(await engine.addrs(`provider=os ${pw(sim)} tag_key=consul tag_value=server`)),
    sorted(['10.0.0.1', '10.0.0.2', '2001:db8::2', '2001:db8:1::2', '192.0.2.2']),
  );
  t.deepEqual(await engine.addrs(`provider=os ${pw(sim)} tag_key=consul tag_value=client`), ['10.0.0.4']);
  t.is((await engine.addrs(`provider=os ${pw(sim)}`)).length, 6);
  t.deepEqual(await engine.addrs(`provider=os ${pw(sim)} tag_key=consul tag_value=server region=RegionTwo`), ['10.0.0.5']);
});

test('interface picks the catalog entry; a region the catalog lacks is a ComputeClient error', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [osSim]);
  const lines: string[] = [];
  const logger = { debug: (m: string) => lines.push(m), info: () => {}, warn: () => {}, error: () => {} };
  t.deepEqual(await engine.addrs(`provider=os ${pw(sim)} tag_key=consul tag_value=client interface=internal`, { logger }), ['10.0.0.4']);
  t.true(
    lines.some((l) => /GET \/compute\/RegionOne\/internal\/v2\.1\/\w+\/servers\/detail\?status=ACTIVE&limit=1000/.test(l)),
    lines.join('\n'),
  );
  await t.throwsAsync(engine.discover(`provider=os ${pw(sim)} region=Mars`), {
    instanceOf: ProviderError,
    message: /^discover-os: ComputeClient failed: ComputeClient initialization failed: no compute endpoint for region "Mars" and interface public/,
  });
});

test('user_id, project_id, domain_id; token auth; application credential by id and by name', async (t) => {
  const sim = await startTestSim(t, fleet(estate, { user_id: 'u-123', project_id: 'p-456', domain_id: 'd-1', domain_name: 'Corp' }), [osSim]);
  const base = `provider=os auth_url=${authUrl(sim)} tag_key=consul tag_value=client`;
  t.deepEqual(await engine.addrs(`${base} user_id=u-123 password=${PASSWORD} project_id=p-456`), ['10.0.0.4']);
  t.deepEqual(await engine.addrs(`${base} user_name=discover domain_id=d-1 password=${PASSWORD} project_name=infra`), ['10.0.0.4']);
  // A token from Keystone itself, then the token method.
  const auth = await fetch(`${authUrl(sim)}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(authBody({ method: 'password', userId: 'u-123', password: PASSWORD }, { projectId: 'p-456' })),
  });
  const token = auth.headers.get('x-subject-token') as string;
  t.deepEqual(await engine.addrs(`${base} token=${token} project_id=p-456`), ['10.0.0.4']);
  t.deepEqual(await engine.addrs(`${base} application_credential_id=${APP_ID} application_credential_secret=${APP_SECRET}`), ['10.0.0.4']);
  t.deepEqual(
    await engine.addrs(`${base} application_credential_name=autojoin user_name=discover domain_name=Corp application_credential_secret=${APP_SECRET}`),
    ['10.0.0.4'],
  );
});

test('OS_* variables as gophercloud and the openstack CLI read them', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [osSim]);
  const env = {
    OS_AUTH_URL: authUrl(sim),
    OS_USERNAME: 'discover',
    OS_PASSWORD: PASSWORD,
    OS_PROJECT_NAME: 'infra',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: 'RegionTwo',
    OS_INTERFACE: 'admin',
    AUTOJOIN_LOOPBACK_ONLY: '1',
  };
  t.deepEqual(await engine.addrs('provider=os', { env }), ['10.0.0.5']);
  const appEnv = { OS_AUTH_URL: authUrl(sim), OS_APPLICATION_CREDENTIAL_ID: APP_ID, OS_APPLICATION_CREDENTIAL_SECRET: APP_SECRET, AUTOJOIN_LOOPBACK_ONLY: '1' };
  t.deepEqual(await engine.addrs('provider=os tag_key=consul tag_value=client', { env: appEnv }), ['10.0.0.4']);
});

test('config errors before any request: no auth_url, no credential, a name without a domain', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['provider=os user_name=u password=p domain_name=D project_name=x', /auth_url/],
    ['provider=os auth_url=http://127.0.0.1:1/v3 project_id=x', /give password \(with user_name or user_id\), token, or application_credential_secret/],
    ['provider=os auth_url=http://127.0.0.1:1/v3 user_id=u password=p project_name=x', /project_name needs domain_id or domain_name/],
    ['provider=os auth_url=http://127.0.0.1:1/v3 user_id=u password=p metadata_url=not-a-url', /metadata_url/],
    ['provider=os auth_url=http://127.0.0.1:1/v3 user_name=u password=p project_id=x', /user_name needs domain_id or domain_name/],
    ['provider=os auth_url=http://127.0.0.1:1/v3 application_credential_secret=s', /needs application_credential_id or application_credential_name/],
    ['provider=os auth_url=http://127.0.0.1:1/v3 token=t project_id=x interface=private', /interface/],
  ];
  for (const [config, message] of cases) await t.throwsAsync(engine.discover(config, { env: {} }), { instanceOf: ProviderArgsError, message }, config);
});

test("no project given: this server's project from the metadata service (pinned to the simulator), as go-discover", async (t) => {
  const sim = await startTestSim(t, fleet(estate), [osSim]);
  const lines: string[] = [];
  const logger = { debug: (m: string) => lines.push(m), info: () => {}, warn: () => {}, error: () => {} };
  const noProject = `provider=os auth_url=${authUrl(sim)} user_name=discover domain_name=Default password=${PASSWORD} metadata_url=${sim.httpUrl}`;
  t.deepEqual(await engine.addrs(`${noProject} tag_key=consul tag_value=client`, { logger }), ['10.0.0.4']);
  t.deepEqual(sim.counts(), { [METADATA_API]: 1, 'os-keystone': 1, 'os-compute': 1 });
  const project = identity(sim.ctx).projectId;
  t.true(lines.includes(`discover-os: project ${project} from the metadata service at ${new URL(sim.httpUrl).host}`), lines.join('\n'));
  // Given a project, or an application credential (its project is its own), the metadata service is not asked.
  await engine.addrs(`${noProject} project_name=infra`);
  await engine.addrs(
    `provider=os auth_url=${authUrl(sim)} application_credential_id=${APP_ID} application_credential_secret=${APP_SECRET} metadata_url=${sim.httpUrl}`,
  );
  t.is(sim.counts()[METADATA_API], 1);
});

test('the metadata service failing: a typed error saying to give project_id; the default is 169.254.169.254, which the loopback guard refuses before any socket', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [osSim]);
  const noProject = `provider=os auth_url=${authUrl(sim)} user_name=discover domain_name=Default password=${PASSWORD}`;
  sim.setFaults(METADATA_API, { error: 'unavailable' });
  await t.throwsAsync(engine.addrs(`${noProject} metadata_url=${sim.httpUrl}`), {
    instanceOf: ProviderError,
    message:
      /^discover-os: metadata project_id failed: no project: give project_id or project_name \(OS_PROJECT_ID \/ OS_PROJECT_NAME\), or run on an OpenStack server; the metadata service at 127\.0\.0\.1:\d+ gave none: 503/,
  });
  t.deepEqual(sim.counts(), { [METADATA_API]: 4 });
  // Tests run with AUTOJOIN_LOOPBACK_ONLY=1: the default address is named and refused, nothing is sent.
  await t.throwsAsync(engine.addrs(noProject), { instanceOf: LoopbackOnlyError, message: /refused to connect to 169\.254\.169\.254/ });
  t.deepEqual(sim.counts(), { [METADATA_API]: 4 });
});

test('every page: limit and marker until a short page', async (t) => {
  const many = Array.from({ length: 23 }, (_, n) => server(n + 1, { private_ipv4: `10.1.0.${n + 1}` }));
  const sim = await startTestSim(t, fleet(many, {}, 5), [osSim]);
  t.is((await engine.addrs(`provider=os ${pw(sim)} tag_key=consul tag_value=server`)).length, 23);
  t.deepEqual(sim.counts(), { 'os-keystone': 1, 'os-compute': 5 });
});

/** The sim (started by the caller) and the lookup of `config` against it, faults on `api`, for the shared scenarios. */
function faulty(sim: Sim, config = `provider=os ${pw(sim)}`, api = 'os-compute'): faults.FaultTarget {
  // A lookup asks Keystone for one token before it reads Nova.
  const others: Record<string, number> = api === 'os-compute' ? { 'os-keystone': 1 } : {};
  return { sim, api, others, lookup: (options = {}) => engine.addrs(config, { ...options, env: { AUTOJOIN_LOOPBACK_ONLY: '1', ...options.env } }) };
}

test('a wrong password, token or application credential secret: an authentication error naming which, never the value, not retried', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [osSim]);
  await faults.checkCredentialRefused(t, faulty(sim, `provider=os ${pw(sim)}`.replace(PASSWORD, WRONG), 'os-keystone'), [WRONG, PASSWORD], {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message:
      'discover-os: Authenticate failed: 401 Unauthorized: authentication failed: the password of user "discover" was refused (check password / OS_PASSWORD)',
  });
  await t.throwsAsync(engine.discover(`provider=os auth_url=${authUrl(sim)} application_credential_id=${APP_ID} application_credential_secret=${WRONG}`), {
    message: `discover-os: Authenticate failed: 401 Unauthorized: authentication failed: the secret of application credential "${APP_ID}" was refused (check application_credential_secret / OS_APPLICATION_CREDENTIAL_SECRET)`,
  });
  const tokenError = await t.throwsAsync(engine.discover(`provider=os auth_url=${authUrl(sim)} token=${WRONG} project_name=infra domain_name=Default`), {
    instanceOf: ProviderError,
  });
  t.false(tokenError?.message.includes(WRONG));
});

test('an expired token: renewed once and the walk goes on; refused again, a typed error', async (t) => {
  const many = Array.from({ length: 12 }, (_, n) => server(n + 1));
  const sim = await startTestSim(t, fleet(many, {}, 5), [osSim]);
  // Nova refuses the first page once (the token expired), as keystonemiddleware does.
  sim.setFaults('os-compute', { auth_reject: true, error_count: 1 });
  t.is((await engine.addrs(`provider=os ${pw(sim)}`)).length, 12);
  t.deepEqual(sim.counts(), { 'os-keystone': 2, 'os-compute': 4 });
  // Tokens that are expired when issued: renewal cannot help.
  const expired = await startTestSim(t, fleet(many, { token_ttl_s: '0' }), [osSim]);
  const error = await t.throwsAsync(engine.discover(`provider=os ${pw(expired)}`), {
    instanceOf: ProviderError,
    message:
      'discover-os: ListServers failed: 401 Unauthorized: authentication failed: the compute API refused a renewed token (check the role assignments of the project)',
  });
  t.is(error?.status, 401);
  t.deepEqual(expired.counts(), { 'os-keystone': 2, 'os-compute': 2 });
  expireTokens(sim.ctx);
});

test('faults: throttle and server errors retried on both APIs; reset, truncated, malformed typed; never a partial list', async (t) => {
  const many = Array.from({ length: 8 }, (_, n) => server(n + 1));
  const sim = await startTestSim(t, fleet(many, {}, 3), [osSim]);
  for (const api of ['os-keystone', 'os-compute']) {
    for (const error of ['throttle', 'server', 'unavailable'] as const) {
      await faults.checkFaultRecovers(t, faulty(sim, undefined, api), { error, error_count: 1 }, { found: 8 });
    }
  }
  const compute = faulty(sim);
  const throttled = { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED', cloudCode: 'overLimit' };
  await faults.checkFaultFails(t, compute, { error: 'throttle' }, throttled, { timeout: 3000 });
  await faults.checkResetAndTruncated(t, compute, 'discover-os: ListServers failed: ');
  await faults.checkFaultFails(t, compute, { malformed: true }, { code: 'ERR_MALFORMED_RESPONSE', attempts: 1 });
  await faults.checkFaultFails(t, compute, { error: 'server' }, { instanceOf: ProviderError, message: /500 computeFault/, attempts: 4 });
  const refused = { message: /the password of user "discover" was refused/, attempts: 1 };
  await faults.checkFaultFails(t, faulty(sim, undefined, 'os-keystone'), { auth_reject: true }, refused);
});

test('faults: latency past the timeout is a TimeoutError; a rate limit throttles pages and every one is still read', async (t) => {
  const many = Array.from({ length: 8 }, (_, n) => server(n + 1));
  const target = faulty(await startTestSim(t, fleet(many, {}, 2), [osSim]));
  await faults.checkTimeoutAndAbort(t, target, { provider: 'os' });
  await faults.checkRateLimit(t, target, { rps: 20, burst: 1, found: 8 });
});

test('servers appearing later (appear_after_ms) are not listed before they exist', async (t) => {
  const target = faulty(await startTestSim(t, fleet([server(1)]), [osSim]));
  await faults.checkAppearsLater(t, target, server(2), { before: ['10.0.0.1'], after: ['10.0.0.2', '10.0.0.1'] });
});

test('through HTTP_PROXY: tinyproxy logs Keystone and Nova requests', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [osSim]);
  await faults.checkProxy(t, faulty(sim, `provider=os ${pw(sim)} tag_key=consul tag_value=client`), { found: ['10.0.0.4'], secrets: [PASSWORD] });
});

test('insecure: any value skips certificate checks for Keystone and Nova, and the log says so', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [osSim]);
  const https = `provider=os auth_url=${sim.httpsUrl}/identity/v3 user_name=discover domain_name=Default password=${PASSWORD} project_name=infra tag_key=consul tag_value=client`;
  const refused = await runDiscover(['addrs', https], { env: { NODE_EXTRA_CA_CERTS: undefined } });
  t.is(refused.code, 1, refused.stderr);
  const insecure = await runDiscover(['addrs', `${https} insecure=false`], { env: { NODE_EXTRA_CA_CERTS: undefined } });
  t.is(insecure.code, 0, insecure.stderr);
  t.is(insecure.stdout.trim(), '10.0.0.4');
  t.regex(insecure.stderr, /discover-os: insecure: the certificates of 127\.0\.0\.1:\d+ and the compute endpoint are not verified/);
  for (const out of [refused, insecure]) t.false(out.stdout.includes(PASSWORD) || out.stderr.includes(PASSWORD));
});

test('the CLI: the paste works; secrets in no output (check, --format json, a refused password)', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [osSim]);
  const paste = osSim.paste?.(sim.ctx);
  const ok = await runDiscover(['addrs', paste?.config ?? ''], { env: paste?.env });
  t.is(ok.code, 0, ok.stderr);
  t.deepEqual(sorted(ok.stdout.trim().split(' ')), sorted(['10.0.0.1', '10.0.0.2', '2001:db8::2', '2001:db8:1::2', '192.0.2.2']));
  const config = `provider=os ${pw(sim)} application_credential_id=${APP_ID} application_credential_secret=${APP_SECRET}`;
  await faults.checkCliHidesSecrets(t, (argv) => runDiscover(argv), {
    check: { args: [config], shows: 'password=***' },
    addrs: { args: [config], addresses: ['10.0.0.2', '2001:db8::2', '2001:db8:1::2', '192.0.2.2', '10.0.0.1', '10.0.0.4'] },
    refused: { args: [`provider=os ${pw(sim)}`.replace(PASSWORD, WRONG)], says: /the password of user "discover" was refused/ },
    secrets: [PASSWORD, WRONG, APP_SECRET],
  });
});
