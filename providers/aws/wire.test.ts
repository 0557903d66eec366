/**
 * The simulator's AWS answers against recorded ones (fixtures/, sources in fixtures/README.md):
 * EC2 Query XML, ECS awsJson1_1 and the IMDS identity document. Every key path the extractor
 * reads is in both with the same type, the simulator sends no path the real API lacks, and the
 * extractor yields the expected targets from the recordings (EC2 through the real SDK's XML
 * deserializer, served from loopback).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeInstancesCommand, type DescribeInstancesCommandOutput, EC2Client } from '@aws-sdk/client-ec2';
import type { Task } from '@aws-sdk/client-ecs';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import test, { type ExecutionContext } from 'ava';
import { instanceAddresses, targetsFromReservations, targetsFromTasks } from './extract.js';
import awsSim from './sim.js';
import { createHttpClient } from '../../src/http/index.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import { compareShapes, parseXml, type Shape, shapeOf } from '../../test/helpers/wire-shape.js';
import { startTestSim } from '../../test/helpers/sim.js';

const CREDS = { access_key_id: 'AKIDWIRE', secret_access_key: 'wire-secret' };
const REGION = 'us-west-2';

function fleet(): Fleet {
  const instances: FleetInstance[] = [
    {
      id: 'i-0001',
      cloud: 'aws',
      region: REGION,
      zone: 'us-west-2b',
      tags: { Name: 'consul-server', role: 'server' },
      private_ipv4: '10.0.0.11',
      public_ipv4: '192.0.2.11',
      public_ipv6: '2001:db8::11',
      extra_nics: [{ private_ipv4: '10.0.1.11', public_ipv6: '2001:db8::99' }],
    },
    { id: 'i-0002', cloud: 'aws', region: REGION, tags: { role: 'server' }, private_ipv4: '10.0.0.12' },
    {
      id: 'task-1',
      cloud: 'aws',
      region: REGION,
      zone: 'us-west-2c',
      ecs: { cluster: 'prod', family: 'consul' },
      tags: { role: 'server' },
      private_ipv4: '10.2.0.1',
    },
  ];
  return { credentials: { aws: { ...CREDS, account_id: '000000000000' } }, instances };
}

const fixture = (name: string): Promise<string> => readFile(new URL(`fixtures/${name}`, import.meta.url), 'utf8');
const recorded = async (name: string): Promise<unknown> => JSON.parse(await fixture(name));

const http = createHttpClient({ env: {} });
test.after.always(() => http.destroy());

/** A request signed as the SDK signs it (the SDK's own signer). */
async function signed(sim: RunningSim, service: 'ec2' | 'ecs', body: string, headers: Record<string, string>) {
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
  const signer = new SignatureV4({
    service,
    region: REGION,
    sha256: Hash.bind(null, 'sha256'),
    credentials: { accessKeyId: CREDS.access_key_id, secretAccessKey: CREDS.secret_access_key },
  });
  const done = await signer.sign(request);
  const res = await http.request(sim.httpUrl, { method: 'POST', headers: done.headers as Record<string, string>, body });
  return res;
}

const ecsHeaders = (op: string) => ({ 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AmazonEC2ContainerServiceV20141113.${op}` });

async function ecs(t: ExecutionContext, op: string, body: unknown): Promise<unknown> {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  return (await signed(sim, 'ecs', JSON.stringify(body), ecsHeaders(op))).json();
}

// --- EC2 DescribeInstances ---

const INSTANCE = 'DescribeInstancesResponse.reservationSet.item.instancesSet.item';
/** What targetsFromReservations reads, as EC2 XML elements (the SDK maps them to Instance members). */
const EC2_READ = [
  `${INSTANCE}.instanceId`,
  `${INSTANCE}.instanceState.name`,
  `${INSTANCE}.placement.availabilityZone`,
  `${INSTANCE}.privateIpAddress`,
  `${INSTANCE}.ipAddress`,
  `${INSTANCE}.tagSet.item.key`,
  `${INSTANCE}.tagSet.item.value`,
];
// Read too, but the recording (2014) predates EC2 IPv6, and a last page has no nextToken.
const EC2_READ_NOT_RECORDED = [`${INSTANCE}.networkInterfaceSet.item.ipv6AddressesSet`, `${INSTANCE}.ipv6Address`, 'DescribeInstancesResponse.nextToken'];
// Real EC2 elements of the 2016-11-15 Instance / InstanceNetworkInterface shapes that the 2014
// recording has not (its instances have no Elastic IP association and one NIC).
const EC2_EXTRA = [`${INSTANCE}.networkInterfaceSet.item.association`, `${INSTANCE}.networkInterfaceSet.item.privateIpAddressesSet.item.association`];

test('EC2 DescribeInstances: the sim answers in the shape of the recorded XML', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const body =
    'Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3Arole&Filter.1.Value.1=server&Filter.2.Name=instance-state-name&Filter.2.Value.1=running&MaxResults=1000';
  const res = await signed(sim, 'ec2', body, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
  t.is(res.status, 200);
  const simShape = shapeOf(parseXml(res.text()));
  const real = shapeOf(parseXml(await fixture('ec2-describe-instances.xml')));
  t.deepEqual(compareShapes(simShape, real, EC2_READ, [...EC2_READ_NOT_RECORDED, ...EC2_EXTRA]), []);
  t.true(simShape.has(`${INSTANCE}.networkInterfaceSet.item.ipv6AddressesSet.item.ipv6Address`));
});

/** The recorded XML served from loopback, decoded by the real EC2 client as the provider's would be. */
async function sdkDescribe(t: ExecutionContext): Promise<DescribeInstancesCommandOutput> {
  const xml = await fixture('ec2-describe-instances.xml');
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' });
    res.end(xml);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  const client = new EC2Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIDFIXTURE', secretAccessKey: 'fixture-secret' },
  });
  t.teardown(() => client.destroy());
  return client.send(new DescribeInstancesCommand({}));
}

test('the EC2 extractor on the recorded XML, decoded by the SDK: stopped instances dropped, addresses per kind', async (t) => {
  const reservations = (await sdkDescribe(t)).Reservations ?? [];
  t.is(reservations.length, 2);
  // Both recorded instances are stopped: the running-only rule leaves nothing.
  t.deepEqual(targetsFromReservations(reservations, 'private_v4'), []);
  const instances = reservations.flatMap((r) => r.Instances ?? []);
  t.deepEqual(
    instances.map((i) => instanceAddresses(i, 'private_v4')),
    [['10.211.11.211'], ['172.16.9.139']],
  );
  t.deepEqual(
    instances.map((i) => instanceAddresses(i, 'public_v4')),
    [['192.0.2.4'], ['192.0.2.5']],
  );
  t.deepEqual(
    instances.map((i) => instanceAddresses(i, 'public_v6')),
    [[], []],
  );
  const running = reservations.map((r) => ({ ...r, Instances: r.Instances?.map((i) => ({ ...i, State: { Name: 'running' as const } })) }));
  t.deepEqual(targetsFromReservations(running, 'private_v4'), [
    { address: '10.211.11.211', id: 'i-4382922a', zone: 'us-east-1d' },
    { address: '172.16.9.139', id: 'i-8474834a', name: 'Test Server 2', zone: 'us-east-1d' },
  ]);
});

// --- ECS ---

test('ECS ListClusters and ListTasks: ARN lists, as recorded', async (t) => {
  const clusters = shapeOf(await ecs(t, 'ListClusters', {}));
  t.deepEqual(compareShapes(clusters, shapeOf(await recorded('ecs-list-clusters.json')), ['clusterArns'], ['nextToken']), []);
  const tasks = shapeOf(await ecs(t, 'ListTasks', { cluster: 'prod', desiredStatus: 'RUNNING' }));
  t.deepEqual(compareShapes(tasks, shapeOf(await recorded('ecs-list-tasks.json')), ['taskArns'], ['nextToken']), []);
});

/** What targetsFromTasks reads. */
const TASK_READ = ['tasks.taskArn', 'tasks.desiredStatus', 'tasks.group', 'tasks.attachments.details.name', 'tasks.attachments.details.value'];
// Read too, but the recorded task shows none: it is untagged (`tags: []`) and its zone is not printed.
const TASK_READ_NOT_RECORDED = ['tasks.tags.key', 'tasks.tags.value', 'tasks.availabilityZone'];

test('ECS DescribeTasks: the sim answers in the shape of the recorded task', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const listed = (await signed(sim, 'ecs', JSON.stringify({ cluster: 'prod', desiredStatus: 'RUNNING' }), ecsHeaders('ListTasks'))).json<{
    taskArns: string[];
  }>();
  const described = await signed(sim, 'ecs', JSON.stringify({ cluster: 'prod', tasks: listed.taskArns, include: ['TAGS'] }), ecsHeaders('DescribeTasks'));
  const simShape: Shape = shapeOf(described.json());
  const real = shapeOf(await recorded('ecs-describe-tasks.json'));
  t.deepEqual(compareShapes(simShape, real, TASK_READ, TASK_READ_NOT_RECORDED), []);
  t.deepEqual([...(simShape.get('tasks.tags.key') ?? [])], ['string']);
});

test('the ECS extractor on the recorded task: the ENI detail privateIPv4Address, tag filters applied', async (t) => {
  const { tasks } = (await recorded('ecs-describe-tasks.json')) as { tasks: Task[] };
  t.deepEqual(targetsFromTasks(tasks, []), [
    { address: '10.0.0.4', id: 'arn:aws:ecs:us-west-2:000000000000:task/MyCluster/1234567890123456789', name: 'service:fargate-service' },
  ]);
  t.deepEqual(targetsFromTasks(tasks, [{ key: 'role' }]), []);
});

// --- IMDS ---

test('IMDSv2 identity document: the sim answers in the shape of the documented one', async (t) => {
  const sim = await startTestSim(t, fleet(), [awsSim]);
  const base = `${sim.httpUrl}/latest`;
  const token = (await http.request(`${base}/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
  const doc = await http.request(`${base}/dynamic/instance-identity/document`, { headers: { 'x-aws-ec2-metadata-token': token } });
  const simShape = shapeOf(doc.json());
  const real = shapeOf(await recorded('imds-identity-document.json'));
  // region.ts reads `region`; the rest must still be the documented fields.
  t.deepEqual(compareShapes(simShape, real, ['region']), []);
});
