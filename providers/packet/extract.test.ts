/**
 * provider=packet, the pure parts: go-discover's address choice and filters, page bodies, the
 * paging URLs (meta.next resolved as packngo did, page+1 otherwise), errors, the retired service.
 */
import test from 'ava';
import { devicesUrl, nextUrl, PER_PAGE, statusError } from './client.js';
import { deviceAddresses, extractTargets, malformedPage, type PacketDevice, parsePacketError } from './extract.js';
import { isRetiredEndpoint } from './index.js';
import { packetTags } from './sim.js';

function device(n: number, over: Partial<PacketDevice> = {}): PacketDevice {
  return {
    id: `d-${n}`,
    hostname: `metal-${n}`,
    state: 'active',
    tags: ['nomad'],
    facility: { code: 'ewr1' },
    ip_addresses: [
      { address: `203.0.113.${n}`, address_family: 4, public: true },
      { address: `2001:db8::${n}`, address_family: 6, public: true },
      { address: `10.0.0.${n}`, address_family: 4, public: false },
    ],
    ...over,
  };
}

const addressCases: Array<[string, PacketDevice, Parameters<typeof deviceAddresses>[1], string[]]> = [
  ['private_v4: non-public family 4', device(1), 'private_v4', ['10.0.0.1']],
  ['public_v4', device(1), 'public_v4', ['203.0.113.1']],
  ['public_v6', device(1), 'public_v6', ['2001:db8::1']],
  [
    'every matching address, as go-discover',
    device(2, {
      ip_addresses: [
        { address: '10.0.0.2', address_family: 4, public: false },
        { address: '10.0.1.2', address_family: 4, public: false },
      ],
    }),
    'private_v4',
    ['10.0.0.2', '10.0.1.2'],
  ],
  ['no ip_addresses', device(3, { ip_addresses: null }), 'private_v4', []],
];
for (const [name, d, addrType, want] of addressCases) {
  test(`deviceAddresses: ${name}`, (t) => {
    t.deepEqual(deviceAddresses(d, addrType), want);
  });
}

test('extractTargets: facility and tag filters ("any of"), any state, the skipped named', (t) => {
  const devices = [
    device(1),
    device(2, { facility: { code: 'ams1' }, state: 'inactive' }),
    device(3, { tags: ['other', 'consul'] }),
    device(4, { ip_addresses: [] }),
    device(5, { facility: null }),
  ];
  t.deepEqual(
    extractTargets(devices, { addrType: 'private_v4' }).targets.map((x) => x.address),
    ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.5'],
  );
  t.deepEqual(extractTargets(devices, { addrType: 'private_v4' }).skipped, ['metal-4']);
  t.deepEqual(
    extractTargets(devices, { addrType: 'private_v4', facilities: ['ams1', 'sv15'] }).targets.map((x) => x.address),
    ['10.0.0.2'],
  );
  t.deepEqual(
    extractTargets(devices, { addrType: 'private_v4', tags: ['consul', 'x'] }).targets.map((x) => x.address),
    ['10.0.0.3'],
  );
  t.deepEqual(extractTargets([device(7)], { addrType: 'public_v4' }).targets, [{ address: '203.0.113.7', id: 'd-7', name: 'metal-7', zone: 'ewr1' }]);
});

const malformedCases: Array<[string, unknown, string | undefined]> = [
  ['a page', { devices: [], meta: { next: null } }, undefined],
  ['no meta', { devices: [] }, undefined],
  ['an array', [], 'the response is not a JSON object'],
  ['no devices', { meta: {} }, 'the response has no "devices" array'],
  ['a device without id', { devices: [{}] }, 'devices[0] has no string "id"'],
  ['next without href', { devices: [], meta: { next: {} } }, '"meta.next" has no string "href"'],
];
for (const [name, body, want] of malformedCases) {
  test(`malformedPage: ${name}`, (t) => {
    t.is(malformedPage(body), want);
  });
}

test('devicesUrl keeps the base path, asks for facilities and the largest page', (t) => {
  const url = devicesUrl('http://127.0.0.1:9/metal/v1', 'p-1');
  t.is(url.href, `http://127.0.0.1:9/metal/v1/projects/p-1/devices?include=facility&page=1&per_page=${PER_PAGE}`);
  t.is(devicesUrl('https://api.packet.net/', 'p').pathname, '/projects/p/devices');
});

test('nextUrl: meta.next.href resolved against the base (host-absolute works), include kept; else page+1 to last_page', (t) => {
  const base = 'http://127.0.0.1:9/metal/v1/';
  const current = devicesUrl(base, 'p');
  t.is(
    nextUrl(base, current, { next: { href: '/metal/v1/projects/p/devices?page=2' } })?.href,
    'http://127.0.0.1:9/metal/v1/projects/p/devices?page=2&include=facility',
  );
  t.is(
    nextUrl(base, current, { next: { href: 'projects/p/devices?page=3&include=facility' } })?.href,
    'http://127.0.0.1:9/metal/v1/projects/p/devices?page=3&include=facility',
  );
  t.is(nextUrl(base, current, { current_page: 1, last_page: 3 })?.searchParams.get('page'), '2');
  t.is(nextUrl(base, current, { current_page: 3, last_page: 3 }), undefined);
  t.is(nextUrl(base, current, null), undefined);
});

test('errors: both body forms; 401 names the settings; 429 throttled', (t) => {
  t.is(parsePacketError('{"errors":["a","b"]}'), 'a; b');
  t.is(parsePacketError('{"error":"Not found"}'), 'Not found');
  t.is(parsePacketError('oops'), undefined);
  const res = (status: number, body: string) => ({ status, headers: {}, text: () => body });
  t.is(
    statusError(res(401, '{"errors":["Invalid authentication token"]}')).message,
    'discover-packet: ListDevices failed: 401: Invalid authentication token (the auth_token / PACKET_AUTH_TOKEN / METAL_AUTH_TOKEN was refused)',
  );
  const throttled = statusError(res(429, '{"errors":["slow down"]}'));
  t.true(throttled.throttled);
  t.is(throttled.retryAfterMs, 1000);
});

const retiredCases: Array<[string, boolean]> = [
  ['https://api.packet.net/', true],
  ['https://API.PACKET.NET', true],
  ['https://api.equinix.com/metal/v1/', true],
  ['http://127.0.0.1:8080/metal/v1/', false],
  ['https://metal.example.internal/', false],
];
for (const [url, want] of retiredCases) {
  test(`isRetiredEndpoint(${url})`, (t) => {
    t.is(isRetiredEndpoint(url), want);
  });
}

test('sim tags: key, or key=value', (t) => {
  t.deepEqual(packetTags({ nomad: '', env: 'prod' }), ['nomad', 'env=prod']);
});
