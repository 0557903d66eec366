/**
 * `provider=tencentcloud`: running CVM instances with a tag, through `DescribeInstances`
 * (2017-03-12), signed with TC3-HMAC-SHA256. Plain HTTP through the shared client; no SDK.
 */
import { defineProvider } from '../../src/kit/index.js';

/** Options of {@link createTencentcloudProvider}. */
export interface TencentcloudProviderOptions {
  /** The clock that stamps `X-TC-Timestamp` (tests skew it). @default Date.now */
  now?: () => number;
}

/** The provider with its clock injected. */
export function createTencentcloudProvider(options: TencentcloudProviderOptions = {}) {
  const now = options.now ?? Date.now;
  return defineProvider({
    name: 'tencentcloud',
    summary: 'Tencent Cloud CVM: running instances with a tag, every page of DescribeInstances.',
    args: {
      region: {
        type: 'string',
        required: true,
        env: ['TENCENTCLOUD_REGION'],
        help: 'The TencentCloud region, e.g. `ap-guangzhou` (sent as `X-TC-Region`).',
      },
      tag_key: { type: 'string', help: 'The tag key to filter on (with tag_value): the `tag:<key>` filter.' },
      tag_value: { type: 'string', help: 'The tag value to filter on (with tag_key).' },
      address_type: {
        type: 'enum',
        values: ['private_v4', 'public_v4'],
        default: 'private_v4',
        help: '`private_v4` (the first of `PrivateIpAddresses`) or `public_v4` (the first of `PublicIpAddresses`).',
      },
      access_key_id: {
        type: 'string',
        required: true,
        env: ['TENCENTCLOUD_SECRET_ID'],
        help: 'The secret id of TencentCloud (`AKID...`).',
      },
      access_key_secret: {
        type: 'string',
        required: true,
        secret: true,
        env: ['TENCENTCLOUD_SECRET_KEY'],
        help: 'The secret key of TencentCloud.',
      },
      session_token: {
        type: 'string',
        secret: true,
        env: ['TENCENTCLOUD_SESSION_TOKEN', 'TENCENTCLOUD_SECURITY_TOKEN'],
        help: 'The token of temporary (STS) credentials, sent as `X-TC-Token`. Not in go-discover.',
      },
      endpoint: {
        type: 'url',
        default: 'https://cvm.tencentcloudapi.com',
        help: 'The CVM API endpoint (a regional `https://cvm.<region>.tencentcloudapi.com`, or the simulator). Not in go-discover.',
      },
    },
    rules: [{ together: ['tag_key', 'tag_value'] }],
    notes: [
      'Plain HTTPS through the shared client, signed here with TC3-HMAC-SHA256 (sign.ts, held to the published worked example), ' +
        'rather than `tencentcloud-sdk-nodejs-cvm`: the SDK pulls in its own HTTP stack (node-fetch, its own proxy handling) for one POST, ' +
        "and the signature is 30 lines. So proxies, timeouts and the loopback guard are the engine's own.",
      'Filters `instance-state=RUNNING` and `tag:<tag_key>=<tag_value>`, as go-discover. Every page is read (`Offset`/`Limit` 100, ' +
        "the API's maximum, until `TotalCount`; after page 1, up to 4 pages at a time): go-discover reads only the first page, the API's default 20 instances.",
      'Errors come in HTTP 200 bodies (`Response.Error`). A refused signature (`AuthFailure.SignatureFailure`), an unknown secret id ' +
        '(`AuthFailure.SecretIdNotFound`), an expired timestamp (`AuthFailure.SignatureExpire`, clock skew over 5 minutes) or an ' +
        'unsupported region fail at once, naming the credential refused. `RequestLimitExceeded` is throttling and `InternalError` ' +
        'transient: both are retried.',
      'An instance with no address of `address_type` is skipped and counted in the `-v` log. Needs the CAM permission `cvm:DescribeInstances`.',
    ],
    examples: [
      'provider=tencentcloud region=ap-guangzhou tag_key=consul tag_value=server access_key_id=AKID... access_key_secret=...',
      'provider=tencentcloud region=ap-singapore tag_key=role tag_value=nomad-server address_type=public_v4',
    ],
    async discover(args, ctx) {
      const { describeAll } = await import('./client.js');
      return describeAll(args, ctx, now);
    },
  });
}

export default createTencentcloudProvider();
