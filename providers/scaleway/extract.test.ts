/**
 * provider=scaleway, the pure parts: go-discover's legacy regions and today's zones, servers ->
 * targets, page and error bodies, the request URL and the error mapping.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { ipamUrl, MAX_PER_PAGE, serversUrl, statusError } from './client.js';
import {
  extractTargets,
  type IpamIp,
  malformedIpamPage,
  malformedPage,
  needsIpam,
  nicAddresses,
  parseScalewayError,
  regionOf,
  type ScalewayServer,
  serverAddress,
  zonesFor,
} from './extract.js';
import { scalewayTags, serverUuid } from './sim.js';

const zoneCases: Array<[string, string[] | undefined]> = [
  ['par1', ['fr-par-1']],
  ['ams1', ['nl-ams-1']],
  ['PAR1', ['fr-par-1']],
  ['fr-par-2', ['fr-par-2']],
  ['pl-waw-3', ['pl-waw-3']],
  ['nl-ams', ['nl-ams-1', 'nl-ams-2', 'nl-ams-3']],
  ['par2', undefined],
  ['fr-par-4', undefined],
  ['fr', undefined],
  ['', undefined],
];
for (const [value, want] of zoneCases) {
  test(`zonesFor(${JSON.stringify(value)})`, (t) => {
    t.deepEqual(zonesFor(value), want);
  });
}

function server(n: number, over: Partial<ScalewayServer> = {}): ScalewayServer {
  return {
    id: `id-${n}`,
    name: `scw-${n}`,
    zone: 'fr-par-1',
    tags: ['nomad'],
    private_ip: `10.0.0.${n}`,
    public_ip: null,
    public_ips: [
      { address: `203.0.113.${n}`, family: 'inet', state: 'attached' },
      { address: `2001:db8::${n}`, family: 'inet6', state: 'attached' },
    ],
    ipv6: null,
    ...over,
  };
}

const addressCases: Array<[string, ScalewayServer, Parameters<typeof serverAddress>[1], string | undefined]> = [
  ['private_v4 is private_ip', server(1), 'private_v4', '10.0.0.1'],
  ['private_ip null (routed IPs)', server(1, { private_ip: null }), 'private_v4', undefined],
  ['public_v4 from public_ips', server(2), 'public_v4', '203.0.113.2'],
  ['public_v6 from public_ips', server(2), 'public_v6', '2001:db8::2'],
  ["a detached IP is not the server's", server(3, { public_ips: [{ address: '203.0.113.3', family: 'inet', state: 'detached' }] }), 'public_v4', undefined],
  ['the deprecated public_ip', server(4, { public_ips: [], public_ip: { address: '198.51.100.4' } }), 'public_v4', '198.51.100.4'],
  ['the deprecated ipv6', server(5, { public_ips: null, ipv6: { address: '2001:db8::5' } }), 'public_v6', '2001:db8::5'],
  ['no public IP at all', server(6, { public_ips: [] }), 'public_v4', undefined],
];
for (const [name, s, addrType, want] of addressCases) {
  test(`serverAddress: ${name}`, (t) => {
    t.is(serverAddress(s, addrType), want);
  });
}

test('extractTargets: only the tag, API order, the skipped named', (t) => {
  const servers = [server(1), server(2, { tags: ['other'] }), server(3, { private_ip: null }), server(4, { tags: null }), server(5, { zone: 'nl-ams-1' })];
  t.deepEqual(extractTargets(servers, 'nomad', 'private_v4'), {
    targets: [
      { address: '10.0.0.1', id: 'id-1', name: 'scw-1', zone: 'fr-par-1' },
      { address: '10.0.0.5', id: 'id-5', name: 'scw-5', zone: 'nl-ams-1' },
    ],
    skipped: ['scw-3'],
  });
});

// The recorded IPAM answer and routed-IP server (fixtures/README.md): the join the provider makes.
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

test('nicAddresses + serverAddress on the recorded routed-IP server and its recorded IPAM IPs', (t) => {
  const recorded = fixture('server-routed-private-nic.json').server as ScalewayServer;
  const ips = fixture('ipam-ips.json').ips as IpamIp[];
  t.true(needsIpam(recorded, 'private_v4'));
  t.true(needsIpam(recorded, 'private_v6'));
  t.false(needsIpam(recorded, 'public_v4'));
  t.is(serverAddress(recorded, 'private_v4', nicAddresses(ips.filter((ip) => !ip.is_ipv6))), '10.1.220.2');
  t.is(serverAddress(recorded, 'private_v6', nicAddresses(ips.filter((ip) => ip.is_ipv6))), 'fd5f:519c:6d46:79c6:f8bf:36c6:9717:9271');
  t.is(serverAddress(recorded, 'private_v4'), undefined);
});

test('private addresses: the legacy private_ip first; else the first NIC with an IPAM address; no NIC, no IPAM', (t) => {
  const nics = [{ id: 'nic-a' }, { id: 'nic-b' }];
  const byNic = nicAddresses([
    { id: 'ip-1', address: '10.9.0.2/24', is_ipv6: false, resource: { id: 'nic-b', type: 'instance_private_nic' } },
    { id: 'ip-2', address: '10.8.0.2/24', is_ipv6: false, resource: { id: 'nic-b', type: 'instance_private_nic' } },
    { id: 'ip-3', address: '10.7.0.2/24', is_ipv6: false, resource: { id: 'nic-a', type: 'instance_server' } },
  ]);
  t.deepEqual([...byNic], [['nic-b', '10.9.0.2']]);
  t.is(serverAddress(server(1, { private_nics: nics }), 'private_v4', byNic), '10.0.0.1');
  t.false(needsIpam(server(1, { private_nics: nics }), 'private_v4'));
  t.is(serverAddress(server(1, { private_ip: null, private_nics: nics }), 'private_v4', byNic), '10.9.0.2');
  t.false(needsIpam(server(1, { private_ip: null, private_nics: [] }), 'private_v4'));
  t.is(regionOf('pl-waw-3'), 'pl-waw');
});

test('ipamUrl: the region in the path, private NICs of one family, organization_id, 100 a page', (t) => {
  const url = ipamUrl({ apiUrl: 'https://api.scaleway.com/', organization: 'org-1' }, 'nl-ams', true, 3);
  t.is(
    url.href,
    'https://api.scaleway.com/ipam/v1/regions/nl-ams/ips?resource_type=instance_private_nic&is_ipv6=true&organization_id=org-1&page=3&page_size=100',
  );
});

const malformedIpamCases: Array<[string, unknown, string | undefined]> = [
  ['the recorded page', fixture('ipam-ips.json'), undefined],
  ['no total_count', { ips: [] }, 'the response has no numeric "total_count"'],
  ['no ips', { total_count: 0 }, 'the response has no "ips" array'],
  ['an IP without address', { ips: [{ id: 'x' }], total_count: 1 }, 'ips[0] has no string "id" and "address"'],
];
for (const [name, body, want] of malformedIpamCases) {
  test(`malformedIpamPage: ${name}`, (t) => {
    t.is(malformedIpamPage(body), want);
  });
}

const malformedCases: Array<[string, unknown, string | undefined]> = [
  ['a page', { servers: [] }, undefined],
  ['an array', [], 'the response is not a JSON object'],
  ['no servers', { server: {} }, 'the response has no "servers" array'],
  ['a server without id', { servers: [{ name: 'x' }] }, 'servers[0] has no string "id" and "name"'],
  ['a null server', { servers: [null] }, 'servers[0] is not an object'],
];
for (const [name, body, want] of malformedCases) {
  test(`malformedPage: ${name}`, (t) => {
    t.is(malformedPage(body), want);
  });
}

test('parseScalewayError reads message and type; other bodies give undefined', (t) => {
  t.deepEqual(parseScalewayError('{"message":"authentication is denied","type":"denied_authentication"}'), {
    type: 'denied_authentication',
    message: 'authentication is denied',
  });
  t.is(parseScalewayError('<html/>'), undefined);
  t.is(parseScalewayError('{"servers":[]}'), undefined);
});

test('serversUrl: zone in the path, the tag and organization filters, the largest page', (t) => {
  const url = serversUrl({ apiUrl: 'https://api.scaleway.com/', tagName: 'consul server', organization: 'org-1' }, 'nl-ams-1', 2);
  t.is(url.pathname, '/instance/v1/zones/nl-ams-1/servers');
  t.is(url.searchParams.get('tags'), 'consul server');
  t.is(url.searchParams.get('organization'), 'org-1');
  t.is(url.searchParams.get('page'), '2');
  t.is(url.searchParams.get('per_page'), String(MAX_PER_PAGE));
  t.is(MAX_PER_PAGE, 100);
  t.false(serversUrl({ apiUrl: 'http://127.0.0.1:1', tagName: 't' }, 'fr-par-1', 1).searchParams.has('organization'));
});

const response = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, headers, text: () => body });

test('statusError: 401 names the setting, 429 is throttling with Retry-After or 1 s', (t) => {
  const denied = statusError(response(401, '{"message":"authentication is denied","type":"denied_authentication"}'), 'fr-par-1');
  t.is(
    denied.message,
    'discover-scaleway: ListServers failed: 401 denied_authentication: fr-par-1: authentication is denied (the token / SCW_SECRET_KEY was refused)',
  );
  t.false(denied.throttled);
  const throttled = statusError(response(429, '{"message":"rate limit exceeded"}', { 'retry-after': '3' }), 'fr-par-1');
  t.true(throttled.throttled);
  t.is(throttled.retryAfterMs, 3000);
  t.is(statusError(response(429, ''), 'fr-par-1').retryAfterMs, 1000);
});

test('sim: tags map to Scaleway tag strings; ids become UUIDs', (t) => {
  t.deepEqual(scalewayTags({ 'nomad-server': '', env: 'prod' }), ['nomad-server', 'env=prod']);
  t.is(serverUuid('6A1C0000-0000-4000-8000-000000000001'), '6a1c0000-0000-4000-8000-000000000001');
  t.regex(serverUuid('web-1'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
});
