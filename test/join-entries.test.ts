/**
 * Entry routing (retry-join.md §1.2, §2): `exec=` by prefix (Nomad's rule), `provider=` anywhere
 * (Consul's `strings.Contains`, which accepts everything Nomad's `HasPrefix` does), anything else
 * a literal address. Cases from Nomad's `command/agent/retry_join_test.go` and the review history
 * of hashicorp/nomad#4179 (`provider` alone was once enough; now `provider=` is needed).
 */
import test from 'ava';
import { classifyEntry, type EntryKind, redactExecEntry, retryJoin } from '../src/join/index.js';

const cases: Array<[string, EntryKind, string]> = [
  ['provider=aws tag_key=role tag_value=nomad', 'provider', 'Nomad prefix rule'],
  ['provider=aws, tag_value=foo', 'provider', "Nomad's TestRetryJoin_Integration input"],
  [' provider=aws tag_key=x', 'provider', 'leading space: Nomad would take it for a host name, Consul routes it'],
  ['tag_key=x provider=aws', 'provider', 'provider= not first: Consul rule'],
  ['exec=/usr/local/bin/peers --role server', 'exec', 'go-netaddrs command'],
  ['exec=peers provider=aws', 'exec', 'exec= wins over a provider= in its arguments'],
  ['127.0.0.1', 'address', 'IPv4'],
  ['127.0.0.1:4648', 'address', 'IPv4 with port'],
  ['2001:db8::1', 'address', 'bare IPv6'],
  ['[2001:db8::1]:4648', 'address', 'bracketed IPv6 with port'],
  ['nomad.service.consul', 'address', 'host name'],
  ['providers.internal', 'address', '"provider" without "=" is a host name (nomad#4179)'],
  [' exec=peers', 'address', 'exec= is a prefix rule only'],
];
for (const [entry, kind, why] of cases) {
  test(`classifyEntry(${JSON.stringify(entry)}) is ${kind}: ${why}`, (t) => {
    t.is(classifyEntry(entry), kind);
  });
}

test('each route is taken in one attempt: provider to the engine, exec= to the command, literals as given', async (t) => {
  const seen: string[] = [];
  const result = await retryJoin({
    entries: ['tag_key=x provider=fake', `exec=${process.execPath} -e console.log("192.0.2.7")`, '[2001:db8::1]', '10.0.0.1:99'],
    defaultPort: 4648,
    checkEntry: async (cfg) => ({ redacted: cfg }),
    discoverAddrs: async (cfg) => {
      seen.push(cfg);
      return ['10.0.0.5', { address: '2001:db8::5', port: 4000 }];
    },
    join: (addrs) => addrs.length,
  });
  t.deepEqual(seen, ['tag_key=x provider=fake']);
  t.deepEqual(result.addresses, ['10.0.0.5:4648', '[2001:db8::5]:4000', '192.0.2.7:4648', '[2001:db8::1]:4648', '10.0.0.1:99']);
});

const redactions: Array<[string, string]> = [
  ['exec=/bin/peers --token=abc --role server', 'exec=/bin/peers --token=*** --role server'],
  ['exec=peers --api-key abc tag_key=role', 'exec=peers --api-key *** tag_key=role'],
  ['exec=peers password=hunter2  key=k', 'exec=peers password=***  key=***'],
  ['exec=peers --secret s --port 1', 'exec=peers --secret *** --port 1'],
  ['exec=peers CONSUL_HTTP_TOKEN=t --auth-token=q --secret-key=z', 'exec=peers CONSUL_HTTP_TOKEN=*** --auth-token=*** --secret-key=***'],
  ['exec=peers --role server', 'exec=peers --role server'],
  // The name rule's flags and headers, and URL user-info (issue 8 item 11).
  ['exec=vault read --secret-id abc --pass def -p ghi --bearer jkl', 'exec=vault read --secret-id *** --pass *** -p *** --bearer ***'],
  ['exec=curl -s -H Authorization: Bearer abc https://h/peers', 'exec=curl -s -H Authorization: Bearer *** https://h/peers'],
  ['exec=curl --header=Authorization: Basic abc', 'exec=curl --header=Authorization: Basic ***'],
  ['exec=curl https://u:p/w@h/peers --url=http://a:b@h', 'exec=curl https://***@h/peers --url=http://***@h'],
  ['exec=peers --token= abc -v', 'exec=peers --token= *** -v'],
];
for (const [entry, shown] of redactions) {
  test(`redactExecEntry(${JSON.stringify(entry)})`, (t) => {
    t.is(redactExecEntry(entry), shown);
  });
}

test('a bare exec= is a config error before the first attempt', async (t) => {
  await t.throwsAsync(retryJoin({ entries: ['exec=  '], join: () => 1 }), { code: 'ERR_JOIN_CONFIG', message: 'exec=: no executable given after "exec="' });
});
