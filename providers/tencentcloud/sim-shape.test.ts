/**
 * The simulator cannot drift from the real API: what it serves has the same keys and value types
 * as the recorded vendor samples in fixtures/ (README there says where they come from), along
 * every path the extractor reads, for a page and for an error.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import type { Fleet } from '../../src/sim/fleet.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { tc3Sign } from './sign.js';
import tencentcloudSim from './sim.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const at = (value: unknown, path: string) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);

const ID = 'AKIDshape000000000000000000000000001';
const SECRET = 'shape-secret-1';
const demo: Fleet = {
  credentials: { tencentcloud: { secret_id: ID, secret_key: SECRET } },
  instances: [
    {
      id: 'ins-shape001',
      cloud: 'tencentcloud',
      name: 'a',
      region: 'ap-guangzhou',
      zone: 'ap-guangzhou-2',
      tags: { consul: 'server' },
      private_ipv4: '10.0.0.1',
      public_ipv4: '203.0.113.1',
    },
  ],
  services: [],
};

async function call(url: string, secret: string): Promise<unknown> {
  const body = '{"Filters":[{"Name":"tag:consul","Values":["server"]}],"Offset":0,"Limit":100}';
  const host = new URL(url).host;
  const timestamp = Math.floor(Date.now() / 1000);
  const signed = { 'content-type': 'application/json; charset=utf-8', host };
  const { authorization } = tc3Sign({ secretId: ID, secretKey: secret, timestamp, service: 'cvm', method: 'POST', headers: signed, payload: body });
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: {
      ...signed,
      authorization,
      'x-tc-action': 'DescribeInstances',
      'x-tc-version': '2017-03-12',
      'x-tc-timestamp': String(timestamp),
      'x-tc-region': 'ap-guangzhou',
    },
  });
  return response.json();
}

const PAGE_PATHS = ['Response.TotalCount', 'Response.InstanceSet', 'Response.RequestId'];
const INSTANCE_PATHS = ['InstanceId', 'InstanceName', 'InstanceState', 'PrivateIpAddresses', 'PublicIpAddresses', 'Placement', 'Placement.Zone', 'Tags'];

test("a DescribeInstances page has the recorded sample's shape", async (t) => {
  const sim = await startTestSim(t, demo, [tencentcloudSim]);
  const served = await call(sim.httpUrl, SECRET);
  const recorded = fixture('describe-instances.json');
  for (const path of PAGE_PATHS) t.is(kind(at(served, path)), kind(at(recorded, path)), path);
  const s = (at(served, 'Response.InstanceSet') as unknown[])[0];
  const r = (at(recorded, 'Response.InstanceSet') as unknown[])[0];
  for (const path of INSTANCE_PATHS) t.is(kind(at(s, path)), kind(at(r, path)), path);
  t.is(kind((at(s, 'PrivateIpAddresses') as unknown[])[0]), 'string');
  t.deepEqual(Object.keys((at(s, 'Tags') as object[])[0] as object).sort(), Object.keys((at(r, 'Tags') as object[])[0] as object).sort());
  // The same key set as the recorded instance: the simulator neither lacks nor invents one.
  t.deepEqual(Object.keys(s as object).sort(), Object.keys(r as object).sort());
});

test("a refused signature has the recorded error's shape, in an HTTP 200 body", async (t) => {
  const sim = await startTestSim(t, demo, [tencentcloudSim]);
  const served = await call(sim.httpUrl, 'wrong-secret');
  const recorded = fixture('error-signature.json');
  t.deepEqual(Object.keys(at(served, 'Response') as object).sort(), Object.keys(at(recorded, 'Response') as object).sort());
  t.is(at(served, 'Response.Error.Code'), at(recorded, 'Response.Error.Code'));
  t.is(kind(at(served, 'Response.Error.Message')), 'string');
});
