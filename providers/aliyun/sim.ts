/**
 * Alibaba Cloud ECS `DescribeInstances` (2014-05-26) as the simulator serves it (provider-apis.md §9):
 * `GET /?Action=DescribeInstances&...` with the RPC signature verified against the fleet's keys, the
 * `Timestamp` checked (15 minutes) and a replayed `SignatureNonce` refused, `PageNumber`/`PageSize`
 * paging (default 10, max 100, or the fleet's smaller `page_size['aliyun-ecs']`) and `MaxResults`/`NextToken`,
 * and errors as the real API sends them (JSON `Code`/`Message` with a 4xx/5xx status).
 */
import {
  fleetCredentials,
  formatConfig,
  pasteExample,
  type FleetInstance,
  type SimApi,
  type SimContext,
  type SimErrorKind,
  type SimModule,
  type SimRequest,
  type SimResponse,
  visibleInstances,
} from '../../src/kit/index.js';
import { aliyunFleet } from './sim-fleet.js';
import { rpcSignature } from './sign.js';

export const API_NAME = 'aliyun-ecs';
const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;
/** Allowed clock skew of `Timestamp` (Alibaba: 15 minutes). */
export const MAX_SKEW_MS = 15 * 60_000;
const REGIONS = [
  'cn-qingdao',
  'cn-beijing',
  'cn-zhangjiakou',
  'cn-huhehaote',
  'cn-wulanchabu',
  'cn-hangzhou',
  'cn-shanghai',
  'cn-nanjing',
  'cn-fuzhou',
  'cn-shenzhen',
  'cn-heyuan',
  'cn-guangzhou',
  'cn-chengdu',
  'cn-hongkong',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-3',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'us-east-1',
  'us-west-1',
  'eu-west-1',
  'eu-central-1',
  'me-east-1',
  'me-central-1',
];

interface AliyunCredentials {
  access_key_id?: string;
  access_key_secret?: string;
  security_token?: string;
}

let counter = 0;
const requestId = () => `473469C7-AA6F-4DC5-B3DB-${(++counter).toString(16).toUpperCase().padStart(12, '0')}`;

/** Alibaba's JSON error body. */
export function aliyunError(status: number, code: string, message: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json;charset=utf-8' },
    body: JSON.stringify({
      RequestId: requestId(),
      HostId: 'ecs.aliyuncs.com',
      Code: code,
      Message: message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${code}&product=Ecs`,
    }),
  };
}

const ERRORS: Record<SimErrorKind, [number, string, string]> = {
  throttle: [400, 'Throttling', 'Request was denied due to request throttling.'],
  server: [500, 'InternalError', 'The request processing has failed due to some unknown error, exception or failure.'],
  unavailable: [503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.'],
  auth: [400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.'],
};

/** Nonces seen in the last 15 minutes (the window a replay could pass the timestamp check in). */
const nonces = new Map<string, number>();

/** The credential checks of the real API; undefined when the request passes. */
export function authProblem(params: Record<string, string>, creds: AliyunCredentials | undefined, nowMs = Date.now()): SimResponse | undefined {
  for (const name of ['AccessKeyId', 'Signature', 'SignatureNonce', 'Timestamp', 'SignatureMethod', 'SignatureVersion']) {
    if (!params[name]) return aliyunError(400, `Missing${name}`, `${name} is mandatory for this action.`);
  }
  if (params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0') {
    return aliyunError(400, 'InvalidParameter.SignatureMethod', 'The specified signature method or version is not supported.');
  }
  if (!creds?.access_key_id || params.AccessKeyId !== creds.access_key_id) {
    return aliyunError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  }
  const stamp = Date.parse(params.Timestamp as string);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(params.Timestamp as string) || Number.isNaN(stamp)) {
    return aliyunError(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
  }
  if (Math.abs(nowMs - stamp) > MAX_SKEW_MS) return aliyunError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
  const { Signature, ...signed } = params;
  if (rpcSignature('GET', signed, creds.access_key_secret ?? '') !== Signature) {
    return aliyunError(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
  }
  for (const [nonce, at] of nonces) if (nowMs - at > MAX_SKEW_MS) nonces.delete(nonce);
  if (nonces.has(params.SignatureNonce as string)) return aliyunError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
  nonces.set(params.SignatureNonce as string, nowMs);
  if (creds.security_token && params.SecurityToken !== creds.security_token) {
    return aliyunError(400, 'InvalidSecurityToken.MismatchWithAccessKey', 'The security token you provided does not match the access key.');
  }
  return undefined;
}

/**
 * One instance with the keys, in the order, of the recorded answer in fixtures/describe-instances.json
 * (sim-shape.test.ts holds the two to the same key set). `Tags` is left out of an untagged instance,
 * as the recording does.
 */
function ecsInstance(i: FleetInstance): Record<string, unknown> {
  const classic = i.network_type === 'classic';
  const state = i.state ?? 'running';
  const status = state.charAt(0).toUpperCase() + state.slice(1);
  const tags = Object.entries(i.tags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
  return {
    ResourceGroupId: '',
    Memory: 8192,
    InstanceChargeType: 'PostPaid',
    Cpu: 2,
    OSName: 'Ubuntu  24.04 64位',
    InstanceNetworkType: classic ? 'classic' : 'vpc',
    InnerIpAddress: { IpAddress: classic && i.private_ipv4 ? [i.private_ipv4] : [] },
    ExpiredTime: '2099-12-31T15:59Z',
    ImageId: 'ubuntu_24_04_x64_20G_alibase_20260101.vhd',
    EipAddress: { AllocationId: '', IpAddress: '', InternetChargeType: '' },
    ImageOptions: {},
    HostName: i.name ?? i.id,
    ...(tags.length > 0 ? { Tags: { Tag: tags } } : {}),
    VlanId: '',
    Status: status,
    HibernationOptions: { Configured: false },
    MetadataOptions: { HttpTokens: '', HttpEndpoint: '' },
    InstanceId: i.id,
    StoppedMode: status === 'Stopped' ? 'KeepCharging' : 'Not-applicable',
    CpuOptions: { ThreadsPerCore: 2, Numa: 'ON', CoreCount: 1 },
    StartTime: '2026-01-01T00:01Z',
    DeletionProtection: false,
    SecurityGroupIds: { SecurityGroupId: ['sg-sim0001'] },
    VpcAttributes: classic
      ? { PrivateIpAddress: { IpAddress: [] }, VpcId: '', VSwitchId: '', NatIpAddress: '' }
      : { PrivateIpAddress: { IpAddress: i.private_ipv4 ? [i.private_ipv4] : [] }, VpcId: 'vpc-sim0001', VSwitchId: 'vsw-sim0001', NatIpAddress: '' },
    InternetChargeType: 'PayByTraffic',
    InstanceName: i.name ?? i.id,
    DeploymentSetId: '',
    InternetMaxBandwidthOut: i.public_ipv4 ? 5 : 0,
    SerialNumber: `${i.id}-serial`,
    OSType: 'linux',
    CreationTime: '2026-01-01T00:00Z',
    AutoReleaseTime: '',
    Description: '',
    InstanceTypeFamily: 'ecs.g7',
    DedicatedInstanceAttribute: { Tenancy: '', Affinity: '' },
    PublicIpAddress: { IpAddress: i.public_ipv4 ? [i.public_ipv4] : [] },
    GPUSpec: '',
    NetworkInterfaces: {
      NetworkInterface: classic
        ? []
        : [
            {
              Type: 'Primary',
              PrimaryIpAddress: i.private_ipv4 ?? '',
              MacAddress: '00:16:3e:00:00:01',
              NetworkInterfaceId: `eni-${i.id.slice(2)}`,
              PrivateIpSets: { PrivateIpSet: i.private_ipv4 ? [{ PrivateIpAddress: i.private_ipv4, Primary: true }] : [] },
            },
          ],
    },
    SpotPriceLimit: 0,
    DeviceAvailable: true,
    SaleCycle: '',
    InstanceType: 'ecs.g7.large',
    SpotStrategy: 'NoSpot',
    OSNameEn: 'Ubuntu  24.04 64 bit',
    IoOptimized: true,
    ZoneId: i.zone ?? `${i.region}-a`,
    ClusterId: '',
    EcsCapacityReservationAttr: { CapacityReservationPreference: '', CapacityReservationId: '' },
    DedicatedHostAttribute: { DedicatedHostId: '', DedicatedHostName: '', DedicatedHostClusterId: '' },
    GPUAmount: 0,
    OperationLocks: { LockReason: [] },
    InternetMaxBandwidthIn: -1,
    Recyclable: false,
    RegionId: i.region,
    CreditSpecification: '',
  };
}

function handle(req: SimRequest, ctx: SimContext): SimResponse {
  const params: Record<string, string> = {};
  for (const [k, v] of req.url.searchParams) params[k] = v;
  if (req.method === 'POST' && req.body.length > 0) for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params[k] = v;
  const denied = authProblem(params, fleetCredentials<AliyunCredentials>(ctx, 'aliyun'));
  if (denied) return denied;
  if (params.Action !== 'DescribeInstances') return aliyunError(400, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method.`);
  const region = params.RegionId;
  if (!region) return aliyunError(400, 'MissingRegionId', 'RegionId is mandatory for this action.');
  const instances = visibleInstances(ctx, 'aliyun');
  if (!REGIONS.includes(region) && !instances.some((i) => i.region === region)) {
    return aliyunError(404, 'InvalidRegionId.NotFound', 'The specified RegionId does not exist.');
  }
  const tags: Array<[string, string | undefined]> = [];
  for (let n = 1; n <= 20; n++) {
    const key = params[`Tag.${n}.Key`];
    if (key !== undefined) tags.push([key, params[`Tag.${n}.Value`]]);
  }
  const status = params.Status;
  const matching = instances.filter(
    (i) =>
      i.region === region &&
      (status === undefined || (i.state ?? 'running').toLowerCase() === status.toLowerCase()) &&
      tags.every(([k, v]) => k in (i.tags ?? {}) && (v === undefined || i.tags?.[k] === v)),
  );
  const cap = Math.min(ctx.fleet.page_size?.[API_NAME] ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
  const tokenStyle = params.MaxResults !== undefined || params.NextToken !== undefined;
  const sizeParam = tokenStyle ? params.MaxResults : params.PageSize;
  const size = sizeParam === undefined ? DEFAULT_PAGE_SIZE : Number(sizeParam);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    return aliyunError(400, 'InvalidParameter', `The specified parameter ${tokenStyle ? 'MaxResults' : 'PageSize'} is not valid.`);
  }
  const served = Math.min(size, cap);
  const ok = (body: Record<string, unknown>): SimResponse => ({
    status: 200,
    headers: { 'content-type': 'application/json;charset=utf-8' },
    body: JSON.stringify(body),
  });
  if (tokenStyle) {
    const start = params.NextToken ? Number.parseInt(Buffer.from(params.NextToken, 'base64url').toString(), 10) : 0;
    if (!Number.isInteger(start) || start < 0) return aliyunError(400, 'InvalidParameter.NextToken', 'The specified NextToken is not valid.');
    const page = matching.slice(start, start + served);
    const next = start + served < matching.length ? Buffer.from(String(start + served)).toString('base64url') : '';
    return ok({ RequestId: requestId(), TotalCount: 0, PageNumber: 1, PageSize: served, NextToken: next, Instances: { Instance: page.map(ecsInstance) } });
  }
  const pageNumber = params.PageNumber === undefined ? 1 : Number(params.PageNumber);
  if (!Number.isInteger(pageNumber) || pageNumber < 1) return aliyunError(400, 'InvalidParameter', 'The specified parameter PageNumber is not valid.');
  const page = matching.slice((pageNumber - 1) * served, pageNumber * served);
  return ok({
    RequestId: requestId(),
    TotalCount: matching.length,
    PageNumber: pageNumber,
    PageSize: served,
    NextToken: '',
    Instances: { Instance: page.map(ecsInstance) },
  });
}

const api: SimApi = {
  name: API_NAME,
  summary: 'ECS RPC API `DescribeInstances` (2014-05-26; HMAC-SHA1 query signature, nonce and timestamp checked)',
  match: (req) => req.url.pathname === '/' && req.url.searchParams.get('Version') === '2014-05-26',
  handle,
  errorResponse(kind) {
    const [status, code, message] = ERRORS[kind];
    return aliyunError(status, code, message);
  },
};

const aliyunSim: SimModule = {
  provider: 'aliyun',
  apis: [api],
  fleet: aliyunFleet,
  connect: {
    config: "`endpoint=http://127.0.0.1:PORT` and the fleet's `access_key_id`/`access_key_secret`",
    env: '`ECS_ENDPOINT` works as well as `endpoint=`',
    why: 'the ECS RPC API is a signed GET; the signature covers the query, not the host',
  },
  paste(ctx) {
    const example = pasteExample(ctx, 'aliyun');
    const creds = fleetCredentials<AliyunCredentials>(ctx, 'aliyun');
    if (example === undefined || !creds?.access_key_id || !creds.access_key_secret) return undefined;
    const env: Record<string, string> = creds.security_token ? { ALIBABA_CLOUD_SECURITY_TOKEN: creds.security_token } : {};
    return {
      provider: 'aliyun',
      config: formatConfig({
        provider: 'aliyun',
        region: example.instance.region ?? 'cn-hangzhou',
        ...(example.tag ? { tag_key: example.tag[0], tag_value: example.tag[1] } : {}),
        access_key_id: creds.access_key_id,
        access_key_secret: creds.access_key_secret,
        endpoint: ctx.httpUrl,
      }),
      env,
    };
  },
};

export default aliyunSim;
