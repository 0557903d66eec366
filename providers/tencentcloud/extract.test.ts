/**
 * tencentcloud, pure parts: the TC3-HMAC-SHA256 signer held to Tencent's published worked example
 * (provider-apis.md §8, vector A), the extractor and the malformed-body check as tables, the
 * recorded vendor sample through the extractor.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { cvmTargets, describeBody, malformedPage } from './extract.js';
import { parseTc3Authorization, tc3Date, tc3Sign } from './sign.js';

const VECTOR_A = {
  secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
  secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
  timestamp: 1551113065,
  service: 'cvm',
  method: 'POST',
  headers: { 'Content-Type': 'application/json; charset=utf-8', Host: 'cvm.tencentcloudapi.com' },
  payload: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
};

test('TC3 signer: every intermediate of the published worked example', (t) => {
  const s = tc3Sign(VECTOR_A);
  t.is(
    s.canonicalRequest,
    'POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064',
  );
  t.is(s.stringToSign, 'TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031');
  t.is(s.signingKey.toString('hex'), 'ac658d5dde49e9bfdd14e04e062f66b05d9f637d44b8a8d845327d4a77f666b1');
  t.is(s.signature, '72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168');
  t.is(
    s.authorization,
    'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
  );
  // The verifier's parser reads back what the signer wrote.
  t.deepEqual(parseTc3Authorization(s.authorization), {
    secretId: VECTOR_A.secretId,
    date: '2019-02-25',
    service: 'cvm',
    signedHeaders: ['content-type', 'host'],
    signature: s.signature,
  });
});

test('TC3: the date is the UTC day (2019-02-26 in UTC+8 is still 2019-02-25)', (t) => {
  t.is(tc3Date(1551113065), '2019-02-25');
  t.is(tc3Date(0), '1970-01-01');
});

test('TC3: any change of key, body or host changes the signature', (t) => {
  const base = tc3Sign(VECTOR_A).signature;
  t.not(tc3Sign({ ...VECTOR_A, secretKey: 'x' }).signature, base);
  t.not(tc3Sign({ ...VECTOR_A, payload: `${VECTOR_A.payload} ` }).signature, base);
  t.not(tc3Sign({ ...VECTOR_A, headers: { ...VECTOR_A.headers, Host: 'cvm.ap-guangzhou.tencentcloudapi.com' } }).signature, base);
});

test('parseTc3Authorization refuses other schemes', (t) => {
  t.is(parseTc3Authorization('Bearer abc'), undefined);
  t.is(parseTc3Authorization('TC3-HMAC-SHA256 Credential=a/2019-02-25/cvm/tc3_request, SignedHeaders=host, Signature=zz'), undefined);
});

const cases: Array<{ name: string; instances: Parameters<typeof cvmTargets>[0]; type: 'private_v4' | 'public_v4'; expect: ReturnType<typeof cvmTargets> }> = [
  {
    name: 'the first private address, with id, name and zone',
    instances: [{ InstanceId: 'ins-1', InstanceName: 'a', PrivateIpAddresses: ['10.0.0.1', '10.0.0.2'], Placement: { Zone: 'ap-guangzhou-3' } }],
    type: 'private_v4',
    expect: { targets: [{ address: '10.0.0.1', id: 'ins-1', name: 'a', zone: 'ap-guangzhou-3' }], skipped: [] },
  },
  {
    name: 'public_v4: PublicIpAddresses null is skipped, never replaced by the private one',
    instances: [
      { InstanceId: 'ins-1', PrivateIpAddresses: ['10.0.0.1'], PublicIpAddresses: null },
      { InstanceId: 'ins-2', PrivateIpAddresses: ['10.0.0.2'], PublicIpAddresses: ['203.0.113.2'] },
    ],
    type: 'public_v4',
    expect: { targets: [{ address: '203.0.113.2', id: 'ins-2' }], skipped: ['ins-1'] },
  },
  {
    name: 'an empty private list is skipped',
    instances: [{ InstanceId: 'ins-3', PrivateIpAddresses: [] }],
    type: 'private_v4',
    expect: { targets: [], skipped: ['ins-3'] },
  },
];
for (const c of cases) test(`cvmTargets: ${c.name}`, (t) => t.deepEqual(cvmTargets(c.instances, c.type), c.expect));

const malformedCases: Array<[unknown, string | undefined]> = [
  [{ Response: { TotalCount: 0, InstanceSet: [], RequestId: 'r' } }, undefined],
  [{ Response: { Error: { Code: 'X', Message: 'y' }, RequestId: 'r' } }, undefined],
  [[], 'the response is not a JSON object'],
  [{}, 'the response has no Response object'],
  [{ Response: { TotalCount: 1 } }, 'Response.InstanceSet is not an array'],
  [{ Response: { InstanceSet: [] } }, 'Response.TotalCount is not a number'],
  [{ Response: { TotalCount: 1, InstanceSet: [null] } }, 'InstanceSet[0] is not an object'],
];
for (const [body, expect] of malformedCases) test(`malformedPage(${JSON.stringify(body)})`, (t) => t.is(malformedPage(body), expect));

test('describeBody: the filters go-discover sends, then Offset and Limit', (t) => {
  t.is(
    describeBody({ key: 'consul', value: 'server' }, 200, 100),
    '{"Filters":[{"Name":"instance-state","Values":["RUNNING"]},{"Name":"tag:consul","Values":["server"]}],"Offset":200,"Limit":100}',
  );
  t.is(describeBody(undefined, 0, 100), '{"Filters":[{"Name":"instance-state","Values":["RUNNING"]}],"Offset":0,"Limit":100}');
});

test('the recorded vendor sample goes through the extractor', (t) => {
  const sample = JSON.parse(readFileSync(new URL('./fixtures/describe-instances.json', import.meta.url), 'utf8'));
  t.is(malformedPage(sample), undefined);
  t.deepEqual(cvmTargets(sample.Response.InstanceSet, 'private_v4').targets, [
    { address: '172.16.32.78', id: 'ins-xlsyru2j', name: 'myInstance', zone: 'ap-guangzhou-3' },
  ]);
  t.deepEqual(
    cvmTargets(sample.Response.InstanceSet, 'public_v4').targets.map((x) => x.address),
    ['123.207.11.190'],
  );
  t.is(malformedPage(JSON.parse(readFileSync(new URL('./fixtures/error-signature.json', import.meta.url), 'utf8'))), undefined);
});
