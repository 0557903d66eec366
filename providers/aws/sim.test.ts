/**
 * The simulated AWS APIs on the wire, without the SDK: what a raw client sends and gets back
 * (EC2 Query XML, ECS awsJson1_1, IMDSv2, ECS task metadata), SigV4 checks with the SDK's own
 * signer, paging tokens, the real error bodies; plus table tests of the sim's pure parts.
 */
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import test from 'ava';
import { describeInstances, globMatch, parseDescribeInstances } from './sim-ec2.js';
import { DEFAULT_SIM_AWS_CREDENTIALS, parseAuthorization, verifySigV4 } from './sim-sigv4.js';
import awsSim, { ecsMetadataUri, IMDS_ROLE } from './sim.js';
import { createHttpClient } from '../../src/http/index.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import type { SimRequest } from '../../src/sim/types.js';
import { startTestSim } from '../../test/helpers/sim.js';

const CREDS = { access_key_id: 'AKIDWIRE', secret_access_key: 'wire-secret' };

function fleet(): Fleet {
  const instances: FleetInstance[] = [
    {
      id: 'i-0001',
      cloud: 'aws',
      region: 'us-west-2',
      zone: 'us-west-2b',
      tags: { Name: 'consul-server', role: 'server' },
      private_ipv4: '10.0.0.11',
      public_ipv4: '54.0.0.11',
      public_ipv6: '2600:1f14::11',
      extra_nics: [{ private_ipv4: '10.0.1.11', public_ipv6: '2600:1f14::99' }],
    },
  ];
  for (let i = 2; i <= 12; i++) {
    instances.push({ id: `i-${String(i).padStart(4, '0')}`, cloud: 'aws', region: 'us-west-2', tags: { role: 'server' }, private_ipv4: `10.0.0.${i}` });
  }
  instances.push({ id: 'i-stopped', cloud: 'aws', region: 'us-west-2', state: 'stopped', tags: { role: 'server' }, private_ipv4: '10.0.0.99' });
  instances.push({
    id: 'task-1',
    cloud: 'aws',
    region: 'us-west-2',
    zone: 'us-west-2c',
    ecs: { cluster: 'prod', family: 'consul' },
    tags: { role: 'server' },
    private_ipv4: '10.2.0.1',
  });
  return { credentials: { aws: { ...CREDS, account_id: '111122223333' } }, instances };
}

const http = createHttpClient({ env: {} });
test.after.always(() => http.destroy());

const okAny = () => true;

/** A request signed exactly as the SDK signs it (same signer, same hash). */
async function signed(
  sim: RunningSim,
  service: 'ec2' | 'ecs',
  body: string,
  headers: Record<string, string>,
  secret = CREDS.secret_access_key,
  accessKeyId = CREDS.access_key_id,
  region = 'us-west-2',
) {
  const url = new URL(sim.httpUrl);
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, ...headers },
    body,
  });
  const signer = new SignatureV4({ service, region, sha256: Hash.bind(null, 'sha256'), credentials: { accessKeyId, secretAccessKey: secret } });
  const done = await signer.sign(request);
  return http.request(sim.httpUrl, { method: 'POST', headers: done.headers as Record<string, string>, body, okStatus: okAny });
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
const ecsHeaders = (op: string) => ({ 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AmazonEC2ContainerServiceV20141113.${op}` });

// --- EC2 ---

test('EC2 DescribeInstances: reservationSet / instancesSet XML with ipAddress, ipv6Address and every ENI', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const res = await signed(
    sim,
    'ec2',
    'Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=consul-server&Filter.2.Name=instance-state-name&Filter.2.Value.1=running',
    FORM,
  );
  t.is(res.status, 200);
  t.regex(String(res.headers['content-type']), /^text\/xml/);
  const xml = res.text();
  t.regex(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeInstancesResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/">/);
  t.regex(xml, /<reservationSet><item><reservationId>r-[0-9a-f]+<\/reservationId><ownerId>111122223333<\/ownerId>/);
  for (const fragment of [
    '<instanceId>i-0001</instanceId>',
    '<instanceState><code>16</code><name>running</name></instanceState>',
    '<placement><availabilityZone>us-west-2b</availabilityZone>',
    '<privateIpAddress>10.0.0.11</privateIpAddress>',
    '<ipAddress>54.0.0.11</ipAddress>',
    '<ipv6Address>2600:1f14::11</ipv6Address>',
    '<tagSet><item><key>Name</key><value>consul-server</value></item>',
    '<association><publicIp>54.0.0.11</publicIp>',
    '<ipv6AddressesSet><item><ipv6Address>2600:1f14::99</ipv6Address></item></ipv6AddressesSet>',
    '<deviceIndex>1</deviceIndex>',
  ]) {
    t.true(xml.includes(fragment), fragment);
  }
  t.false(xml.includes('<nextToken>'));
  t.is((xml.match(/<instanceId>/g) ?? []).length, 1);
});

test('EC2 paging: MaxResults pages with an opaque nextToken; a forged token is InvalidParameterValue', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const ids: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const body = `Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3Arole&Filter.1.Value.1=server&Filter.2.Name=instance-state-name&Filter.2.Value.1=running&MaxResults=5${token ? `&NextToken=${encodeURIComponent(token)}` : ''}`;
    const xml = (await signed(sim, 'ec2', body, FORM)).text();
    ids.push(...[...xml.matchAll(/<instanceId>([^<]+)<\/instanceId>/g)].map((m) => m[1] as string));
    token = /<nextToken>([^<]+)<\/nextToken>/.exec(xml)?.[1];
    pages++;
  } while (token);
  t.is(pages, 3);
  t.is(ids.length, 12);
  t.false(ids.includes('i-stopped'));
  const forged = await signed(sim, 'ec2', 'Action=DescribeInstances&Version=2016-11-15&NextToken=bzEuMDAwMDAwMDA', FORM);
  t.is(forged.status, 400);
  t.regex(forged.text(), /<Code>InvalidParameterValue<\/Code>/);
});

test('a fleet without AWS credentials still checks signatures: the default fake pair only, as AWS refuses any other', async (t) => {
  const bare = fleet();
  delete bare.credentials.aws;
  const sim = await startTestSim(t, bare, [awsSim]);
  const body = 'Action=DescribeInstances&Version=2016-11-15';
  const { access_key_id: key, secret_access_key: secret } = DEFAULT_SIM_AWS_CREDENTIALS;
  const anyKey = await signed(sim, 'ec2', body, FORM, 'any-secret', 'AKIDANYTHING');
  t.is(anyKey.status, 401);
  t.regex(anyKey.text(), /<Code>AuthFailure<\/Code>/);
  const wrongSecret = await signed(sim, 'ec2', body, FORM, 'not-it', key);
  t.is(wrongSecret.status, 403);
  const ecs = await signed(sim, 'ecs', '{}', ecsHeaders('ListClusters'), 'any-secret', 'AKIDANYTHING');
  t.true(ecs.status >= 400, `ECS answered ${ecs.status}`);
  const good = await signed(sim, 'ec2', body, FORM, secret, key);
  t.is(good.status, 200);
});

test('EC2 errors are EC2 XML: no signature 401, wrong secret 403 SignatureDoesNotMatch, unknown key 401 AuthFailure, bad MaxResults 400', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const unsigned = await http.request(sim.httpUrl, { method: 'POST', headers: FORM, body: 'Action=DescribeInstances&Version=2016-11-15', okStatus: okAny });
  t.is(unsigned.status, 401);
  t.regex(
    unsigned.text(),
    /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>MissingAuthenticationToken<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
  );
  const wrong = await signed(sim, 'ec2', 'Action=DescribeInstances&Version=2016-11-15', FORM, 'not-it');
  t.is(wrong.status, 403);
  t.regex(wrong.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  const unknown = await signed(sim, 'ec2', 'Action=DescribeInstances&Version=2016-11-15', FORM, CREDS.secret_access_key, 'AKIDOTHER');
  t.is(unknown.status, 401);
  t.regex(unknown.text(), /<Code>AuthFailure<\/Code>/);
  const small = await signed(sim, 'ec2', 'Action=DescribeInstances&Version=2016-11-15&MaxResults=3', FORM);
  t.is(small.status, 400);
  t.regex(small.text(), /<Code>InvalidParameterValue<\/Code>/);
  const filter = await signed(sim, 'ec2', 'Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=flavour&Filter.1.Value.1=x', FORM);
  t.is(filter.status, 400);
  t.regex(filter.text(), /The filter 'flavour' is invalid/);
});

test('a credential scoped to a region AWS does not have is refused (EC2 AuthFailure, ECS InvalidSignatureException), naming the region', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const body = 'Action=DescribeInstances&Version=2016-11-15';
  const typo = await signed(sim, 'ec2', body, FORM, CREDS.secret_access_key, CREDS.access_key_id, 'eu-wst-1');
  t.is(typo.status, 401);
  t.regex(typo.text(), /<Code>AuthFailure<\/Code><Message>Credential should be scoped to a valid region, not 'eu-wst-1'\.<\/Message>/);
  const ecs = await signed(sim, 'ecs', '{}', ecsHeaders('ListClusters'), CREDS.secret_access_key, CREDS.access_key_id, 'eu-wst-1');
  t.is(ecs.status, 400);
  t.regex(ecs.text(), /InvalidSignatureException/);
  // A region of the SDK's list with no instances is a real, empty region; so is one the fleet names.
  t.is((await signed(sim, 'ec2', body, FORM, CREDS.secret_access_key, CREDS.access_key_id, 'ap-southeast-2')).status, 200);
  const moonFleet = fleet();
  moonFleet.instances.push({ id: 'i-moon', cloud: 'aws', region: 'moon-base-1', tags: { role: 'server' }, private_ipv4: '10.9.0.1' });
  const moon = await startTestSim(t, moonFleet, [awsSim]);
  t.is((await signed(moon, 'ec2', body, FORM, CREDS.secret_access_key, CREDS.access_key_id, 'moon-base-1')).status, 200);
});

const ec2FaultCases = [
  { kind: 'throttle', status: 503, code: 'RequestLimitExceeded' },
  { kind: 'server', status: 500, code: 'InternalError' },
  { kind: 'unavailable', status: 503, code: 'Unavailable' },
] as const;
for (const c of ec2FaultCases) {
  test(`EC2 fault ${c.kind}: ${c.status} ${c.code} in EC2's error XML`, async (t) => {
    const sim = await startTestSim(t, fleet(), [awsSim]);
    sim.setFaults('aws-ec2', { error: c.kind });
    const res = await signed(sim, 'ec2', 'Action=DescribeInstances&Version=2016-11-15', FORM);
    t.is(res.status, c.status);
    t.regex(res.text(), new RegExp(`<Response><Errors><Error><Code>${c.code}</Code>`));
  });
}

// --- ECS ---

test('ECS awsJson1_1: ListClusters -> ListTasks -> DescribeTasks with tags and the ENI IP', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const clusters = (await signed(sim, 'ecs', '{}', ecsHeaders('ListClusters'))).json<{ clusterArns: string[] }>();
  t.deepEqual(clusters, { clusterArns: ['arn:aws:ecs:us-west-2:111122223333:cluster/prod'] });
  const tasks = (await signed(sim, 'ecs', JSON.stringify({ cluster: 'prod', desiredStatus: 'RUNNING' }), ecsHeaders('ListTasks'))).json<{
    taskArns: string[];
  }>();
  t.is(tasks.taskArns.length, 1);
  t.regex(tasks.taskArns[0] as string, /^arn:aws:ecs:us-west-2:111122223333:task\/prod\/[0-9a-f]{32}$/);
  const described = (
    await signed(sim, 'ecs', JSON.stringify({ cluster: 'prod', tasks: [...tasks.taskArns, 'arn:missing'], include: ['TAGS'] }), ecsHeaders('DescribeTasks'))
  ).json<{ tasks: Array<Record<string, unknown>>; failures: unknown[] }>();
  const [task] = described.tasks;
  t.is(task?.desiredStatus, 'RUNNING');
  t.is(task?.availabilityZone, 'us-west-2c');
  t.deepEqual(task?.tags, [{ key: 'role', value: 'server' }]);
  t.deepEqual(
    (task?.attachments as Array<{ details: Array<{ name: string; value: string }> }> | undefined)?.[0]?.details.find((d) => d.name === 'privateIPv4Address'),
    { name: 'privateIPv4Address', value: '10.2.0.1' },
  );
  t.deepEqual(described.failures, [{ arn: 'arn:missing', reason: 'MISSING' }]);
});

test('ECS errors are JSON with __type and x-amzn-ErrorType', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const wrong = await signed(sim, 'ecs', '{}', ecsHeaders('ListClusters'), 'not-it');
  t.is(wrong.status, 400);
  t.is(wrong.headers['x-amzn-errortype'], 'InvalidSignatureException');
  t.is(wrong.json<{ __type: string }>().__type, 'InvalidSignatureException');
  sim.setFaults('aws-ecs', { error: 'throttle' });
  const throttled = await signed(sim, 'ecs', '{}', ecsHeaders('ListClusters'));
  t.is(throttled.status, 400);
  t.deepEqual(throttled.json(), { __type: 'ThrottlingException', message: 'Rate exceeded' });
  t.is(throttled.headers['x-amzn-errortype'], 'ThrottlingException');
  sim.setFaults('aws-ecs', undefined);
  const missing = await signed(sim, 'ecs', JSON.stringify({ cluster: 'nope' }), ecsHeaders('ListTasks'));
  t.is(missing.json<{ __type: string }>().__type, 'ClusterNotFoundException');
});

// --- IMDSv2 and ECS task metadata ---

test('IMDSv2: a token is required; identity document, placement region and role credentials', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const base = `${sim.httpUrl}/latest`;
  t.is((await http.request(`${base}/api/token`, { method: 'PUT', okStatus: okAny })).status, 400, 'TTL header required');
  t.is((await http.request(`${base}/meta-data/placement/region`, { okStatus: okAny })).status, 401, 'IMDSv1 refused');
  const token = (await http.request(`${base}/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
  const headers = { 'x-aws-ec2-metadata-token': token };
  const doc = (await http.request(`${base}/dynamic/instance-identity/document`, { headers })).json<Record<string, unknown>>();
  t.like(doc, { region: 'us-west-2', availabilityZone: 'us-west-2b', instanceId: 'i-0001', accountId: '111122223333', privateIp: '10.0.0.11' });
  t.is((await http.request(`${base}/meta-data/placement/region`, { headers })).text(), 'us-west-2');
  t.is((await http.request(`${base}/meta-data/iam/security-credentials/`, { headers })).text(), IMDS_ROLE);
  const creds = (await http.request(`${base}/meta-data/iam/security-credentials/${IMDS_ROLE}`, { headers })).json<Record<string, string>>();
  t.like(creds, { Code: 'Success', AccessKeyId: CREDS.access_key_id, SecretAccessKey: CREDS.secret_access_key });
  t.regex(creds.Expiration ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
});

test('ECS task metadata v4: /task has TaskARN, Cluster and AvailabilityZone', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const task = (await http.request(`${ecsMetadataUri(sim.httpUrl)}/task`)).json<Record<string, string>>();
  t.regex(task.TaskARN ?? '', /^arn:aws:ecs:us-west-2:111122223333:task\/prod\/[0-9a-f]{32}$/);
  t.is(task.Cluster, 'arn:aws:ecs:us-west-2:111122223333:cluster/prod');
  t.is(task.AvailabilityZone, 'us-west-2c');
});

test('paste(): a working config string and the IMDS endpoint', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const paste = awsSim.paste?.(sim.ctx);
  t.is(
    paste?.config,
    `provider=aws access_key_id=AKIDWIRE endpoint=${sim.httpUrl} region=us-west-2 secret_access_key=wire-secret tag_key=Name tag_value=consul-server`,
  );
  t.is(paste?.env.AWS_EC2_METADATA_SERVICE_ENDPOINT, sim.httpUrl);
});

// --- pure parts ---

test('parseDescribeInstances reads Filter.N.Name / Filter.N.Value.M in index order', (t) => {
  const form = new URLSearchParams(
    'Action=DescribeInstances&Filter.2.Name=instance-state-name&Filter.2.Value.1=running&Filter.1.Name=tag%3Arole&Filter.1.Value.2=b&Filter.1.Value.1=a&MaxResults=7&NextToken=x',
  );
  t.deepEqual(parseDescribeInstances(form), {
    filters: [
      { name: 'tag:role', values: ['a', 'b'] },
      { name: 'instance-state-name', values: ['running'] },
    ],
    instanceIds: [],
    maxResults: 7,
    nextToken: 'x',
  });
});

const globCases: Array<[string, string, boolean]> = [
  ['server', 'server', true],
  ['serv*', 'server-1', true],
  ['s?rver', 'server', true],
  ['server', 'server-1', false],
  ['a.b', 'axb', false],
  ['*', '', true],
];
for (const [pattern, text, want] of globCases) {
  test(`globMatch(${pattern}, ${text}) = ${want}`, (t) => {
    t.is(globMatch(pattern, text), want);
  });
}

test('describeInstances: the fleet page size and MaxResults, the smaller wins', (t) => {
  const instances = fleet().instances.filter((i) => !i.ecs);
  const first = describeInstances(instances, { filters: [], instanceIds: [], maxResults: 10 }, 4);
  t.true(first.ok && first.instances.length === 4 && first.nextToken !== undefined);
  const all = describeInstances(instances, { filters: [], instanceIds: [] }, undefined);
  t.true(all.ok && all.instances.length === instances.length && all.nextToken === undefined);
});

test('describeInstances without MaxResults answers every match at once, past 1,000 and past the fleet page size', (t) => {
  // EC2 API reference, DescribeInstances: "We do not recommend using [it] without MaxResults ...
  // can be slow or throttled" — the answer is whole, never truncated.
  const base = fleet().instances.find((i) => !i.ecs) as Fleet['instances'][number];
  const many = Array.from({ length: 1500 }, (_, n) => ({ ...base, id: `i-${n.toString(16).padStart(17, '0')}` }));
  const whole = describeInstances(many, { filters: [], instanceIds: [] }, 2);
  t.true(whole.ok);
  t.is(whole.ok ? whole.instances.length : 0, 1500);
  t.is(whole.ok ? whole.nextToken : 'error', undefined);
  const paged = describeInstances(many, { filters: [], instanceIds: [], maxResults: 1000 }, undefined);
  t.is(paged.ok ? paged.instances.length : 0, 1000);
  t.not(paged.ok ? paged.nextToken : undefined, undefined);
});

test('parseAuthorization: well-formed SigV4 only', (t) => {
  const sig = 'a'.repeat(64);
  t.deepEqual(parseAuthorization(`AWS4-HMAC-SHA256 Credential=AKID/20261125/eu-west-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=${sig}`), {
    accessKeyId: 'AKID',
    date: '20261125',
    region: 'eu-west-1',
    service: 'ec2',
    signedHeaders: ['host', 'x-amz-date'],
    signature: sig,
  });
  t.is(parseAuthorization('Bearer x'), undefined);
  t.is(parseAuthorization(undefined), undefined);
  t.is(parseAuthorization(`AWS4-HMAC-SHA256 Credential=AKID/2026/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=${sig}`), undefined);
});

test('verifySigV4: a tampered body no longer matches the signature', async (t) => {
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 8080,
    path: '/',
    headers: { host: '127.0.0.1:8080', 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Action=DescribeInstances',
  });
  const signer = new SignatureV4({
    service: 'ec2',
    region: 'eu-west-1',
    sha256: Hash.bind(null, 'sha256'),
    credentials: { accessKeyId: CREDS.access_key_id, secretAccessKey: CREDS.secret_access_key },
  });
  const done = await signer.sign(request);
  const simReq = (body: string): SimRequest => ({
    method: 'POST',
    url: new URL('http://127.0.0.1:8080/'),
    headers: Object.fromEntries(Object.entries(done.headers).map(([k, v]) => [k.toLowerCase(), v])),
    body: Buffer.from(body),
    scheme: 'http',
  });
  t.like(await verifySigV4(simReq('Action=DescribeInstances'), CREDS), { ok: true });
  t.deepEqual(await verifySigV4(simReq('Action=DescribeInstances&x=1'), CREDS), { ok: false, reason: 'bad-signature' });
  t.deepEqual(await verifySigV4(simReq('Action=DescribeInstances'), { ...CREDS, session_token: 'needed' }), { ok: false, reason: 'bad-token' });
  t.deepEqual(await verifySigV4(simReq('Action=DescribeInstances'), CREDS, Date.now() + 20 * 60_000), { ok: false, reason: 'expired' });
  t.like(await verifySigV4(simReq('Action=DescribeInstances'), CREDS, Date.now() + 10 * 60_000), { ok: true });
});
