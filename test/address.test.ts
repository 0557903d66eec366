import test from 'ava';
import { formatHostPort, ipVersion, isLoopbackHost, splitHostPort } from '../src/address.js';

const formatted: Array<[string, number | undefined, string]> = [
  ['10.0.0.1', undefined, '10.0.0.1'],
  ['10.0.0.1', 4648, '10.0.0.1:4648'],
  ['2001:db8::1', undefined, '2001:db8::1'],
  ['2001:db8::1', 4648, '[2001:db8::1]:4648'],
  ['[2001:db8::1]', 4648, '[2001:db8::1]:4648'],
  ['fe80::1%eth0', 8301, '[fe80::1%eth0]:8301'],
  ['node1.example.test.', 4648, 'node1.example.test.:4648'],
];
for (const [host, port, expected] of formatted) {
  test(`formatHostPort(${host}, ${port})`, (t) => t.is(formatHostPort(host, port), expected));
}

const split: Array<[string, ReturnType<typeof splitHostPort>]> = [
  ['10.0.0.1', { host: '10.0.0.1', port: undefined }],
  ['10.0.0.1:4648', { host: '10.0.0.1', port: 4648 }],
  ['10.0.0.1:', { host: '10.0.0.1', port: undefined }],
  ['::1', { host: '::1', port: undefined }],
  ['[::1]', { host: '::1', port: undefined }],
  ['[::1]:4648', { host: '::1', port: 4648 }],
  ['host.example:80', { host: 'host.example', port: 80 }],
  ['[::1', undefined],
  ['[::1]x', undefined],
  ['[example.com]:80', undefined],
  ['host:99999', undefined],
  ['host:port', undefined],
  [':80', undefined],
  ['', undefined],
];
for (const [input, expected] of split) {
  test(`splitHostPort(${JSON.stringify(input)})`, (t) => t.deepEqual(splitHostPort(input), expected));
}

test('ipVersion tells v4, v6 (with zone or brackets) and names apart', (t) => {
  t.is(ipVersion('10.0.0.1'), 4);
  t.is(ipVersion('[::1]'), 6);
  t.is(ipVersion('fe80::1%eth0'), 6);
  t.is(ipVersion('example.com'), 0);
});

// The sim, the HTTP loopback guard and srv's nameserver check share this one definition.
const loopbacks: Array<[string, boolean]> = [
  ['127.8.9.10', true],
  ['[::1]', true],
  ['::ffff:127.0.0.1', true],
  ['localhost', true],
  ['10.0.0.1', false],
  ['::ffff:10.0.0.1', false],
  ['fe80::1', false],
  ['', false],
];
for (const [host, expected] of loopbacks) {
  test(`isLoopbackHost(${JSON.stringify(host)})`, (t) => t.is(isLoopbackHost(host), expected));
}
