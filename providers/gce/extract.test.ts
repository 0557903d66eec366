/**
 * The gce provider's pure parts, without any server: instances -> targets, the filter it sends,
 * the simulator's filter parser (and that it reads every filter the provider sends), Google
 * error bodies -> ProviderError and the retry verdict, argument checks, endpoint parsing.
 */
import test from 'ava';
import { gcloudCredentialsPath, metadataBase } from './auth.js';
import { endpointOptions } from './client.js';
import { classifyGceError, parseGoogleError, toProviderError } from './errors.js';
import { AGGREGATED_FIELDS, LIST_FIELDS, ZONE_FIELDS } from './fields.js';
import { extractTargets, type GceInstance, type GceSelection, instanceAddress, zoneName } from './extract.js';
import { instanceFilter, quoteFilterValue, zoneFilter } from './filter.js';
import { checkArgs, statusSet } from './index.js';
import { computeListOf, listShapeProblem } from './shape.js';
import { FieldSelectionError, parseFields, RawJson, renderJson } from './sim-fields.js';
import { type FieldLookup, FilterSyntaxError, parseFilter } from './sim-filter.js';
import { AbortError, HttpStatusError, LoopbackOnlyError, MalformedResponseError, ProviderError } from '../../src/errors.js';

const ZONE_URL = 'https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a';

function vm(name: string, extra: Partial<GceInstance> = {}): GceInstance {
  return {
    id: '4567890123456789012',
    name,
    zone: ZONE_URL,
    status: 'RUNNING',
    labels: { role: 'consul' },
    tags: { items: ['consul'] },
    networkInterfaces: [{ name: 'nic0', networkIP: '10.0.0.1' }],
    ...extra,
  };
}

const RUNNING = new Set(['RUNNING']);
const base: GceSelection = { addrType: 'private_v4', statuses: RUNNING };

const extractCases: Array<{ name: string; instances: GceInstance[]; selection?: Partial<GceSelection>; want: string[] }> = [
  { name: 'private_v4 is nic0 networkIP', instances: [vm('a')], want: ['10.0.0.1'] },
  {
    name: 'stopped instances are left out by default',
    instances: [vm('a'), vm('b', { status: 'TERMINATED', networkInterfaces: [{ networkIP: '10.0.0.2' }] })],
    want: ['10.0.0.1'],
  },
  {
    name: 'any status when statuses is undefined',
    instances: [vm('a'), vm('b', { status: 'TERMINATED', networkInterfaces: [{ networkIP: '10.0.0.2' }] })],
    selection: { statuses: undefined },
    want: ['10.0.0.1', '10.0.0.2'],
  },
  {
    name: 'status compared upper-case',
    instances: [vm('a', { status: 'stopping' })],
    selection: { statuses: new Set(['STOPPING']) },
    want: ['10.0.0.1'],
  },
  {
    name: 'no network interface, or no networkIP: skipped',
    instances: [vm('a', { networkInterfaces: [] }), vm('b', { networkInterfaces: null }), vm('c', { networkInterfaces: [{ networkIP: '' }] })],
    want: [],
  },
  {
    name: 'public_v4: natIP of nic0, instances without one skipped',
    instances: [vm('a', { networkInterfaces: [{ networkIP: '10.0.0.1', accessConfigs: [{ natIP: '34.1.1.1' }] }] }), vm('b')],
    selection: { addrType: 'public_v4' },
    want: ['34.1.1.1'],
  },
  {
    name: 'public_v4 on the second NIC only',
    instances: [
      vm('a', {
        networkInterfaces: [
          { networkIP: '10.0.0.1', accessConfigs: [] },
          { networkIP: '10.1.0.1', accessConfigs: [{ natIP: '34.2.2.2' }] },
        ],
      }),
    ],
    selection: { addrType: 'public_v4' },
    want: ['34.2.2.2'],
  },
  {
    name: 'an access config without natIP (ephemeral, not yet assigned) is passed over',
    instances: [vm('a', { networkInterfaces: [{ networkIP: '10.0.0.1', accessConfigs: [{ natIP: null }, { natIP: '34.3.3.3' }] }] })],
    selection: { addrType: 'public_v4' },
    want: ['34.3.3.3'],
  },
  {
    name: 'private_v4 prefers nic0 over other NICs',
    instances: [vm('a', { networkInterfaces: [{ networkIP: '10.0.0.1' }, { networkIP: '10.9.9.9' }] })],
    want: ['10.0.0.1'],
  },
  {
    name: 'private_v6: ipv6Address',
    instances: [vm('a', { networkInterfaces: [{ networkIP: '10.0.0.1', ipv6Address: 'fd20:1::5' }] })],
    selection: { addrType: 'private_v6' },
    want: ['fd20:1::5'],
  },
  {
    name: 'public_v6: ipv6AccessConfigs externalIpv6, IPv6-only NIC',
    instances: [vm('a', { networkInterfaces: [{ ipv6AccessConfigs: [{ externalIpv6: '2600:1900::7' }] }] })],
    selection: { addrType: 'public_v6' },
    want: ['2600:1900::7'],
  },
  {
    name: 'private_v4 on an IPv6-only instance: nothing',
    instances: [vm('a', { networkInterfaces: [{ ipv6Address: 'fd20::1' }] })],
    want: [],
  },
  {
    name: 'network tag must be present',
    instances: [vm('a'), vm('b', { tags: { items: ['web'] }, networkInterfaces: [{ networkIP: '10.0.0.2' }] }), vm('c', { tags: null })],
    selection: { tagValue: 'consul' },
    want: ['10.0.0.1'],
  },
  {
    name: 'label must have the exact value',
    instances: [vm('a'), vm('b', { labels: { role: 'consul-client' }, networkInterfaces: [{ networkIP: '10.0.0.2' }] }), vm('c', { labels: null })],
    selection: { labelKey: 'role', labelValue: 'consul' },
    want: ['10.0.0.1'],
  },
  {
    name: 'API order kept, duplicates kept (the engine dedupes)',
    instances: [vm('b', { networkInterfaces: [{ networkIP: '10.0.0.2' }] }), vm('a'), vm('c')],
    want: ['10.0.0.2', '10.0.0.1', '10.0.0.1'],
  },
];

for (const c of extractCases) {
  test(`extract: ${c.name}`, (t) => {
    t.deepEqual(
      extractTargets(c.instances, { ...base, ...c.selection }).map((x) => x.address),
      c.want,
    );
  });
}

test('extract: a target carries id, name, zone name and status', (t) => {
  t.deepEqual(extractTargets([vm('consul-1')], base), [
    { address: '10.0.0.1', id: '4567890123456789012', name: 'consul-1', zone: 'us-central1-a', meta: { status: 'RUNNING' } },
  ]);
});

test('zoneName and instanceAddress edge cases', (t) => {
  t.is(zoneName(ZONE_URL), 'us-central1-a');
  t.is(zoneName('europe-west4-b'), 'europe-west4-b');
  t.is(zoneName(undefined), undefined);
  t.is(zoneName('https://x/zones/'), undefined);
  t.is(instanceAddress({}, 'public_v6'), undefined);
});

const filterCases: Array<{ input: Parameters<typeof instanceFilter>[0]; want: string | undefined }> = [
  { input: {}, want: undefined },
  { input: { status: 'RUNNING' }, want: 'status = "RUNNING"' },
  { input: { labelKey: 'role', labelValue: 'consul' }, want: 'labels.role = "consul"' },
  { input: { labelKey: 'role', labelValue: 'consul', status: 'RUNNING' }, want: '(labels.role = "consul") AND (status = "RUNNING")' },
  { input: { labelKey: 'note', labelValue: 'a"b\\c' }, want: 'labels.note = "a\\"b\\\\c"' },
];

for (const c of filterCases) {
  test(`instanceFilter ${JSON.stringify(c.input)}`, (t) => {
    t.is(instanceFilter(c.input), c.want);
  });
}

test("zoneFilter keeps go-discover's legacy form", (t) => {
  t.is(zoneFilter('us-west1-.*'), 'name eq us-west1-.*');
  t.is(zoneFilter(undefined), undefined);
  t.is(zoneFilter(''), undefined);
  t.is(quoteFilterValue(''), '""');
});

function lookup(fields: Record<string, string | string[]>): FieldLookup {
  return (field) => fields[field];
}

const instanceFields = lookup({ name: 'consul-1', status: 'RUNNING', 'labels.role': 'consul', 'labels.env': 'prod', 'tags.items': ['consul', 'web'] });

const parseCases: Array<{ filter: string; want: boolean }> = [
  { filter: '', want: true },
  { filter: 'status = "RUNNING"', want: true },
  { filter: 'status = RUNNING', want: true },
  { filter: 'status != "RUNNING"', want: false },
  { filter: 'labels.role = "consul"', want: true },
  { filter: 'labels.missing = "x"', want: false },
  { filter: 'labels.missing != "x"', want: true },
  { filter: '(labels.role = "consul") AND (status = "RUNNING")', want: true },
  { filter: '(labels.role = "consul") AND (status = "TERMINATED")', want: false },
  { filter: 'labels.env = "dev" OR labels.env = "prod"', want: true },
  { filter: '((labels.env = "dev") OR (labels.env = "prod")) AND status = "RUNNING"', want: true },
  { filter: 'tags.items : "web"', want: true },
  { filter: 'tags.items:"db"', want: false },
  { filter: 'name eq consul-.*', want: true },
  { filter: 'name eq consul', want: false },
  { filter: "name eq 'consul-(1|2)'", want: true },
  { filter: 'name ne consul-.*', want: false },
  { filter: 'name eq (?P<n>consul)-1', want: true },
];

for (const c of parseCases) {
  test(`sim filter accepts ${JSON.stringify(c.filter)}`, (t) => {
    t.is(parseFilter(c.filter)(instanceFields), c.want);
  });
}

const rejectCases = [
  'status',
  'status =',
  'status = "RUNNING',
  '(status = "RUNNING"',
  'status = "RUNNING")',
  'status > "A"',
  'cpuPlatform = "x"',
  'labels.Role = "x"',
  'a = "1" AND b = "2" OR c = "3"',
  'status = "RUNNING" AND',
  'tags.items = "web"',
  'zone eq us-.*',
  'name eq us-(west',
  '(name eq a)(status eq UP)',
];

for (const filter of rejectCases) {
  test(`sim filter rejects ${JSON.stringify(filter)}`, (t) => {
    t.throws(() => parseFilter(filter), { instanceOf: FilterSyntaxError });
  });
}

test('every filter the provider sends, the simulator reads the same way', (t) => {
  const values = ['consul', 'a"b', 'back\\slash', 'with space', ''];
  for (const value of values) {
    const filter = instanceFilter({ labelKey: 'role', labelValue: value, status: 'RUNNING' })!;
    t.true(parseFilter(filter)(lookup({ 'labels.role': value, status: 'RUNNING' })), filter);
    t.false(parseFilter(filter)(lookup({ 'labels.role': `${value}x`, status: 'RUNNING' })), filter);
  }
  t.true(parseFilter(zoneFilter('us-(west|east)1-.*'))(lookup({ name: 'us-east1-b' })));
  t.false(parseFilter(zoneFilter('us-(west|east)1-.*'))(lookup({ name: 'europe-west1-b' })));
});

const googleErrorCases: Array<{ name: string; status: number | undefined; body: unknown; want: ReturnType<typeof parseGoogleError> }> = [
  {
    name: 'compute 403 rateLimitExceeded',
    status: 403,
    body: '{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"message":"Rate Limit Exceeded","domain":"usageLimits","reason":"rateLimitExceeded"}],"status":"PERMISSION_DENIED"}}',
    want: { status: 403, cloudCode: 'rateLimitExceeded', message: 'Rate Limit Exceeded', throttled: true },
  },
  {
    name: '429 RESOURCE_EXHAUSTED without errors[]',
    status: 429,
    body: { error: { code: 429, message: "Quota exceeded for quota metric 'Queries'", status: 'RESOURCE_EXHAUSTED' } },
    want: { status: 429, cloudCode: 'RESOURCE_EXHAUSTED', message: "Quota exceeded for quota metric 'Queries'", throttled: true },
  },
  {
    name: '403 quotaExceeded is not a throttle (waiting does not help)',
    status: 403,
    body: { error: { code: 403, message: 'Quota exceeded', errors: [{ reason: 'quotaExceeded' }], status: 'PERMISSION_DENIED' } },
    want: { status: 403, cloudCode: 'quotaExceeded', message: 'Quota exceeded', throttled: false },
  },
  {
    name: '403 forbidden (IAM)',
    status: 403,
    body: { error: { code: 403, message: "Required 'compute.instances.list' permission", errors: [{ reason: 'forbidden' }] } },
    want: { status: 403, cloudCode: 'forbidden', message: "Required 'compute.instances.list' permission", throttled: false },
  },
  {
    name: 'OAuth2 token endpoint error',
    status: 400,
    body: '{"error":"invalid_grant","error_description":"Invalid JWT Signature."}',
    want: { status: 400, cloudCode: 'invalid_grant', message: 'Invalid JWT Signature.', throttled: false },
  },
  {
    name: 'status from the body when the caller has none',
    status: undefined,
    body: { error: { code: 503, message: 'x', status: 'UNAVAILABLE' } },
    want: { status: 503, cloudCode: 'UNAVAILABLE', message: 'x', throttled: false },
  },
  { name: 'not JSON', status: 502, body: '<html>Bad Gateway</html>', want: { status: 502, cloudCode: undefined, message: undefined, throttled: false } },
];

for (const c of googleErrorCases) {
  test(`parseGoogleError: ${c.name}`, (t) => {
    t.deepEqual(parseGoogleError(c.status, c.body), c.want);
  });
}

/** A GaxiosError as google-gax hands it over for a non-2xx answer. */
function gaxiosLike(status: number, body: string, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(body), { status, code: status, response: { status, headers: new Headers(headers), data: undefined } });
}

test('toProviderError: a gaxios 403 throttle keeps status, reason and Retry-After', (t) => {
  const err = toProviderError(
    gaxiosLike(403, '{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"reason":"rateLimitExceeded"}]}}', { 'retry-after': '3' }),
    'instances.list us-west1-a',
  );
  t.true(err instanceof ProviderError);
  const p = err as ProviderError;
  t.is(p.message, 'discover-gce: instances.list us-west1-a failed: 403 rateLimitExceeded: Rate Limit Exceeded');
  t.is(p.code, 'ERR_PROVIDER_THROTTLED');
  t.is(p.retryAfterMs, 3000);
  t.deepEqual(classifyGceError(p), { retry: true, throttled: true, afterMs: 3000 });
});

test('toProviderError: network errors, malformed bodies, our own errors', (t) => {
  const reset = toProviderError(Object.assign(new Error('request failed, reason: socket hang up'), { code: 'ECONNRESET' }), 'zones.list');
  t.is(reset.message, 'discover-gce: zones.list failed: ECONNRESET: network error: request failed, reason: socket hang up');
  t.deepEqual(classifyGceError(reset), { retry: true });

  const malformed = toProviderError(new SyntaxError('Unexpected token < in JSON at position 0'), 'zones.list');
  t.is(malformed.message, 'discover-gce: zones.list: malformed response: Unexpected token < in JSON at position 0');
  t.is(malformed.code, 'ERR_MALFORMED_RESPONSE');
  t.deepEqual(classifyGceError(malformed), { retry: false });
  // The shape check's error (shared.ts) gets the operation once, however often it is mapped.
  const shaped = toProviderError(new MalformedResponseError('malformed response: items is not an array', 'http://127.0.0.1:1/x'), 'zones.list');
  t.is(shaped.message, 'discover-gce: zones.list: malformed response: items is not an array');
  t.is(toProviderError(shaped, 'zones.list'), shaped);

  const guard = new LoopbackOnlyError('compute.googleapis.com');
  t.is(toProviderError(Object.assign(new Error('request to x failed'), { cause: guard }), 'zones.list'), guard);

  // node-fetch keeps only the code and the text of the guard's error.
  const rebuilt = toProviderError(
    Object.assign(
      new Error('request to https://compute.googleapis.com/x failed, reason: refused to connect to compute.googleapis.com: AUTOJOIN_LOOPBACK_ONLY is set'),
      {
        code: 'ERR_LOOPBACK_ONLY',
      },
    ),
    'zones.list',
  );
  t.true(rebuilt instanceof LoopbackOnlyError);
  t.is(rebuilt.message, 'refused to connect to compute.googleapis.com: AUTOJOIN_LOOPBACK_ONLY is set');

  const abort = new AbortError('x');
  t.is(toProviderError(abort, 'zones.list'), abort);
  t.true(toProviderError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'zones.list') instanceof AbortError);

  const metadata = toProviderError(new HttpStatusError(404, 'http://metadata/computeMetadata/v1/project/project-id', 'Not Found\n'), 'metadata project-id');
  t.is(metadata.message, 'discover-gce: metadata project-id failed: 404: Not Found');
});

test('classifyGceError: 5xx retried, 4xx not, non-provider errors not', (t) => {
  t.deepEqual(classifyGceError(new ProviderError('gce', 'x', { operation: 'o', status: 500 })), { retry: true, throttled: false });
  t.deepEqual(classifyGceError(new ProviderError('gce', 'x', { operation: 'o', status: 401 })), { retry: false });
  t.deepEqual(classifyGceError(new Error('x')), { retry: false });
});

const argCases: Array<{ name: string; args: Parameters<typeof checkArgs>[0]; keys: string[] }> = [
  { name: 'tag only', args: { tag_value: 'consul', status: ['RUNNING'] }, keys: [] },
  { name: 'label only', args: { label_key: 'role', label_value: 'x', status: ['RUNNING'] }, keys: [] },
  { name: 'nothing to filter on', args: { status: ['RUNNING'] }, keys: ['tag_value'] },
  { name: 'label_value alone', args: { label_value: 'x', status: ['RUNNING'] }, keys: ['label_key'] },
  { name: 'label_key alone', args: { tag_value: 't', label_key: 'role', status: ['RUNNING'] }, keys: ['label_value'] },
  { name: 'label key with capitals', args: { label_key: 'Role', label_value: 'x', status: ['RUNNING'] }, keys: ['label_key'] },
  { name: 'label key injection', args: { label_key: 'a = "b" OR labels.c', label_value: 'x', status: ['RUNNING'] }, keys: ['label_key'] },
  { name: 'international label key', args: { label_key: 'rôle', label_value: 'x', status: ['RUNNING'] }, keys: [] },
  { name: 'bad zone regex', args: { tag_value: 't', zone_pattern: 'us-(', status: ['RUNNING'] }, keys: ['zone_pattern'] },
  { name: 'RE2 named group', args: { tag_value: 't', zone_pattern: '(?P<r>us)-.*', status: ['RUNNING'] }, keys: [] },
  { name: 'status any', args: { tag_value: 't', status: ['any'] }, keys: [] },
  { name: 'status unknown', args: { tag_value: 't', status: ['RUNNING', 'DEAD'] }, keys: ['status'] },
  { name: 'status empty', args: { tag_value: 't', status: [] }, keys: ['status'] },
  { name: 'endpoint with a path', args: { tag_value: 't', status: ['RUNNING'], endpoint: 'http://127.0.0.1:8080/compute/v1' }, keys: ['endpoint'] },
  { name: 'endpoint host:port', args: { tag_value: 't', status: ['RUNNING'], endpoint: 'https://compute.example.test:8443' }, keys: [] },
];

for (const c of argCases) {
  test(`checkArgs: ${c.name}`, (t) => {
    t.deepEqual(
      checkArgs(c.args).map((p) => p.key),
      c.keys,
    );
  });
}

test('statusSet: upper-cased; any means no status condition', (t) => {
  t.deepEqual(statusSet(['running', 'Stopping']), new Set(['RUNNING', 'STOPPING']));
  t.is(statusSet(['RUNNING', 'any']), undefined);
});

test('endpointOptions: default, http with port, https without port, IPv6 literal', (t) => {
  t.deepEqual(endpointOptions(undefined), { apiEndpoint: 'compute.googleapis.com', port: 443, protocol: 'https' });
  t.deepEqual(endpointOptions('http://127.0.0.1:8080'), { apiEndpoint: '127.0.0.1', port: 8080, protocol: 'http' });
  t.deepEqual(endpointOptions('https://compute.example.test'), { apiEndpoint: 'compute.example.test', port: 443, protocol: 'https' });
  t.deepEqual(endpointOptions('http://[::1]:9000'), { apiEndpoint: '[::1]', port: 9000, protocol: 'http' });
});

test('gcloud well-known file and metadata host follow the environment', (t) => {
  t.is(gcloudCredentialsPath({ HOME: '/home/u' }, 'linux'), '/home/u/.config/gcloud/application_default_credentials.json');
  t.is(gcloudCredentialsPath({ HOME: '/home/u', CLOUDSDK_CONFIG: '/etc/gcloud' }, 'linux'), '/etc/gcloud/application_default_credentials.json');
  t.is(gcloudCredentialsPath({}, 'linux'), undefined);
  t.is(metadataBase({}), 'http://metadata.google.internal');
  t.is(metadataBase({ GCE_METADATA_HOST: '127.0.0.1:8080' }), 'http://127.0.0.1:8080');
});

const resource = {
  kind: 'compute#instanceAggregatedList',
  items: {
    'zones/a': {
      instances: [
        {
          id: '1',
          name: 'x',
          status: 'RUNNING',
          tags: { items: ['t'], fingerprint: 'f' },
          networkInterfaces: [{ networkIP: '10.0.0.1', name: 'nic0', accessConfigs: [{ natIP: '34.0.0.1', type: 'ONE_TO_ONE_NAT' }] }],
        },
      ],
    },
    'zones/b': { warning: { code: 'NO_RESULTS_ON_PAGE' } },
  },
  nextPageToken: 'tok',
  selfLink: 'https://x',
};

const fieldCases: Array<{ fields: string | undefined; want: unknown }> = [
  { fields: undefined, want: resource },
  { fields: 'nextPageToken', want: { nextPageToken: 'tok' } },
  { fields: 'items/*/instances(name)', want: { items: { 'zones/a': { instances: [{ name: 'x' }] }, 'zones/b': {} } } },
  {
    fields: 'items/*/instances(tags/items,networkInterfaces(networkIP,accessConfigs/natIP)),nextPageToken',
    want: {
      items: {
        'zones/a': { instances: [{ tags: { items: ['t'] }, networkInterfaces: [{ networkIP: '10.0.0.1', accessConfigs: [{ natIP: '34.0.0.1' }] }] }] },
        'zones/b': {},
      },
      nextPageToken: 'tok',
    },
  },
  { fields: 'items.*.instances.id', want: { items: { 'zones/a': { instances: [{ id: '1' }] }, 'zones/b': {} } } },
  { fields: 'kind,selfLink', want: { kind: 'compute#instanceAggregatedList', selfLink: 'https://x' } },
  // `/` separates path segments, so a scope key (`zones/b`) is reached through `*` only.
  { fields: 'items/zones/b', want: { items: {} } },
];

for (const c of fieldCases) {
  test(`sim partial response ${c.fields ?? '(all)'}`, (t) => {
    const tree = c.fields === undefined ? undefined : parseFields(c.fields);
    t.deepEqual(JSON.parse(renderJson(resource, tree)), c.want);
  });
}

test('sim partial response: the provider masks parse, bad selectors are refused', (t) => {
  for (const mask of [AGGREGATED_FIELDS, LIST_FIELDS, ZONE_FIELDS]) t.notThrows(() => parseFields(mask));
  for (const bad of ['', 'items(', 'items)', 'items//name', 'a,', 'na-me', 'items(name))']) {
    t.throws(() => parseFields(bad), { instanceOf: FieldSelectionError }, bad);
  }
});

test('sim partial response: cached raw instances take the selection that reaches them', (t) => {
  const raw = new RawJson((tree) => (tree ? `"${[...tree.keys()].join('+')}"` : '"all"'));
  t.is(renderJson({ items: raw, other: 1 }, parseFields('items(a,b)')), '{"items":"a+b"}');
  t.is(renderJson({ items: raw }, undefined), '{"items":"all"}');
});

test('computeListOf: the list calls by REST path; token and metadata paths are none', (t) => {
  t.is(computeListOf('/compute/v1/projects/p-1/aggregated/instances'), 'instances.aggregatedList');
  t.is(computeListOf('/compute/v1/projects/p-1/zones/us-west1-a/instances'), 'instances.list');
  t.is(computeListOf('/compute/v1/projects/p-1/zones'), 'zones.list');
  t.is(computeListOf('/token'), undefined);
  t.is(computeListOf('/computeMetadata/v1/project/project-id'), undefined);
});

// Real answers after the compute v1 REST reference (InstanceAggregatedList, InstanceList, ZoneList).
const shapes: Array<[Parameters<typeof listShapeProblem>[0], string, string | undefined]> = [
  ['instances.aggregatedList', '{}', undefined],
  [
    'instances.aggregatedList',
    '{"kind":"compute#instanceAggregatedList","id":"projects/p/aggregated/instances","items":{"zones/us-west1-a":{"warning":{"code":"NO_RESULTS_ON_PAGE"}}},"selfLink":"x"}',
    undefined,
  ],
  ['instances.aggregatedList', '{"items":{"zones/us-west1-a":{"instances":[{"name":"i-1"}]}},"nextPageToken":"t2"}', undefined],
  ['instances.aggregatedList', '{"items":null}', undefined],
  ['instances.aggregatedList', '', 'an empty body'],
  ['instances.aggregatedList', '<html></html>', 'not JSON'],
  ['instances.aggregatedList', '"text"', 'JSON string, not a compute#instanceAggregatedList'],
  ['instances.aggregatedList', '{"status":"ok"}', 'no list fields (items, nextPageToken), not a compute#instanceAggregatedList'],
  ['instances.aggregatedList', '{"items":{},"nextPageToken":7}', 'nextPageToken is not a string'],
  ['instances.aggregatedList', '{"items":{"zones/a":{"instances":{"name":"i-1"}}}}', 'items["zones/a"].instances is not an array'],
  ['instances.list', '{"kind":"compute#instanceList","items":[{"name":"i-1"}]}', undefined],
  ['instances.list', '{"kind":"compute#instanceAggregatedList","items":{}}', 'kind "compute#instanceAggregatedList", not compute#instanceList'],
  ['instances.list', '{"items":[null]}', 'items[0] is not an object'],
  ['zones.list', '{"items":[{"name":"us-west1-a"}]}', undefined],
  ['zones.list', '{"items":"us-west1-a"}', 'items is not an array'],
];

for (const [list, body, problem] of shapes) {
  test(`listShapeProblem(${list}, ${JSON.stringify(body).slice(0, 60)})`, (t) => {
    t.is(listShapeProblem(list, body), problem);
  });
}
