/**
 * provider=hetzner, the pure parts: servers -> targets, the /64 -> host address rule, page and
 * error bodies, the request URL, the error mapping, and the simulator's label-selector parser.
 */
import test from 'ava';
import { MAX_PER_PAGE, serversUrl, statusError } from './client.js';
import { extractTargets, type HetznerServer, ipv6HostAddress, malformedPage, parseHetznerError, serverAddress } from './extract.js';
import { labelsMatch } from '../../src/kit/index.js';
import { labelSelector, serverId } from './sim.js';

function server(id: number, over: Partial<HetznerServer> = {}): HetznerServer {
  return {
    id,
    name: `srv-${id}`,
    status: 'running',
    labels: { role: 'nomad' },
    location: { name: 'fsn1' },
    public_net: { ipv4: { ip: `203.0.113.${id}` }, ipv6: { ip: `2001:db8:${id}::/64` } },
    private_net: [
      { network: 4711, ip: `10.0.0.${id}`, alias_ips: [] },
      { network: 4712, ip: `10.1.0.${id}`, alias_ips: [] },
    ],
    ...over,
  };
}

const addressCases: Array<{ name: string; server: HetznerServer; selection: Parameters<typeof serverAddress>[1]; want: string | undefined }> = [
  { name: 'private_v4: the first private network', server: server(1), selection: { addrType: 'private_v4' }, want: '10.0.0.1' },
  { name: 'private_v4 in network 4712', server: server(1), selection: { addrType: 'private_v4', network: 4712 }, want: '10.1.0.1' },
  { name: 'private_v4 in a network the server is not in', server: server(1), selection: { addrType: 'private_v4', network: 9 }, want: undefined },
  { name: 'private_v4 with no private network', server: server(1, { private_net: [] }), selection: { addrType: 'private_v4' }, want: undefined },
  { name: 'private_v4 with private_net null', server: server(1, { private_net: null }), selection: { addrType: 'private_v4' }, want: undefined },
  { name: 'public_v4', server: server(2), selection: { addrType: 'public_v4' }, want: '203.0.113.2' },
  {
    name: 'public_v4 null (no primary IPv4)',
    server: server(2, { public_net: { ipv4: null, ipv6: { ip: '2001:db8::/64' } } }),
    selection: { addrType: 'public_v4' },
    want: undefined,
  },
  { name: 'public_v6 is ::1 of the /64', server: server(3), selection: { addrType: 'public_v6' }, want: '2001:db8:3::1' },
  {
    name: 'public_v6 null',
    server: server(3, { public_net: { ipv4: { ip: '203.0.113.3' }, ipv6: null } }),
    selection: { addrType: 'public_v6' },
    want: undefined,
  },
];
for (const c of addressCases) {
  test(`serverAddress: ${c.name}`, (t) => {
    t.is(serverAddress(c.server, c.selection), c.want);
  });
}

const v6Cases: Array<[string, string | undefined]> = [
  ['2001:db8::/64', '2001:db8::1'],
  ['2a01:4f8:1c11:3400::/64', '2a01:4f8:1c11:3400::1'],
  ['2001:db8:1:2::/64', '2001:db8:1:2::1'],
  ['not-an-address', undefined],
  ['2001:db8::1', undefined],
];
for (const [network, want] of v6Cases) {
  test(`ipv6HostAddress(${network})`, (t) => {
    t.is(ipv6HostAddress(network), want);
  });
}

test('extractTargets: API order, location filter, skipped servers named, never another address kind', (t) => {
  const servers = [
    server(1),
    server(2, { location: { name: 'hel1' } }),
    server(3, { private_net: [] }),
    server(4, { location: undefined, datacenter: { location: { name: 'nbg1' } } }),
  ];
  t.deepEqual(extractTargets(servers, { addrType: 'private_v4' }), {
    targets: [
      { address: '10.0.0.1', id: '1', name: 'srv-1', zone: 'fsn1' },
      { address: '10.0.0.2', id: '2', name: 'srv-2', zone: 'hel1' },
      { address: '10.0.0.4', id: '4', name: 'srv-4', zone: 'nbg1' },
    ],
    skipped: ['srv-3'],
  });
  t.deepEqual(
    extractTargets(servers, { addrType: 'private_v4', locations: ['fsn1', 'nbg1'] }).targets.map((x) => x.address),
    ['10.0.0.1', '10.0.0.4'],
  );
  t.deepEqual(extractTargets(servers, { addrType: 'private_v4', locations: [] }).targets.length, 3);
});

const malformedCases: Array<[string, unknown, string | undefined]> = [
  ['a page', { servers: [], meta: { pagination: { page: 1, per_page: 50, next_page: null } } }, undefined],
  ['an array', [], 'the response is not a JSON object'],
  ['no servers', { meta: {} }, 'the response has no "servers" array'],
  ['a server without id', { servers: [{ name: 'x' }], meta: { pagination: { page: 1 } } }, 'servers[0] has no numeric "id" and string "name"'],
  ['no meta', { servers: [] }, 'the response has no "meta.pagination"'],
  ['next_page a string', { servers: [], meta: { pagination: { page: 1, next_page: '2' } } }, '"meta.pagination.next_page" is neither a number nor null'],
];
for (const [name, body, want] of malformedCases) {
  test(`malformedPage: ${name}`, (t) => {
    t.is(malformedPage(body), want);
  });
}

test('parseHetznerError: the error envelope, or undefined for other bodies', (t) => {
  t.deepEqual(parseHetznerError('{"error":{"code":"unauthorized","message":"unable to authenticate","details":{}}}'), {
    code: 'unauthorized',
    message: 'unable to authenticate',
  });
  t.is(parseHetznerError('<html>bad gateway</html>'), undefined);
  t.is(parseHetznerError('{"message":"x"}'), undefined);
});

test('serversUrl: label selector encoded, running only, the largest page', (t) => {
  const url = serversUrl('https://api.hetzner.cloud/v1/', 'role=nomad,env in (prod,stage)', 3);
  t.is(url.pathname, '/v1/servers');
  t.is(url.searchParams.get('label_selector'), 'role=nomad,env in (prod,stage)');
  t.is(url.searchParams.get('status'), 'running');
  t.is(url.searchParams.get('page'), '3');
  t.is(url.searchParams.get('per_page'), String(MAX_PER_PAGE));
  t.is(MAX_PER_PAGE, 50);
  t.false(serversUrl('http://127.0.0.1:1/v1', undefined, 1).searchParams.has('label_selector'));
});

const response = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, headers, text: () => body });

test('statusError: 401 names the credential setting, with the cloud code; not throttled', (t) => {
  const error = statusError(response(401, '{"error":{"code":"unauthorized","message":"unable to authenticate"}}'));
  t.is(error.message, 'discover-hetzner: ListServers failed: 401 unauthorized: unable to authenticate (the api_token / HCLOUD_TOKEN was refused)');
  t.false(error.throttled);
  t.is(error.retryAfterMs, undefined);
});

test('statusError: 429 is throttling, 1 s without Retry-After, Retry-After when sent', (t) => {
  const body = '{"error":{"code":"rate_limit_exceeded","message":"limit reached"}}';
  const plain = statusError(response(429, body));
  t.true(plain.throttled);
  t.is(plain.code, 'ERR_PROVIDER_THROTTLED');
  t.is(plain.retryAfterMs, 1000);
  t.is(statusError(response(429, body, { 'retry-after': '7' })).retryAfterMs, 7000);
  t.is(statusError(response(502, 'Bad Gateway')).message, 'discover-hetzner: ListServers failed: 502: HTTP 502');
});

const selectorCases: Array<[string, Record<string, string>, boolean | undefined]> = [
  ['role=nomad', { role: 'nomad' }, true],
  ['role==nomad', { role: 'nomad' }, true],
  ['role=nomad', { role: 'consul' }, false],
  ['role=nomad,env!=dev', { role: 'nomad', env: 'dev' }, false],
  ['role=nomad,env!=dev', { role: 'nomad' }, true],
  ['role', { role: '' }, true],
  ['!drain', { drain: 'true' }, false],
  ['env in (prod,stage)', { env: 'stage' }, true],
  ['env notin (prod, stage)', { env: 'prod' }, false],
  ['example.com/role=x', { 'example.com/role': 'x' }, true],
  ['role=', { role: '' }, true],
  ['=x', {}, undefined],
  ['role=a b', {}, undefined],
];
for (const [selector, labels, want] of selectorCases) {
  test(`sim label selector ${JSON.stringify(selector)} on ${JSON.stringify(labels)}`, (t) => {
    const parsed = labelSelector(selector);
    t.is(parsed === undefined ? undefined : labelsMatch(parsed, labels), want);
  });
}

test('sim server ids: numeric fleet ids kept, others hashed stably', (t) => {
  t.is(serverId('5100001'), 5100001);
  t.is(serverId('web-1'), serverId('web-1'));
  t.not(serverId('web-1'), serverId('web-2'));
});
