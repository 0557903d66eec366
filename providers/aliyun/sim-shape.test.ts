/**
 * The simulator cannot drift from the real API: what it serves has the same keys and value types
 * as the recorded vendor samples in fixtures/ (README there says where they come from), along
 * every path the extractor reads, for a page and for an error.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import test from 'ava';
import type { Fleet } from '../../src/sim/fleet.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { percentEncode, rpcSignature, rpcTimestamp } from './sign.js';
import aliyunSim, { API_NAME } from './sim.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const at = (value: unknown, path: string) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);

const KEY = 'LTAIshape000000000001';
const SECRET = 'shape-secret-1';
const demo: Fleet = {
  credentials: { aliyun: { access_key_id: KEY, access_key_secret: SECRET } },
  instances: [
    {
      id: 'i-shape0001',
      cloud: 'aliyun',
      name: 'a',
      region: 'cn-hangzhou',
      zone: 'cn-hangzhou-g',
      tags: { consul: 'server' },
      private_ipv4: '10.0.0.1',
      public_ipv4: '203.0.113.1',
    },
    { id: 'i-shape0002', cloud: 'aliyun', name: 'b', region: 'cn-hangzhou', private_ipv4: '10.0.0.2' },
  ],
  services: [],
};

async function call(url: string): Promise<{ status: number; body: unknown }> {
  const params: Record<string, string> = {
    Action: 'DescribeInstances',
    Version: '2014-05-26',
    Format: 'JSON',
    AccessKeyId: KEY,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    Timestamp: rpcTimestamp(Date.now()),
    RegionId: 'cn-hangzhou',
  };
  params.Signature = rpcSignature('GET', params, SECRET);
  const query = Object.entries(params)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
  const response = await fetch(`${url}/?${query}`);
  return { status: response.status, body: await response.json() };
}

const PAGE_PATHS = ['RequestId', 'TotalCount', 'PageNumber', 'PageSize', 'Instances', 'Instances.Instance'];
const INSTANCE_PATHS = [
  'InstanceId',
  'InstanceName',
  'ZoneId',
  'Status',
  'InstanceNetworkType',
  'InnerIpAddress.IpAddress',
  'PublicIpAddress.IpAddress',
  'EipAddress.IpAddress',
  'VpcAttributes.PrivateIpAddress.IpAddress',
  'Tags.Tag',
  'NetworkInterfaces.NetworkInterface',
];

test("a DescribeInstances page has the recorded sample's keys and value types", async (t) => {
  const sim = await startTestSim(t, demo, [aliyunSim]);
  const { status, body: served } = await call(sim.httpUrl);
  t.is(status, 200);
  const recorded = fixture('describe-instances.json');
  t.deepEqual(Object.keys(served as object).sort(), Object.keys(recorded).sort());
  for (const path of PAGE_PATHS) t.is(kind(at(served, path)), kind(at(recorded, path)), path);
  const [tagged, untagged] = at(served, 'Instances.Instance') as Record<string, unknown>[];
  const r = (at(recorded, 'Instances.Instance') as Record<string, unknown>[])[0] as Record<string, unknown>;
  for (const path of INSTANCE_PATHS) t.is(kind(at(tagged, path)), kind(at(r, path)), path);
  // The same key set as the recorded (tagged) instance: the simulator neither lacks nor invents one.
  t.deepEqual(Object.keys(tagged as object).sort(), Object.keys(r).sort());
  for (const key of Object.keys(r)) t.is(kind(tagged?.[key]), kind(r[key]), key);
  // The recording's untagged instances carry no `Tags` key at all; neither do the simulator's.
  t.false('Tags' in (untagged as object));
});

test("a throttled call has the recorded error's shape and status", async (t) => {
  const sim = await startTestSim(t, demo, [aliyunSim]);
  sim.setFaults(API_NAME, { error: 'throttle' });
  const { status, body } = await call(sim.httpUrl);
  const recorded = fixture('error-throttling.json');
  t.is(status, 400);
  t.deepEqual(Object.keys(body as object).sort(), Object.keys(recorded).sort());
  t.is(at(body, 'Code'), recorded.Code);
  t.is(at(body, 'Message'), recorded.Message);
});
