import test from 'ava';
import fc from 'fast-check';
import { InvalidAddressError, joinAddress, parseJoinAddress } from '../src/join/index.js';

// Ported from hashicorp/nomad client/rpc_test.go Test_resolveServer (default client port 4647).
const nomadClientCases: Array<{ name: string; addr: string; expect?: string; expectErr?: string }> = [
  { name: 'ipv6 no brackets', addr: '2001:db8::1', expect: '[2001:db8::1]:4647' },
  // Nomad's own "expected bad result": a bare IPv6 literal cannot carry a port.
  { name: 'ambiguous ipv6 no brackets with port', addr: '2001:db8::1:4647', expect: '[2001:db8::1:4647]:4647' },
  { name: 'ipv6 no port', addr: '[2001:db8::1]', expect: '[2001:db8::1]:4647' },
  { name: 'ipv6 trailing port colon', addr: '[2001:db8::1]:', expect: '[2001:db8::1]:4647' },
  { name: 'ipv6 malformed', addr: '[2001:db8::1]:]', expectErr: "address [2001:db8::1]:]: unexpected ']' in address" },
  { name: 'ipv6 with port', addr: '[2001:db8::1]:6647', expect: '[2001:db8::1]:6647' },
  { name: 'ipv4 no port', addr: '192.168.1.117', expect: '192.168.1.117:4647' },
  { name: 'ipv4 trailing port colon', addr: '192.168.1.117:', expect: '192.168.1.117:4647' },
  { name: 'ipv4 with port', addr: '192.168.1.117:6647', expect: '192.168.1.117:6647' },
];

for (const c of nomadClientCases) {
  test(`nomad resolveServer: ${c.name}`, (t) => {
    if (c.expectErr !== undefined) {
      t.throws(() => joinAddress(c.addr, 4647), { instanceOf: InvalidAddressError, code: 'ERR_INVALID_ADDRESS', message: c.expectErr });
    } else {
      t.is(joinAddress(c.addr, 4647), c.expect as string);
    }
  });
}

const moreCases: Array<{ name: string; addr: string; port?: number; expect?: string; expectErr?: string }> = [
  { name: 'host name gets the default port', addr: 'nomad.service.consul', port: 4648, expect: 'nomad.service.consul:4648' },
  { name: 'host name keeps its port', addr: 'nomad.local:6648', port: 4648, expect: 'nomad.local:6648' },
  { name: 'host name trailing colon', addr: 'nomad.local:', port: 4648, expect: 'nomad.local:4648' },
  { name: 'IPv6 zone kept and bracketed', addr: 'fe80::1%eth0', port: 4648, expect: '[fe80::1%eth0]:4648' },
  { name: 'bracketed IPv6 zone with port', addr: '[fe80::1%eth0]:9', port: 4648, expect: '[fe80::1%eth0]:9' },
  { name: 'surrounding spaces trimmed', addr: '  10.0.0.1  ', port: 1, expect: '10.0.0.1:1' },
  { name: 'no default port: ipv4 stays bare', addr: '10.0.0.1', expect: '10.0.0.1' },
  { name: 'no default port: ipv6 stays bare, unbracketed', addr: '[2001:db8::1]', expect: '2001:db8::1' },
  { name: 'no default port: trailing colon dropped', addr: 'host:', expect: 'host' },
  { name: 'no default port: explicit port kept', addr: '[::1]:8301', expect: '[::1]:8301' },
  { name: 'empty', addr: '  ', port: 1, expectErr: 'address   : missing address' },
  { name: 'missing bracket', addr: '[2001:db8::1', port: 1, expectErr: "address [2001:db8::1: missing ']' in address" },
  { name: 'too many colons', addr: 'a:b:c', port: 1, expectErr: 'address a:b:c: too many colons in address' },
  { name: 'bracket junk after', addr: '[::1]x', port: 1, expectErr: 'address [::1]x: missing port in address' },
  { name: 'bracket then two colons', addr: '[::1]::1', port: 1, expectErr: 'address [::1]::1: too many colons in address' },
  { name: 'port not a number', addr: 'host:http', port: 1, expectErr: 'address host:http: invalid port' },
  { name: 'port too big', addr: '10.0.0.1:65536', port: 1, expectErr: 'address 10.0.0.1:65536: invalid port' },
  { name: 'no host', addr: ':4648', port: 1, expectErr: 'address :4648: missing host' },
  { name: 'brackets around ipv4', addr: '[10.0.0.1]:80', port: 1, expectErr: 'address [10.0.0.1]:80: brackets around a non-IPv6 host' },
  { name: 'stray bracket', addr: 'ho[st:80', port: 1, expectErr: "address ho[st:80: unexpected '[' in address" },
  { name: 'space inside', addr: 'a b', port: 1, expectErr: 'address a b: invalid host' },
];

for (const c of moreCases) {
  test(`joinAddress: ${c.name}`, (t) => {
    if (c.expectErr !== undefined) {
      t.throws(() => joinAddress(c.addr, c.port), { instanceOf: InvalidAddressError, message: c.expectErr });
    } else {
      t.is(joinAddress(c.addr, c.port), c.expect as string);
    }
  });
}

test('joinAddress rejects a default port outside 0-65535', (t) => {
  t.throws(() => joinAddress('10.0.0.1', 70000), { instanceOf: InvalidAddressError, message: /default port 70000/ });
});

test('parseJoinAddress keeps the port undefined when absent', (t) => {
  t.deepEqual(parseJoinAddress('10.0.0.1'), { host: '10.0.0.1', port: undefined });
  t.deepEqual(parseJoinAddress('[::1]:0'), { host: '::1', port: 0 });
});

test('property: joinAddress keeps any IP and port, brackets exactly the IPv6 ones, and is idempotent', (t) => {
  fc.assert(
    fc.property(
      fc.oneof(fc.ipV4(), fc.ipV6()),
      fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
      fc.integer({ min: 1, max: 65535 }),
      (ip, port, fallback) => {
        const input = port === undefined ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
        const out = joinAddress(input, fallback);
        const parts = parseJoinAddress(out);
        return parts.host === ip && parts.port === (port ?? fallback) && out.startsWith('[') === ip.includes(':') && joinAddress(out, fallback) === out;
      },
    ),
  );
  t.pass();
});
