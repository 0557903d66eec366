/**
 * `provider=aliyun`: running ECS instances with a tag, through `DescribeInstances` (2014-05-26),
 * signed with the RPC signature (HMAC-SHA1). Plain HTTP through the shared client; no SDK.
 */
import { defineProvider } from '../../src/kit/index.js';

/** Options of {@link createAliyunProvider}. */
export interface AliyunProviderOptions {
  /** The clock that stamps `Timestamp` (tests skew it). @default Date.now */
  now?: () => number;
  /** Draws `SignatureNonce` (tests replay one). @default crypto.randomUUID */
  nonce?: () => string;
}

/** The provider with its clock and nonce source injected. */
export function createAliyunProvider(options: AliyunProviderOptions = {}) {
  return defineProvider({
    name: 'aliyun',
    summary: 'Alibaba Cloud ECS: running instances with a tag, every page of DescribeInstances.',
    args: {
      region: {
        type: 'string',
        required: true,
        env: ['ALIBABA_CLOUD_REGION_ID', 'ALICLOUD_REGION'],
        help: 'The Aliyun region, e.g. `cn-hangzhou` (`RegionId`).',
      },
      tag_key: { type: 'string', help: 'The tag key to filter on (`Tag.1.Key`, with tag_value).' },
      tag_value: { type: 'string', help: 'The tag value to filter on (`Tag.1.Value`, with tag_key).' },
      access_key_id: {
        type: 'string',
        required: true,
        env: ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALICLOUD_ACCESS_KEY'],
        help: 'The Aliyun access key to use.',
      },
      access_key_secret: {
        type: 'string',
        required: true,
        secret: true,
        env: ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALICLOUD_SECRET_KEY'],
        help: 'The Aliyun access key secret to use.',
      },
      security_token: {
        type: 'string',
        secret: true,
        env: ['ALIBABA_CLOUD_SECURITY_TOKEN', 'ALICLOUD_SECURITY_TOKEN'],
        help: 'The STS token of temporary credentials (`SecurityToken`). Not in go-discover.',
      },
      addr_type: {
        type: 'enum',
        values: ['private_v4', 'public_v4'],
        default: 'private_v4',
        help:
          '`private_v4` (as go-discover: every `InnerIpAddress` of a classic instance, every `VpcAttributes.PrivateIpAddress` of a vpc one) ' +
          'or `public_v4` (every `PublicIpAddress`, else the EIP). Not in go-discover.',
      },
      endpoint: {
        type: 'url',
        env: ['ECS_ENDPOINT'],
        help: 'The ECS API endpoint; `ECS_ENDPOINT` as go-discover. Default: the regional `https://ecs.<region>.aliyuncs.com`.',
      },
    },
    rules: [{ together: ['tag_key', 'tag_value'] }],
    notes: [
      'Plain HTTPS through the shared client, signed here with the RPC signature v1.0 (sign.ts, held to the published vectors), ' +
        'rather than `@alicloud/ecs20140526`: that SDK (Tea runtime) ignores the proxy setting for API calls and brings its own HTTP ' +
        'stack, and `@alicloud/pop-core` adds httpx and xml2js for one GET. The signature is 20 lines.',
      'Asks for `Status=Running` and the tag, and reads every page (`PageNumber`/`PageSize` 100, the maximum, until `TotalCount`; after page 1, up to 4 pages at a time): ' +
        "go-discover sends no `PageSize`, so it reads only the API's default 10 instances.",
      'A refused signature (`SignatureDoesNotMatch`), an unknown key (`InvalidAccessKeyId.NotFound`), a refused timestamp ' +
        '(`InvalidTimeStamp.Expired`: the clock is off by more than 15 minutes) or STS token fail at once and name the credential refused. ' +
        '`Throttling` / `Throttling.User` (HTTP 400), 500 and 503 are retried with backoff. Each attempt has a fresh `SignatureNonce`.',
      'An instance without an address of `addr_type` is skipped and counted in the `-v` log. Needs the RAM permission `ecs:DescribeInstances`.',
    ],
    examples: [
      'provider=aliyun region=cn-hangzhou tag_key=consul tag_value=server access_key_id=LTAI... access_key_secret=...',
      'provider=aliyun region=eu-central-1 tag_key=role tag_value=nomad-server addr_type=public_v4',
    ],
    async discover(args, ctx) {
      const { describeAll } = await import('./client.js');
      return describeAll(args, ctx, { now: options.now ?? Date.now, nonce: options.nonce });
    },
  });
}

export default createAliyunProvider();
