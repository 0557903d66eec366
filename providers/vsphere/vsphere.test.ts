/**
 * provider=vsphere: the pure parts as tables, the samples against the simulator's shape, then the
 * provider through the engine against the simulator's vCenter on 127.0.0.1 over https (tags,
 * guest addresses, sessions deleted whatever happens, faults, auth refusal, tinyproxy,
 * insecure_ssl, secrets in no output).
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { Discover } from '../../src/discover.js';
import { ProviderArgsError, ProviderError } from '../../src/errors.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import { runDiscover } from '../../test/helpers/cli.js';
import { shapeAt } from '../../test/helpers/shape-tree.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { startTinyproxy } from '../../test/helpers/tinyproxy.js';
import { attachedVms, type GuestInterface, guestAddresses, pickCategory, pickTag, usableGuestAddress } from './extract.js';
import vsphere from './index.js';
import vsphereSim, { allSessionsDeleted, categoryId, liveSessions, tagId, VCENTER_API } from './sim.js';

const engine = new Discover({ builtins: false, providers: [vsphere] });
const USER = 'discover@vsphere.local';
const PASSWORD = 'Vc-Pass-7f3e9a1c5b';
const WRONG = 'Not-The-Pass-2d8b4e';
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as unknown;

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

test('guestAddresses: the recorded answer keeps the IPv4, drops the link-local IPv6', (t) => {
  t.deepEqual(guestAddresses(fixture('guest-interfaces.json') as GuestInterface[]), { kept: ['192.168.122.87'], dropped: ['fe80::bba5:5d60:f47c:81b5'] });
  t.deepEqual(guestAddresses([{ mac_address: 'x' }, { ip: {} }]), { kept: [], dropped: [] });
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
  t.deepEqual(shapeAt((await call('GET', '/api/cis/tagging/category', s)).body, ['[]']), shapeAt(fixture('category-list.json'), ['[]']));
  const objectPaths = ['id', 'name', 'category_id'];
  t.deepEqual(
    shapeAt((await call('GET', `/api/cis/tagging/category/${cat}`, s)).body, objectPaths.slice(0, 2)),
    shapeAt(fixture('category.json'), objectPaths.slice(0, 2)),
  );
  t.deepEqual(
    shapeAt((await call('POST', '/api/cis/tagging/tag?action=list-tags-for-category', s, { category_id: cat })).body, ['[]']),
    shapeAt(fixture('tags-for-category.json'), ['[]']),
  );
  t.deepEqual(shapeAt((await call('GET', `/api/cis/tagging/tag/${tag}`, s)).body, objectPaths), shapeAt(fixture('tag.json'), objectPaths));
  const assocPaths = ['[].tag_id', '[].object_ids[].type', '[].object_ids[].id'];
  const wrap = (x: unknown) => ({ '': x });
  t.deepEqual(
    shapeAt(
      wrap((await call('POST', '/api/cis/tagging/tag-association?action=list-attached-objects-on-tags', s, { tag_ids: [tag] })).body),
      assocPaths.map((p) => p.replace(/^\[\]/, '[]')),
    ),
    shapeAt(wrap(fixture('attached-objects.json')), assocPaths),
  );
  const nicPaths = ['[].ip.ip_addresses[].ip_address', '[].ip.ip_addresses[].prefix_length', '[].ip.ip_addresses[].state', '[].mac_address', '[].nic'];
  t.deepEqual(
    shapeAt(wrap((await call('GET', '/api/vcenter/vm/vm-101/guest/networking/interfaces', s)).body), nicPaths),
    shapeAt(wrap(fixture('guest-interfaces.json')), nicPaths),
  );
  t.is((await call('DELETE', '/api/session', s)).status, 204);
  t.is(liveSessions(sim.ctx), 0);
});

test('VMs with the tag: every guest address but loopback and link-local, v4 and v6, every NIC; the session is deleted', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const warnings: string[] = [];
  const logger = { debug: () => {}, info: () => {}, warn: (m: string) => warnings.push(m), error: () => {} };
  const found = await engine.addrs(cfg(sim), { logger });
  t.deepEqual(found, ['10.0.0.1', '10.0.0.2', '2001:db8::2', '192.0.2.2', '198.51.100.5']);
  t.is(liveSessions(sim.ctx), 0);
  t.true(
    warnings.some((w) => /VM vm-103 has no VMware Tools data/.test(w)),
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

test('many VMs: every one asked, none lost', async (t) => {
  const many = Array.from({ length: 50 }, (_, n) => vm(n + 1, { private_ipv4: `10.1.${n >> 8}.${n & 255}` }));
  const sim = await startTestSim(t, fleet(many), [vsphereSim]);
  const found = await engine.addrs(cfg(sim));
  t.is(found.length, 50);
  t.is(sim.counts()['vsphere-vcenter'], 50);
});

test('a rate limit throttles guest calls and every VM is still read; VMs appearing later are not listed', async (t) => {
  const many = Array.from({ length: 12 }, (_, n) => vm(n + 1));
  const sim = await startTestSim(t, fleet([...many, vm(99, { appear_after_ms: 3_600_000 })]), [vsphereSim]);
  // 16 guest calls run at once: the bucket lets 4 through a round; the rest retry after Retry-After, within 4 attempts.
  sim.setFaults(VCENTER_API, { rate_limit: { rps: 50, burst: 4 } });
  t.is((await engine.addrs(cfg(sim))).length, 12);
  t.is(liveSessions(sim.ctx), 0);
});

test('host, user and password from VSPHERE_SERVER, VSPHERE_USER, VSPHERE_PASSWORD', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const env = { VSPHERE_SERVER: hostOf(sim), VSPHERE_USER: USER, VSPHERE_PASSWORD: PASSWORD, AUTOJOIN_LOOPBACK_ONLY: '1' };
  t.deepEqual(await engine.addrs('provider=vsphere category_name=consul-role tag_name=client', { env }), ['10.0.0.4']);
});

test("timeout (go-discover's discovery timeout) bounds the call: a timeout error, and no session left behind", async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  // Every call, the login included, is held far longer than the test lasts (closing the sim ends the
  // wait): with 5 s, a machine stalled that long let the login be answered after the client had given
  // up, leaving a session no client knew of. A session left by a later call is the faults test's.
  sim.setFaults('vsphere-vcenter', { latency_ms: 120_000 });
  await t.throwsAsync(engine.discover(`${cfg(sim)} timeout=300ms`), {
    code: 'ERR_TIMEOUT',
    message: 'discover-vsphere (the timeout argument) timed out after 300 ms',
  });
  sim.setFaults('vsphere-vcenter', {});
  await allSessionsDeleted(sim.ctx);
  t.is(liveSessions(sim.ctx), 0);
  await t.throwsAsync(engine.discover(`${cfg(sim)} timeout=soon`), { instanceOf: ProviderArgsError, message: /timeout/ });
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

test('faults: throttle and server errors retried; unavailable guest data skipped; reset, truncated, malformed, auth_reject; never a leaked session', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const config = cfg(sim, 'category_name=consul-role tag_name=client');
  for (const [api, error] of [
    ['vsphere-cis', 'throttle'],
    ['vsphere-cis', 'server'],
    ['vsphere-vcenter', 'server'],
    ['vsphere-vcenter', 'throttle'],
  ] as const) {
    sim.setFaults(api, { error, error_count: 1 });
    t.deepEqual(await engine.addrs(config), ['10.0.0.4'], `${api} ${error}`);
    sim.setFaults(api, {});
  }
  sim.setFaults('vsphere-vcenter', { error: 'unavailable' });
  t.deepEqual(await engine.addrs(config), []);
  sim.setFaults('vsphere-vcenter', { error: 'server' });
  await t.throwsAsync(engine.discover(config, { timeout: '5s' }), { instanceOf: ProviderError, message: /GuestNetworkingInterfaces failed: 500 ERROR/ });
  sim.setFaults('vsphere-vcenter', { malformed: true });
  await t.throwsAsync(engine.discover(config), { code: 'ERR_MALFORMED_RESPONSE' });
  sim.setFaults('vsphere-vcenter', { reset: true });
  await t.throwsAsync(engine.discover(config, { timeout: '5s' }), { instanceOf: ProviderError });
  sim.setFaults('vsphere-vcenter', { truncated: true });
  await t.throwsAsync(engine.discover(config, { timeout: '5s' }), { instanceOf: ProviderError });
  sim.setFaults('vsphere-vcenter', { auth_reject: true });
  await t.throwsAsync(engine.discover(config), { instanceOf: ProviderError, message: /401 UNAUTHENTICATED/ });
  sim.setFaults('vsphere-vcenter', {});
  sim.setFaults('vsphere-cis', { error: 'throttle', error_count: 1000 });
  await t.throwsAsync(engine.discover(config, { timeout: '3s' }), { instanceOf: ProviderError, code: 'ERR_PROVIDER_THROTTLED' });
  sim.setFaults('vsphere-cis', {});
  t.is(liveSessions(sim.ctx), 0);
});

test('through HTTPS_PROXY: tinyproxy logs the CONNECT to vCenter', async (t) => {
  const sim = await startTestSim(t, fleet(estate), [vsphereSim]);
  const proxy = await startTinyproxy(t);
  const found = await engine.addrs(cfg(sim, 'category_name=consul-role tag_name=client'), { env: { HTTPS_PROXY: proxy.url, AUTOJOIN_LOOPBACK_ONLY: '1' } });
  t.deepEqual(found, ['10.0.0.4']);
  t.true(proxy.requests().every((r) => r === `CONNECT ${hostOf(sim)}`) && proxy.requests().length > 0, proxy.requests().join('\n'));
  t.is(liveSessions(sim.ctx), 0);
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
