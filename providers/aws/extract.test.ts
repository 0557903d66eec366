/**
 * The aws provider's pure parts, without any server: response -> targets, tag conditions,
 * filters, SDK error -> ProviderError, retry verdicts, metadata endpoint choice.
 */
import type { Reservation } from '@aws-sdk/client-ec2';
import type { Task } from '@aws-sdk/client-ecs';
import test from 'ava';
import { crossArgProblems } from '../../src/args.js';
import { classifyAwsError, toProviderError } from './errors.js';
import { type AwsAddrType, ec2Filters, parseTags, regionFromArn, targetsFromReservations, targetsFromTasks } from './extract.js';
import aws, { tagFilters } from './index.js';
import { imdsEndpoint, metadataTimeoutMs, withoutProxyEnv } from './region.js';
import { AbortError, ProviderError, TimeoutError } from '../../src/errors.js';

// Shapes as the SDK parses them from the XML in sdk-notes.md §3a.
const reservations: Reservation[] = [
  {
    ReservationId: 'r-1',
    Instances: [
      {
        InstanceId: 'i-both',
        State: { Name: 'running', Code: 16 },
        Placement: { AvailabilityZone: 'us-west-2a' },
        PrivateIpAddress: '10.0.0.11',
        PublicIpAddress: '54.0.0.11',
        Tags: [{ Key: 'Name', Value: 'consul-1' }],
        NetworkInterfaces: [
          { NetworkInterfaceId: 'eni-1', Ipv6Addresses: [{ Ipv6Address: '2600:1f14::11' }, { Ipv6Address: '2600:1f14::12' }] },
          { NetworkInterfaceId: 'eni-2', Ipv6Addresses: [{ Ipv6Address: '2600:1f14::21' }] },
        ],
      },
      { InstanceId: 'i-private-only', State: { Name: 'running' }, PrivateIpAddress: '10.0.0.12', NetworkInterfaces: [{ NetworkInterfaceId: 'eni-3' }] },
    ],
  },
  {
    ReservationId: 'r-2',
    Instances: [
      { InstanceId: 'i-stopped', State: { Name: 'stopped', Code: 80 }, PrivateIpAddress: '10.0.0.13', PublicIpAddress: '54.0.0.13' },
      { InstanceId: 'i-no-ip', State: { Name: 'running' } },
      // No state at all: kept (the API filter asked for running ones).
      { InstanceId: 'i-no-state', PrivateIpAddress: '10.0.0.14' },
    ],
  },
];

const reservationCases: Array<{ name: string; addrType: AwsAddrType; want: string[] }> = [
  { name: 'private_v4: running instances with a private IP', addrType: 'private_v4', want: ['10.0.0.11', '10.0.0.12', '10.0.0.14'] },
  { name: 'public_v4: only instances with a public IP, stopped skipped', addrType: 'public_v4', want: ['54.0.0.11'] },
  {
    name: 'public_v6: every IPv6 on every network interface',
    addrType: 'public_v6',
    want: ['2600:1f14::11', '2600:1f14::12', '2600:1f14::21'],
  },
];
for (const c of reservationCases) {
  test(`targetsFromReservations ${c.name}`, (t) => {
    t.deepEqual(
      targetsFromReservations(reservations, c.addrType).map((target) => target.address),
      c.want,
    );
  });
}

test('targetsFromReservations keeps id, Name tag and zone', (t) => {
  t.deepEqual(targetsFromReservations(reservations, 'private_v4')[0], {
    address: '10.0.0.11',
    id: 'i-both',
    name: 'consul-1',
    zone: 'us-west-2a',
  });
  t.deepEqual(targetsFromReservations([], 'private_v4'), []);
  t.deepEqual(targetsFromReservations([{}], 'private_v4'), []);
});

const eni = (ip?: string) => ({
  type: 'ElasticNetworkInterface',
  details: [
    { name: 'subnetId', value: 'subnet-1' },
    ...(ip ? [{ name: 'privateIPv4Address', value: ip }] : []),
    { name: 'privateIPv4Address', value: '10.9.9.9' },
  ],
});
const tasks: Task[] = [
  {
    taskArn: 'arn:t1',
    desiredStatus: 'RUNNING',
    tags: [
      { key: 'role', value: 'server' },
      { key: 'env', value: 'prod' },
    ],
    attachments: [eni('10.1.0.1')],
    availabilityZone: 'eu-west-1b',
  },
  { taskArn: 'arn:t2', desiredStatus: 'RUNNING', tags: [{ key: 'role', value: 'server' }], attachments: [eni('10.1.0.2')] },
  { taskArn: 'arn:t3', desiredStatus: 'STOPPED', tags: [{ key: 'role', value: 'server' }], attachments: [eni('10.1.0.3')] },
  { taskArn: 'arn:t4', desiredStatus: 'RUNNING', tags: [{ key: 'role', value: 'client' }], attachments: [eni('10.1.0.4')] },
  { taskArn: 'arn:t5', desiredStatus: 'RUNNING', tags: [{ key: 'role', value: 'server' }], attachments: [] },
  { taskArn: 'arn:t6', desiredStatus: 'RUNNING', attachments: [eni('10.1.0.6')] },
];

const taskCases = [
  { name: 'one tag: running, tagged, with an ENI IP (first detail wins)', tags: [{ key: 'role', value: 'server' }], want: ['10.1.0.1', '10.1.0.2'] },
  {
    name: 'two tags are AND',
    tags: [
      { key: 'role', value: 'server' },
      { key: 'env', value: 'prod' },
    ],
    want: ['10.1.0.1'],
  },
  { name: 'a bare key: the tag exists', tags: [{ key: 'env' }], want: ['10.1.0.1'] },
  { name: 'no match', tags: [{ key: 'role', value: 'db' }], want: [] },
];
for (const c of taskCases) {
  test(`targetsFromTasks ${c.name}`, (t) => {
    t.deepEqual(
      targetsFromTasks(tasks, c.tags).map((target) => target.address),
      c.want,
    );
  });
}

test('targetsFromTasks keeps the task ARN and zone', (t) => {
  t.deepEqual(targetsFromTasks(tasks, [{ key: 'env', value: 'prod' }]), [{ address: '10.1.0.1', id: 'arn:t1', zone: 'eu-west-1b' }]);
});

const parseCases: Array<{ input: string[]; want: ReturnType<typeof parseTags> }> = [
  {
    input: ['role=nomad-server', 'env=prod'],
    want: {
      tags: [
        { key: 'role', value: 'nomad-server' },
        { key: 'env', value: 'prod' },
      ],
    },
  },
  { input: ['team'], want: { tags: [{ key: 'team' }] } },
  { input: ['k=a=b'], want: { tags: [{ key: 'k', value: 'a=b' }] } },
  { input: ['empty='], want: { tags: [{ key: 'empty', value: '' }] } },
  { input: [' spaced = x '], want: { tags: [{ key: 'spaced', value: 'x' }] } },
  { input: ['', ' '], want: { tags: [] } },
  { input: ['=x'], want: { problem: 'tags: item "=x" has an empty tag key (want key=value or key)' } },
];
for (const c of parseCases) {
  test(`parseTags ${JSON.stringify(c.input)}`, (t) => {
    t.deepEqual(parseTags(c.input), c.want);
  });
}

test('tagFilters: tag_key/tag_value first, an absent tag_value is "" as in go-discover, then tags', (t) => {
  t.deepEqual(tagFilters({ tag_key: 'role', tag_value: 'server', tags: ['env=prod'] }).tags, [
    { key: 'role', value: 'server' },
    { key: 'env', value: 'prod' },
  ]);
  t.deepEqual(tagFilters({ tag_key: 'role' }).tags, [{ key: 'role', value: '' }]);
  t.deepEqual(tagFilters({}).tags, []);
});

test('ec2Filters: tag:KEY for key=value, tag-key for a bare key, running always', (t) => {
  t.deepEqual(ec2Filters([{ key: 'role', value: 'server' }, { key: 'team' }]), [
    { Name: 'tag:role', Values: ['server'] },
    { Name: 'tag-key', Values: ['team'] },
    { Name: 'instance-state-name', Values: ['running'] },
  ]);
});

const arnCases: Array<[string, string | undefined]> = [
  ['arn:aws:ecs:us-east-1:000000000000:task/cluster/0000', 'us-east-1'],
  ['arn:aws-cn:ecs:cn-north-1:1:task/c/x', 'cn-north-1'],
  ['arn:aws:ecs::1:task/c/x', undefined],
  ['not-an-arn', undefined],
  ['', undefined],
];
for (const [arn, want] of arnCases) {
  test(`regionFromArn ${JSON.stringify(arn)}`, (t) => {
    t.is(regionFromArn(arn), want);
  });
}

// --- validate() ---

const base = { addr_type: 'private_v4', service: 'ec2' } as const;
const validateCases: Array<{ name: string; args: Record<string, unknown>; keys: string[] }> = [
  { name: 'tag_key + tag_value is fine', args: { ...base, tag_key: 'role', tag_value: 'x' }, keys: [] },
  { name: 'tags alone is fine', args: { ...base, tags: ['role=x'] }, keys: [] },
  { name: 'no tag condition', args: { ...base }, keys: ['tag_key'] },
  { name: 'tag_value without tag_key', args: { ...base, tag_value: 'x', tags: ['a'] }, keys: ['tag_value'] },
  { name: 'key id without secret', args: { ...base, tag_key: 'r', access_key_id: 'AKID' }, keys: ['secret_access_key'] },
  { name: 'secret without key id', args: { ...base, tag_key: 'r', secret_access_key: 's' }, keys: ['access_key_id'] },
  { name: 'session_token alone', args: { ...base, tag_key: 'r', session_token: 't' }, keys: ['session_token'] },
  { name: 'ecs with public_v4', args: { ...base, tag_key: 'r', service: 'ecs', addr_type: 'public_v4' }, keys: ['addr_type'] },
  { name: 'bad tags item', args: { ...base, tags: ['=x'] }, keys: ['tags'] },
];
for (const c of validateCases) {
  test(`validate: ${c.name}`, (t) => {
    const problems = crossArgProblems(aws, c.args);
    t.deepEqual(
      problems.map((p) => p.key),
      c.keys,
    );
  });
}

// --- errors ---

/** An error shaped as the SDK throws it for a service answer. */
function serviceError(name: string, status: number, headers: Record<string, string> = {}, message = 'boom') {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    $response: { statusCode: status, headers },
  });
}

test('toProviderError: a throttle names the operation, status and code, and carries Retry-After', (t) => {
  const err = toProviderError(serviceError('RequestLimitExceeded', 503, { 'Retry-After': '2' }, 'Request limit exceeded.'), 'DescribeInstances');
  t.true(err instanceof ProviderError);
  const pe = err as ProviderError;
  t.is(pe.code, 'ERR_PROVIDER_THROTTLED');
  t.is(pe.message, 'discover-aws: DescribeInstances failed: 503 RequestLimitExceeded: Request limit exceeded.');
  t.is(pe.cloudCode, 'RequestLimitExceeded');
  t.is(pe.status, 503);
  t.true(pe.throttled);
  t.is(pe.retryAfterMs, 2000);
  t.deepEqual(classifyAwsError(pe), { retry: true, throttled: true, afterMs: 2000 });
});

const classifyCases: Array<{ name: string; err: unknown; retry: boolean }> = [
  { name: 'ECS ThrottlingException (400)', err: serviceError('ThrottlingException', 400), retry: true },
  { name: '429 without a known code', err: serviceError('SomethingNew', 429), retry: true },
  { name: 'InternalError 500', err: serviceError('InternalError', 500), retry: true },
  { name: 'Unavailable 503', err: serviceError('Unavailable', 503), retry: true },
  { name: 'AuthFailure 401', err: serviceError('AuthFailure', 401), retry: false },
  { name: 'SignatureDoesNotMatch 403', err: serviceError('SignatureDoesNotMatch', 403), retry: false },
  { name: 'UnrecognizedClientException 400', err: serviceError('UnrecognizedClientException', 400), retry: false },
  { name: 'socket reset', err: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), retry: true },
  { name: 'malformed XML', err: Object.assign(new Error('Unexpected end of XML'), { name: 'SyntaxError' }), retry: false },
];
for (const c of classifyCases) {
  test(`classifyAwsError: ${c.name}`, (t) => {
    t.is(classifyAwsError(toProviderError(c.err, 'DescribeInstances')).retry, c.retry);
  });
}

test('toProviderError passes autojoin errors through and maps an SDK abort to AbortError', (t) => {
  const timeout = new TimeoutError('discover-aws', 10);
  t.is(toProviderError(timeout, 'X'), timeout);
  const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
  t.true(toProviderError(abort, 'ListTasks') instanceof AbortError);
});

test('toProviderError: a malformed body is named as such', (t) => {
  const err = toProviderError(Object.assign(new Error('Unexpected end of JSON input'), { name: 'SyntaxError' }), 'ListTasks');
  t.is(err.message, 'discover-aws: ListTasks failed: malformed response: Unexpected end of JSON input');
});

// --- metadata endpoint choice ---

test('imdsEndpoint: env override, IPv6 mode, default', (t) => {
  t.is(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9/' }), 'http://127.0.0.1:9');
  t.is(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' }), 'http://[fd00:ec2::254]');
  t.is(imdsEndpoint({}), 'http://169.254.169.254');
});

test('withoutProxyEnv drops every proxy variable, upper and lower case, and keeps the rest', (t) => {
  t.deepEqual(withoutProxyEnv({ HTTP_PROXY: 'a', https_proxy: 'b', ALL_PROXY: 'c', no_proxy: 'd', AWS_REGION: 'x', AUTOJOIN_LOOPBACK_ONLY: '1' }), {
    AWS_REGION: 'x',
    AUTOJOIN_LOOPBACK_ONLY: '1',
  });
});

test('metadataTimeoutMs: AWS_METADATA_SERVICE_TIMEOUT in seconds, else 1 s', (t) => {
  t.is(metadataTimeoutMs({ AWS_METADATA_SERVICE_TIMEOUT: '2' }), 2000);
  t.is(metadataTimeoutMs({ AWS_METADATA_SERVICE_TIMEOUT: '0.25' }), 250);
  t.is(metadataTimeoutMs({ AWS_METADATA_SERVICE_TIMEOUT: 'soon' }), 1000);
  t.is(metadataTimeoutMs({ AWS_METADATA_SERVICE_TIMEOUT: '0' }), 1000);
  t.is(metadataTimeoutMs({}), 1000);
});
