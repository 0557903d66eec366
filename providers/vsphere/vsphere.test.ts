/**
 * provider=vsphere: the pure parts as tables, the REST samples against the simulator's shape, then
 * the provider through the engine against the simulator's vCenter on 127.0.0.1 over https (tags,
 * guest addresses read in pages over SOAP, sessions ended whatever happens, faults, auth refusal,
 * tinyproxy, insecure_ssl, secrets in no output). The SOAP wire format: wire.test.ts.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import test from 'ava';
import { Discover } from '../../src/discover.js';
import { ProviderArgsError, ProviderError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/index.js';
import { silentLogger } from '../../src/log.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { shapeOf, typeDifferences } from '../../test/helpers/wire-shape.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { startTinyproxy } from '../../test/helpers/tinyproxy.js';
import { attachedVms, guestAddresses, pickCategory, pickTag, usableGuestAddress, vmAddresses } from './extract.js';
import { MAX_OBJECTS, readGuestNet } from './guest-net.js';
import vsphere from './index.js';
import vsphereSim, { allSessionsDeleted, CIS_API, categoryId, closeSoapSession, liveSessions, liveSoapSessions, nextSoapLogin, SDK_API, tagId } from './sim.js';
import { GUEST_NET_READ, parseEnvelope, parseXml, readRetrieveResult } from './soap.js';

const engine = new Discover({ builtins: false, providers: [vsphere] });
const USER = 'discover@vsphere.local';
const PASSWORD = 'Vc-Pass-7f3e9a1c5b';
const WRONG = 'Not-The-Pass-2d8b4e';
const fixtureText = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const fixture = (name: string) => JSON.parse(fixtureText(name)) as unknown;

// ---------------------------------------------------------------- pure

const addressCases: Array<[string, boolean]> = [
  ['10.0.0.1', true],
  ['203.0.113.5', true],
  ['127.0.0.1', false],
  ['127.255.0.9', false],
  ['169.254.10.1', false],
  ['224.0.0.251', false],
  ['239.1.2.3', false],
  ['2001:db8::1', true],
  ['::1', false],
  ['fe80::250:56ff:fea1:3c7e', false],
  ['fe80::1%eth0', false],
  ['FE80::1', false],
  ['fe8::1', true],
  ['0:0:0:0:0:0:0:1', false],
  ['0::1', false],
  ['::', true],
  ['::ffff:7f00:1', false],
  ['0:0:0:0:0:ffff:a01:203', true],
  ['::ffff:169.254.1.1', false],
  ['febf::1', false],
  ['fec0::1', true],
  ['ff02::1', false],
  ['ff05::2', false],
  ['::ffff:127.0.0.1', false],
  ['::ffff:10.1.2.3', true],
  ['not-an-ip', false],
];
for (const [address, kept] of addressCases) {
  test(`usableGuestAddress(${address}) is ${kept}`, (t) => t.is(usableGuestAddress(address), kept));
}

test("guestAddresses: the sample's guest.net keeps the IPv4 and the global IPv6, drops the link-local IPv6", (t) => {
  const parsed = parseEnvelope(fixtureText('soap-retrieve-properties-ex.xml'));
  const result = typeof parsed === 'string' ? parsed : readRetrieveResult(parsed.node);
  if (typeof result === 'string') return t.fail(result);
  t.deepEqual(guestAddresses(result.objects[0]?.nics ?? []), { kept: ['192.168.122.87', '2001:db8:42::87'], dropped: ['fe80::bba5:5d60:f47c:81b5'] });
  t.deepEqual(guestAddresses([{}, { ipConfig: {} }, { ipConfig: { ipAddress: [{}] } }]), { kept: [], dropped: [] });
});

test('vmAddresses: in the tag order; unset, empty or absent guest.net is no Tools data; an unreadable one is an error', (t) => {
  const nic = { ipConfig: { ipAddress: [{ ipAddress: '10.0.0.1' }, { ipAddress: 'fe80::1' }] } };
  t.deepEqual(vmAddresses(['vm-2', 'vm-1', 'vm-3', 'vm-4'], [{ vm: 'vm-1', nics: [nic] }, { vm: 'vm-2', nics: [] }, { vm: 'vm-3' }]), [
    { vm: 'vm-2', kept: [], dropped: [], noTools: 'guest.net is empty' },
    { vm: 'vm-1', kept: ['10.0.0.1'], dropped: ['fe80::1'] },
    { vm: 'vm-3', kept: [], dropped: [], noTools: 'guest.net is unset' },
    { vm: 'vm-4', kept: [], dropped: [], noTools: 'guest.net is unset' },
  ]);
  t.is(vmAddresses(['vm-1'], [{ vm: 'vm-1', missing: 'NoPermission' }]), 'the guest.net of VM vm-1 could not be read (NoPermission)');
});

test("pickCategory / pickTag: exact names, go-discover's error texts", (t) => {
  t.deepEqual(pickCategory([{ id: 'c1', name: 'role' }], 'role'), { id: 'c1', name: 'role' });
  t.is(pickCategory([{ id: 'c1', name: 'Role' }], 'role'), 'category name "role" not found');
  t.is(
    pickCategory(
      [
        { id: 'c1', name: 'role' },
        { id: 'c2', name: 'role' },
      ],
      'role',
    ),
    'multiple categories with name "role" found',
  );
  t.deepEqual(pickTag([{ id: 't1', name: 'server' }], 'server', 'c1'), { id: 't1', name: 'server' });
  t.is(pickTag([{ id: 't1', name: 'server' }], 'client', 'c1'), 'tag name "client" not found in category ID "c1"');
});

test('attachedVms: VirtualMachine objects only, each once', (t) => {
  t.deepEqual(attachedVms(fixture('attached-objects.json') as never), ['vm-42']);
  t.deepEqual(
    attachedVms([
      { tag_id: 'a', object_ids: [{ type: 'VirtualMachine', id: 'vm-1' }] },
      {
        tag_id: 'b',
        object_ids: [
          { type: 'VirtualMachine', id: 'vm-1' },
          { type: 'Datastore', id: 'ds-2' },
        ],
      },
    ]),
    ['vm-1'],
  );
});

// ---------------------------------------------------------------- against the simulator

function vm(n: number, over: Partial<FleetInstance> = {}): FleetInstance {
  return { id: `vm-${100 + n}`, cloud: 'vsphere', name: `vm${n}`, tags: { 'consul-role': 'server' }, private_ipv4: `10.0.0.${n}`, ...over };
}

function fleet(instances: FleetInstance[]): Fleet {
  return { credentials: { vsphere: { user: USER, password: PASSWORD } }, instances };
}

const estate = [
  vm(1),
  vm(2, { private_ipv6: '2001:db8::2', extra_nics: [{ private_ipv4: '192.0.2.2' }] }),
  vm(3, { vmware_tools: false }),
  vm(4, { tags: { 'consul-role': 'client' } }),
  vm(5, { tags: { 'consul-role': 'server', env: 'prod' }, private_ipv4: '127.0.0.5', public_ipv4: '198.51.100.5' }),
  vm(6, { state: 'stopped' }),
];

type Sim = Awaited<ReturnType<typeof startTestSim>>;
const hostOf = (sim: Sim) => new URL(sim.httpsUrl).host;
const cfg = (sim: Sim, extra = 'category_name=consul-role tag_name=server') =>
  `provider=vsphere ${extra} host=${hostOf(sim)} user=${USER} password=${PASSWORD}`;

test('the samples and the simulator have the same shape along the paths the provider reads', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const response = await fetch(new URL(path, sim.httpsUrl), {
      method,
      headers: { ...headers, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: response.status === 204 ? undefined : ((await response.json()) as unknown) };
  };
  const denied = await call('POST', '/api/session', { authorization: `Basic ${Buffer.from(`${USER}:${WRONG}`).toString('base64')}` });
  t.is(denied.status, 401);
  t.deepEqual(denied.body, fixture('error-unauthenticated.json'));
  const login = await call('POST', '/api/session', { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` });
  t.is(login.status, 201);
  t.is(typeof login.body, typeof fixture('session.json'));
  const s = { 'vmware-api-session-id': login.body as string };
  const cat = categoryId('consul-role');
  const tag = tagId('consul-role', 'server');
  const sameShape = (body: unknown, recorded: string, paths: readonly string[]) => typeDifferences(shapeOf(body), shapeOf(fixture(recorded)), paths);
  // '' is the body itself: a list of ids is an array of strings.
  t.deepEqual(sameShape((await call('GET', '/api/cis/tagging/category', s)).body, 'category-list.json', ['']), []);
  const objectPaths = ['id', 'name', 'category_id'];
  t.deepEqual(sameShape((await call('GET', `/api/cis/tagging/category/${cat}`, s)).body, 'category.json', objectPaths.slice(0, 2)), []);
  const tagIds = (await call('POST', '/api/cis/tagging/tag?action=list-tags-for-category', s, { category_id: cat })).body;
  t.deepEqual(sameShape(tagIds, 'tags-for-category.json', ['']), []);
  t.deepEqual(sameShape((await call('GET', `/api/cis/tagging/tag/${tag}`, s)).body, 'tag.json', objectPaths), []);
  const attached = (await call('POST', '/api/cis/tagging/tag-association?action=list-attached-objects-on-tags', s, { tag_ids: [tag] })).body;
  t.deepEqual(sameShape(attached, 'attached-objects.json', ['tag_id', 'object_ids.type', 'object_ids.id']), []);
  t.is((await call('DELETE', '/api/session', s)).status, 204);
  t.is(liveSessions(sim.ctx), 0);
});

test('VMs with the tag: every guest address but loopback and link-local, v4 and v6, every NIC; both sessions ended', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const warnings: string[] = [];
  const logger = { debug: () => {}, info: () => {}, warn: (m: string) => warnings.push(m), error: () => {} };
  const found = await engine.addrs(cfg(sim), { logger });
  t.deepEqual(found, ['10.0.0.1', '10.0.0.2', '2001:db8::2', '192.0.2.2', '198.51.100.5']);
  t.is(liveSessions(sim.ctx), 0);
  // One bulk read, not a request per VM: RetrieveServiceContent, Login, one RetrievePropertiesEx, Logout.
  t.is(sim.counts()[SDK_API], 4);
  t.true(
    warnings.some((w) => /VM vm-103 has no VMware Tools data, no addresses from it \(guest\.net is unset\)/.test(w)),
    warnings.join('\n'),
  );
  t.true(
    warnings.some((w) => /VM vm-106 has no VMware Tools data/.test(w)),
    warnings.join('\n'),
  );
  t.deepEqual(await engine.addrs(cfg(sim, 'category_name=consul-role tag_name=client')), ['10.0.0.4']);
  t.deepEqual(await engine.addrs(cfg(sim, 'category_name=env tag_name=prod')), ['198.51.100.5']);
  t.is(liveSessions(sim.ctx), 0);
});

test('many VMs: every page read (the fleet page size), none lost, the session logged out', async (t) => {
  const many = Array.from({ length: 50 }, (_, n) => vm(n + 1, { private_ipv4: `10.1.${n >> 8}.${n & 255}` }));
  const sim = await startTestSim(t, { ...fleet(many), page_size: { [SDK_API]: 7 } }, [vsphereSim]);
  const found = await engine.addrs(cfg(sim));
  t.deepEqual(
    found,
    many.map((i) => i.private_ipv4 as string),
  );
  // RetrieveServiceContent, Login, 8 pages of 7 (RetrievePropertiesEx, 7 ContinueRetrievePropertiesEx), Logout.
  t.is(sim.counts()[SDK_API], 11);
  t.is(liveSoapSessions(sim.ctx), 0);
  t.is(liveSessions(sim.ctx), 0);
});

test(`the client asks ${MAX_OBJECTS} VMs a page and reads the continuation`, async (t) => {
  const many = Array.from({ length: MAX_OBJECTS + 1 }, (_, n) => vm(n + 1, { private_ipv4: `10.2.${n >> 8}.${n & 255}` }));
  const sim = await startTestSim(t, fleet(many), [vsphereSim]);
  t.is((await engine.addrs(cfg(sim))).length, MAX_OBJECTS + 1);
  t.is(sim.counts()[SDK_API], 5);
});

test('a rate limit throttles the SOAP calls and every VM is still read; VMs appearing later are not listed', async (t) => {
  const many = Array.from({ length: 12 }, (_, n) => vm(n + 1));
  const sim = await startTestSim(t, { ...fleet([...many, vm(99, { appear_after_ms: 3_600_000 })]), page_size: { [SDK_API]: 3 } }, [vsphereSim]);
  // Login and 4 pages: the bucket lets 2 through; the rest wait for Retry-After, within 4 attempts.
  sim.setFaults(SDK_API, { rate_limit: { rps: 50, burst: 2 } });
  t.is((await engine.addrs(cfg(sim))).length, 12);
  t.is(liveSessions(sim.ctx), 0);
});

test('a session that ends while in use: NotAuthenticated, a typed error, not retried; the REST session still deleted', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const warnings: string[] = [];
  const logger = { debug: () => {}, info: () => {}, warn: (m: string) => warnings.push(m), error: () => {} };
  // Ended before its Login is answered: the next call finds it gone, as after vCenter's idle timeout.
  void nextSoapLogin(sim.ctx).then((id) => closeSoapSession(sim.ctx, id));
  await t.throwsAsync(engine.discover(cfg(sim), { logger }), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: 'discover-vsphere: RetrievePropertiesEx failed: 500 NotAuthenticated: The session is not authenticated.',
  });
  // RetrieveServiceContent, Login, RetrievePropertiesEx once (not retried), Logout (refused: already gone).
  t.is(sim.counts()[SDK_API], 4);
  t.true(
    warnings.some((w) => /Logout answered 500/.test(w)),
    warnings.join('\n'),
  );
  t.is(liveSessions(sim.ctx), 0);
});

test('a password with XML markup characters logs in (escaped in the SOAP Login)', async (t) => {
  const password = `a<b>&c"d'e`;
  const sim = await startTestSim(t, { credentials: { vsphere: { user: USER, password } }, instances: estate }, [vsphereSim]);
  const env = { VSPHERE_SERVER: hostOf(sim), VSPHERE_USER: USER, VSPHERE_PASSWORD: password, AUTOJOIN_LOOPBACK_ONLY: '1' };
  t.deepEqual(await engine.addrs('provider=vsphere category_name=consul-role tag_name=client', { env }), ['10.0.0.4']);
  t.is(liveSessions(sim.ctx), 0);
});

test('host, user and password from VSPHERE_SERVER, VSPHERE_USER, VSPHERE_PASSWORD', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const env = { VSPHERE_SERVER: hostOf(sim), VSPHERE_USER: USER, VSPHERE_PASSWORD: PASSWORD, AUTOJOIN_LOOPBACK_ONLY: '1' };
  t.deepEqual(await engine.addrs('provider=vsphere category_name=consul-role tag_name=client', { env }), ['10.0.0.4']);
});

test("timeout (go-discover's discovery timeout) bounds the call: a timeout error, and no session left behind", async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  // Every call that opens a session is held far longer than the test lasts (closing the sim ends the
  // wait): a login answered after the client gave up would leave a session no client knew of (with
  // 5 s, a stalled machine did). Which call the 300 ms end in depends on the machine's load.
  sim.setFaults(CIS_API, { latency_ms: 120_000 });
  sim.setFaults(SDK_API, { latency_ms: 120_000 });
  await t.throwsAsync(engine.discover(`${cfg(sim)} timeout=300ms`), {
    code: 'ERR_TIMEOUT',
    message: 'discover-vsphere (the timeout argument) timed out after 300 ms',
  });
  sim.setFaults(CIS_API, {});
  sim.setFaults(SDK_API, {});
  await allSessionsDeleted(sim.ctx);
  t.is(liveSessions(sim.ctx), 0);
  await t.throwsAsync(engine.discover(`${cfg(sim)} timeout=soon`), { instanceOf: ProviderArgsError, message: /timeout/ });
});

test('the timeout argument fires while garbage collection runs (its timer is held, not left to AbortSignal.timeout)', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  sim.setFaults(CIS_API, { latency_ms: 120_000 });
  sim.setFaults(SDK_API, { latency_ms: 120_000 });
  // A full collection every few milliseconds while the call waits: Node 20 collects a timeout
  // signal that only AbortSignal.any() refers to, and such a timeout never fired.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const collecting = setInterval(gc, 5);
  t.teardown(() => clearInterval(collecting));
  await t.throwsAsync(engine.discover(`${cfg(sim)} timeout=400ms`, { timeout: '30s' }), {
    code: 'ERR_TIMEOUT',
    message: 'discover-vsphere (the timeout argument) timed out after 400 ms',
  });
});

test('a page that hangs past the timeout: a timeout error, and the SOAP session logged out', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  // After Login, every faultable SOAP call (the pages) is held far longer than the test lasts.
  void nextSoapLogin(sim.ctx).then(() => sim.setFaults(SDK_API, { latency_ms: 120_000 }));
  // The timeout must fall after Login is answered: one that ends the call during Login leaves a
  // session the client never learned of (as on a real vCenter), and nothing to log out. A loaded
  // test worker took over a second to log in; 8 s leaves room, and the test lasts that long.
  await t.throwsAsync(engine.discover(`${cfg(sim)} timeout=8s`), { code: 'ERR_TIMEOUT' });
  // The event that the call's finally ran: Logout reached vCenter although the page never answered.
  await allSessionsDeleted(sim.ctx);
  t.is(liveSoapSessions(sim.ctx), 0);
  t.is(sim.counts()[SDK_API], 4);
});

test('tag_name and category_name go together; host, user, password required; checked before any request', async (t) => {
  await t.throwsAsync(engine.discover(`provider=vsphere tag_name=server host=h user=u password=p`, { env: {} }), {
    instanceOf: ProviderArgsError,
    message: /category_name/,
  });
  await t.throwsAsync(engine.discover('provider=vsphere tag_name=a category_name=b', { env: {} }), {
    instanceOf: ProviderArgsError,
    message: /host[\s\S]*user[\s\S]*password|password[\s\S]*host/,
  });
  await t.throwsAsync(engine.discover('provider=vsphere tag_name=a category_name=b host=h user=u password=p insecure_ssl=maybe', { env: {} }), {
    instanceOf: ProviderArgsError,
    message: /insecure_ssl/,
  });
});

test("an unknown category or tag: go-discover's error, and the session is still deleted", async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  await t.throwsAsync(engine.discover(cfg(sim, 'category_name=nope tag_name=server')), {
    instanceOf: ProviderError,
    message: 'discover-vsphere: FindCategory failed: category name "nope" not found',
  });
  await t.throwsAsync(engine.discover(cfg(sim, 'category_name=consul-role tag_name=nope')), {
    instanceOf: ProviderError,
    message: `discover-vsphere: FindTag failed: tag name "nope" not found in category ID "${categoryId('consul-role')}"`,
  });
  t.is(liveSessions(sim.ctx), 0);
});

test('a wrong password: an authentication error naming the user, never the password, not retried, no session', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const error = await t.throwsAsync(engine.discover(cfg(sim).replace(PASSWORD, WRONG)), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: `discover-vsphere: CreateSession failed: 401 UNAUTHENTICATED: authentication failed: the password of user "${USER}" was refused (check user / VSPHERE_USER and password / VSPHERE_PASSWORD)`,
  });
  t.false(JSON.stringify({ m: error?.message, s: error?.stack }).includes(WRONG));
  t.deepEqual(sim.counts(), { 'vsphere-cis': 1 });
  t.is(liveSessions(sim.ctx), 0);
});

test('the SOAP Login refused (InvalidLogin): an authentication error naming the user, never the password, not retried', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  sim.setFaults(SDK_API, { auth_reject: true });
  const error = await t.throwsAsync(engine.discover(cfg(sim)), {
    instanceOf: ProviderError,
    code: 'ERR_PROVIDER',
    message: `discover-vsphere: Login failed: 500 InvalidLogin: authentication failed: the password of user "${USER}" was refused (check user / VSPHERE_USER and password / VSPHERE_PASSWORD)`,
  });
  t.false(JSON.stringify({ m: error?.message, s: error?.stack, c: String((error?.cause as Error)?.message) }).includes(PASSWORD));
  t.is(sim.counts()[SDK_API], 2);
  t.is(liveSessions(sim.ctx), 0);
});

test('faults: throttle, SystemError and 503 retried; malformed, reset, truncated, persistent errors typed; never a leaked session', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const config = cfg(sim, 'category_name=consul-role tag_name=client');
  for (const [api, error] of [
    [CIS_API, 'throttle'],
    [CIS_API, 'server'],
    [SDK_API, 'server'],
    [SDK_API, 'throttle'],
    [SDK_API, 'unavailable'],
  ] as const) {
    sim.setFaults(api, { error, error_count: 1 });
    t.deepEqual(await engine.addrs(config), ['10.0.0.4'], `${api} ${error}`);
    sim.setFaults(api, {});
  }
  t.is(liveSessions(sim.ctx), 0);
  sim.setFaults(SDK_API, { error: 'server' });
  await t.throwsAsync(engine.discover(config, { timeout: '5s' }), {
    instanceOf: ProviderError,
    message: 'discover-vsphere: Login failed: 500 SystemError: A general system error occurred: Internal error',
  });
  sim.setFaults(SDK_API, {});
  // The rest after Login (a Login answer lost on the way would leave a session on vCenter, as it would on a real one).
  const afterLogin = async (faults: Parameters<typeof sim.setFaults>[1], expected: { code?: string; message: RegExp }) => {
    void nextSoapLogin(sim.ctx).then(() => sim.setFaults(SDK_API, faults));
    await t.throwsAsync(engine.discover(config, { timeout: '5s' }), expected);
    sim.setFaults(SDK_API, {});
  };
  await afterLogin({ malformed: true }, { code: 'ERR_MALFORMED_RESPONSE', message: /discover-vsphere: RetrievePropertiesEx: the answer is not/ });
  await afterLogin({ reset: true }, { code: 'ERR_PROVIDER', message: /RetrievePropertiesEx failed/ });
  await afterLogin({ truncated: true }, { code: 'ERR_PROVIDER', message: /RetrievePropertiesEx failed/ });
  await afterLogin({ error: 'server' }, { code: 'ERR_PROVIDER', message: /RetrievePropertiesEx failed: 500 SystemError/ });
  sim.setFaults(SDK_API, { reset: true });
  await t.throwsAsync(engine.discover(config, { timeout: '5s' }), { instanceOf: ProviderError, message: /Login failed/ });
  sim.setFaults(SDK_API, {});
  sim.setFaults(CIS_API, { error: 'throttle', error_count: 1000 });
  await t.throwsAsync(engine.discover(config, { timeout: '3s' }), { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED' });
  sim.setFaults(CIS_API, {});
  t.is(liveSessions(sim.ctx), 0);
});

test('a page that does not parse: a typed error, and the SOAP session still logged out', async (t) => {
  const sim = await startTestSim(t, { ...fleet(estate), page_size: { [SDK_API]: 1 } }, [vsphereSim]);
  // Login passes; the first page is broken.
  void nextSoapLogin(sim.ctx).then(() => sim.setFaults(SDK_API, { malformed: true }));
  await t.throwsAsync(engine.discover(cfg(sim)), { code: 'ERR_MALFORMED_RESPONSE', message: /RetrievePropertiesEx: the answer is not XML/ });
  sim.setFaults(SDK_API, {});
  t.is(liveSoapSessions(sim.ctx), 0);
  t.is(liveSessions(sim.ctx), 0);
});

test('through HTTPS_PROXY: tinyproxy logs the CONNECT to vCenter', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const proxy = await startTinyproxy(t);
  const found = await engine.addrs(cfg(sim, 'category_name=consul-role tag_name=client'), { env: { HTTPS_PROXY: proxy.url, AUTOJOIN_LOOPBACK_ONLY: '1' } });
  t.deepEqual(found, ['10.0.0.4']);
  t.true(proxy.requests().every((r) => r === `CONNECT ${hostOf(sim)}`) && proxy.requests().length > 0, proxy.requests().join('\n'));
  // The SOAP calls went through it too (CONNECT tunnels carry both APIs; the sim saw them).
  t.is(sim.counts()[SDK_API], 4);
  t.is(liveSessions(sim.ctx), 0);
});

test('the SOAP calls alone go through HTTPS_PROXY (the shared client): tinyproxy tunnels them', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const proxy = await startTinyproxy(t);
  const http = createHttpClient({ env: { HTTPS_PROXY: proxy.url } });
  t.teardown(() => http.destroy());
  const ctx = { http, log: silentLogger, signal: new AbortController().signal, deadline: undefined, userAgent: 'test', env: {} };
  const contents = await readGuestNet(ctx, { base: sim.httpsUrl, user: USER, password: PASSWORD, tls: undefined }, ['vm-101', 'vm-102']);
  t.deepEqual(
    contents.map((c) => c.vm),
    ['vm-101', 'vm-102'],
  );
  t.true(proxy.requests().length > 0 && proxy.requests().every((r) => r === `CONNECT ${hostOf(sim)}`), proxy.requests().join('\n'));
  t.deepEqual(sim.counts(), { [SDK_API]: 4 });
  t.is(liveSessions(sim.ctx), 0);
  // A proxy that refuses the tunnel: the first SOAP call fails there, and vCenter sees nothing.
  const refusing = await startTinyproxy(t, { connectPorts: [1] });
  const refusedHttp = createHttpClient({ env: { HTTPS_PROXY: refusing.url } });
  t.teardown(() => refusedHttp.destroy());
  await t.throwsAsync(
    readGuestNet({ ...ctx, http: refusedHttp, maxAttempts: 1 }, { base: sim.httpsUrl, user: USER, password: PASSWORD, tls: undefined }, ['vm-101']),
    {
      message: /RetrieveServiceContent failed: .*403/,
    },
  );
  t.deepEqual(sim.counts(), { [SDK_API]: 4 });
});

test('the CLI: the paste works; insecure_ssl only when asked, and said; the password in no output', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const paste = vsphereSim.paste?.(sim.ctx);
  const ok = await runDiscover(['addrs', paste?.config ?? ''], { env: paste?.env });
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout.trim(), '10.0.0.1 10.0.0.2 2001:db8::2 192.0.2.2 198.51.100.5');
  const config = cfg(sim, 'category_name=consul-role tag_name=client');
  // Without the sim's CA: refused, unless insecure_ssl=true, which the log says.
  const untrusted = await runDiscover(['addrs', config], { env: { NODE_EXTRA_CA_CERTS: undefined } });
  t.is(untrusted.code, 1, untrusted.stderr);
  t.regex(untrusted.stderr, /certificate|self.signed|issuer/i);
  const insecure = await runDiscover(['addrs', `${config} insecure_ssl=true`], { env: { NODE_EXTRA_CA_CERTS: undefined } });
  t.is(insecure.code, 0, insecure.stderr);
  t.is(insecure.stdout.trim(), '10.0.0.4');
  t.regex(insecure.stderr, /insecure_ssl: the certificate of 127\.0\.0\.1:\d+ is not verified/);
  t.notRegex(ok.stderr, /insecure_ssl/);
  const outputs = [
    ok,
    untrusted,
    insecure,
    await runDiscover(['check', config]),
    await runDiscover(['--format', 'json', 'addrs', config]),
    await runDiscover(['addrs', config.replace(PASSWORD, WRONG)]),
  ];
  t.is(outputs[5]?.code, 1);
  for (const out of outputs) {
    for (const secret of [PASSWORD, WRONG]) t.false(out.stdout.includes(secret) || out.stderr.includes(secret), out.stdout + out.stderr);
  }
  t.is(liveSessions(sim.ctx), 0);
});

test('readRetrieveResult: an address element with attributes (xsi:type on a string) still gives its address', (t) => {
  // The sample page with every address typed, as SOAP allows on any element.
  const xml = fixtureText('soap-retrieve-properties-ex.xml').replace(
    /<ipAddress>([0-9a-f.:]+)<\/ipAddress>/g,
    '<ipAddress xsi:type="xsd:string">$1</ipAddress>',
  );
  t.true(xml.includes('<ipAddress xsi:type="xsd:string">192.168.122.87</ipAddress>'));
  const parsed = parseEnvelope(xml);
  const result = typeof parsed === 'string' ? parsed : readRetrieveResult(parsed.node);
  if (typeof result === 'string') return t.fail(result);
  t.deepEqual(guestAddresses(result.objects[0]?.nics ?? []), { kept: ['192.168.122.87', '2001:db8:42::87'], dropped: ['fe80::bba5:5d60:f47c:81b5'] });
});

test('parseXml with a filter: the children it leaves out are parsed but not built, and still checked', (t) => {
  const filter = new Map([['nic', new Set(['ip'])]]);
  t.deepEqual(
    parseXml(
      '<root><nic><mac>m</mac><ip>10.0.0.1</ip><dns><server>s</server></dns></nic><nic><mac>m2</mac></nic><other><mac>kept</mac></other></root>',
      filter,
    ),
    {
      // A NIC whose every child was left out is still an element, not the empty text of one.
      root: { nic: [{ ip: '10.0.0.1' }, {}], other: { mac: 'kept' } },
    },
  );
  // Well-formedness is checked inside the left-out part too: a truncated or broken page is an error, never a shorter list.
  t.throws(() => parseXml('<root><nic><dns><server>s</dns></server></nic></root>', filter));
  t.throws(() => parseXml('<root><nic><dns><server>s', filter));
});

test('parseXml: elements named like Object.prototype members are data (no prototype set, no filter lookup on the prototype)', (t) => {
  const tree = parseXml('<root><__proto__><objects>x</objects></__proto__><constructor><a>1</a></constructor><toString>s</toString></root>', GUEST_NET_READ);
  const root = tree.root as Record<string, unknown>;
  t.is(Object.getPrototypeOf(root), Object.prototype);
  t.deepEqual(Object.keys(root), ['__proto__', 'constructor', 'toString']);
  t.deepEqual(Object.getOwnPropertyDescriptor(root, '__proto__')?.value, { objects: ['x'] });
  t.deepEqual(root.constructor, { a: '1' });
  t.is(root.objects, undefined);
});

test('parseEnvelope: entities a document declares are never expanded (no entity bomb, no external file read)', (t) => {
  const envelope = (doctype: string, body: string) =>
    `<?xml version="1.0"?>${doctype}<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><X>${body}</X></soapenv:Body></soapenv:Envelope>`;
  const bomb = envelope(
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>',
    '&lol3;',
  );
  t.regex(parseEnvelope(bomb) as string, /^the answer is not XML \(undefined entity/);
  t.regex(
    parseEnvelope(envelope('<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>', '&xxe;')) as string,
    /^the answer is not XML \(undefined entity/,
  );
  // XML's own five and character references are read.
  t.deepEqual(parseXml('<X>&lt;&amp;&#65;</X>'), { X: '<&A' });
});

test('readRetrieveResult: the recorded page read through the guest.net filter gives the same VMs and addresses as read whole', (t) => {
  const text = fixtureText('soap-retrieve-properties-ex.xml');
  const whole = parseEnvelope(text);
  const filtered = parseEnvelope(text, GUEST_NET_READ);
  if (typeof whole === 'string' || typeof filtered === 'string') return t.fail('not an envelope');
  t.deepEqual(readRetrieveResult(filtered.node), readRetrieveResult(whole.node));
  // What the filter leaves out is not built: the NIC's MAC, network and flat address list, each address's prefix and state.
  const nic = JSON.stringify(filtered.node);
  for (const gone of ['00:50:56:a1:3c:7e', 'VM Network', 'prefixLength', 'preferred', 'lifetime']) t.false(nic.includes(gone), gone);
  // A NIC without addresses (no ipConfig) is still a NIC, so the VM reads as reporting none, not as a malformed page.
  const bare = parseEnvelope(text.replace(/<ipConfig>.*<\/ipConfig>/, ''), GUEST_NET_READ);
  if (typeof bare === 'string') return t.fail(bare);
  const result = readRetrieveResult(bare.node);
  if (typeof result === 'string') return t.fail(result);
  t.deepEqual(result.objects[0], { vm: 'vm-42', nics: [{}] });
});

test('readRetrieveResult: a guest.net vCenter could not read (missingSet) is named, not taken for a Tools-less VM', (t) => {
  // The missingSet form of govmomi's recorded vim25/mo/fixtures/not_authenticated_fault.xml, for guest.net.
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><RetrievePropertiesExResponse xmlns="urn:vim25"><returnval>' +
    '<objects><obj type="VirtualMachine">vm-7</obj><missingSet><path>guest.net</path><fault><fault xsi:type="NoPermission">' +
    '<object type="VirtualMachine">vm-7</object><privilegeId>System.Read</privilegeId></fault><localizedMessage/></fault></missingSet></objects>' +
    '</returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>';
  const parsed = parseEnvelope(xml);
  t.deepEqual(typeof parsed === 'string' ? parsed : readRetrieveResult(parsed.node), { token: undefined, objects: [{ vm: 'vm-7', missing: 'NoPermission' }] });
  const empty = parseEnvelope(xml.replace(/<returnval>.*<\/returnval>/, ''));
  t.deepEqual(typeof empty === 'string' ? empty : readRetrieveResult(empty.node), { token: undefined, objects: [] });
});
