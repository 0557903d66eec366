/**
 * aliyun, pure parts: the RPC signature held to the three published vectors (provider-apis.md §9),
 * the extractor and the malformed-body check as tables, the recorded vendor sample through the extractor.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { ecsTargets, malformedPage } from './extract.js';
import { percentEncode, rpcSignature, rpcTimestamp, stringToSign } from './sign.js';

const DESCRIBE_REGIONS = {
  AccessKeyId: 'testid',
  Action: 'DescribeRegions',
  Format: 'XML',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  SignatureVersion: '1.0',
  Timestamp: '2016-02-23T12:46:24Z',
  Version: '2014-05-26',
};

test('RPC signature: the ECS DescribeRegions vector, StringToSign and Signature', (t) => {
  t.is(
    stringToSign('GET', DESCRIBE_REGIONS),
    'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
  );
  t.is(rpcSignature('GET', DESCRIBE_REGIONS, 'testsecret'), 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  // `Signature` itself is never signed.
  t.is(rpcSignature('GET', { ...DESCRIBE_REGIONS, Signature: 'x' }, 'testsecret'), 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
});

test('RPC signature: the KMS CreateKey vector (no nonce)', (t) => {
  const params = {
    AccessKeyId: 'testid',
    Action: 'CreateKey',
    Format: 'json',
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    Timestamp: '2016-03-28T03:13:08Z',
    Version: '2016-01-20',
  };
  t.is(rpcSignature('GET', params, 'testsecret'), '41wk2SSX1GJh7fwnc5eqOfiJPFg=');
});

test('RPC signature: the SMS SendSms vector (UTF-8 and JSON values)', (t) => {
  const params = {
    AccessKeyId: 'testId',
    Action: 'SendSms',
    Format: 'XML',
    OutId: '123',
    PhoneNumbers: '15300000001',
    RegionId: 'cn-hangzhou',
    SignName: '阿里云短信测试专用',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466',
    SignatureVersion: '1.0',
    TemplateCode: 'SMS_71390007',
    TemplateParam: '{"customer":"test"}',
    Timestamp: '2017-07-12T02:42:19Z',
    Version: '2017-05-25',
  };
  t.is(rpcSignature('GET', params, 'testSecret'), 'zJDF+Lrzhj/ThnlvIToysFRq6t4=');
});

test("percentEncode: space %20, * %2A, ~ literal, !'() escaped", (t) => {
  t.is(percentEncode("a b*c~d!e'f(g)"), 'a%20b%2Ac~d%21e%27f%28g%29');
  t.is(rpcTimestamp(Date.UTC(2016, 1, 23, 12, 46, 24, 999)), '2016-02-23T12:46:24Z');
});

const cases: Array<{ name: string; instances: Parameters<typeof ecsTargets>[0]; type: 'private_v4' | 'public_v4'; expect: ReturnType<typeof ecsTargets> }> = [
  {
    name: 'vpc: every VpcAttributes.PrivateIpAddress, with id, name, zone',
    instances: [
      {
        InstanceId: 'i-1',
        InstanceName: 'a',
        ZoneId: 'cn-hangzhou-g',
        InstanceNetworkType: 'vpc',
        VpcAttributes: { PrivateIpAddress: { IpAddress: ['172.16.0.1', '172.16.0.2'] } },
        InnerIpAddress: { IpAddress: ['10.0.0.9'] },
      },
    ],
    type: 'private_v4',
    expect: {
      targets: [
        { address: '172.16.0.1', id: 'i-1', name: 'a', zone: 'cn-hangzhou-g' },
        { address: '172.16.0.2', id: 'i-1', name: 'a', zone: 'cn-hangzhou-g' },
      ],
      skipped: [],
    },
  },
  {
    name: 'classic: every InnerIpAddress',
    instances: [
      {
        InstanceId: 'i-2',
        InstanceNetworkType: 'classic',
        InnerIpAddress: { IpAddress: ['10.0.0.2'] },
        VpcAttributes: { PrivateIpAddress: { IpAddress: [] } },
      },
    ],
    type: 'private_v4',
    expect: { targets: [{ address: '10.0.0.2', id: 'i-2' }], skipped: [] },
  },
  {
    name: 'public_v4: PublicIpAddress, else the EIP; none is skipped, never replaced by the private one',
    instances: [
      { InstanceId: 'i-3', InstanceNetworkType: 'vpc', PublicIpAddress: { IpAddress: ['203.0.113.3'] } },
      { InstanceId: 'i-4', InstanceNetworkType: 'vpc', PublicIpAddress: { IpAddress: [] }, EipAddress: { IpAddress: '203.0.113.4' } },
      {
        InstanceId: 'i-5',
        InstanceNetworkType: 'vpc',
        PublicIpAddress: { IpAddress: [] },
        EipAddress: { IpAddress: '' },
        VpcAttributes: { PrivateIpAddress: { IpAddress: ['172.16.0.5'] } },
      },
    ],
    type: 'public_v4',
    expect: {
      targets: [
        { address: '203.0.113.3', id: 'i-3' },
        { address: '203.0.113.4', id: 'i-4' },
      ],
      skipped: ['i-5'],
    },
  },
];
for (const c of cases) test(`ecsTargets: ${c.name}`, (t) => t.deepEqual(ecsTargets(c.instances, c.type), c.expect));

const malformedCases: Array<[unknown, string | undefined]> = [
  [{ TotalCount: 0, Instances: { Instance: [] } }, undefined],
  [[], 'the response is not a JSON object'],
  [{ TotalCount: 1 }, 'Instances.Instance is not an array'],
  [{ Instances: { Instance: [] } }, 'TotalCount is not a number'],
  [{ TotalCount: 1, Instances: { Instance: [7] } }, 'Instances.Instance[0] is not an object'],
];
for (const [body, expect] of malformedCases) test(`malformedPage(${JSON.stringify(body)})`, (t) => t.is(malformedPage(body), expect));

test('the recorded vendor sample goes through the extractor', (t) => {
  // A real answer (fixtures/README.md): one stopped vpc instance, a private address, no public one, no EIP.
  const sample = JSON.parse(readFileSync(new URL('./fixtures/describe-instances.json', import.meta.url), 'utf8'));
  t.is(malformedPage(sample), undefined);
  t.deepEqual(ecsTargets(sample.Instances.Instance, 'private_v4'), {
    targets: [{ address: '172.16.0.14', id: 'i-j6cftv4731g8gu8jrmmh', name: 'iZj6cftv4731g8gu8jrmmhZ', zone: 'cn-hongkong-b' }],
    skipped: [],
  });
  t.deepEqual(ecsTargets(sample.Instances.Instance, 'public_v4'), { targets: [], skipped: ['i-j6cftv4731g8gu8jrmmh'] });
});
