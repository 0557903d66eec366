/**
 * Tencent Cloud CVM `DescribeInstances` (2017-03-12) as the simulator serves it (provider-apis.md §8):
 * `POST /` with `X-TC-Action`, a JSON body, TC3-HMAC-SHA256 verified against the fleet's keys,
 * `Offset`/`Limit` paging (default 20, max 100, or the fleet's smaller `page_size['tencentcloud-cvm']`),
 * and every error as the real API sends it: HTTP 200 with `Response.Error`.
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
import { tencentcloudFleet } from './sim-fleet.js';
import { parseTc3Authorization, tc3Date, tc3Sign } from './sign.js';

export const API_NAME = 'tencentcloud-cvm';
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** Allowed clock skew of `X-TC-Timestamp` (Tencent: 5 minutes). */
export const MAX_SKEW_S = 300;
/** Regions CVM answers in (a fleet's own regions are added). */
const REGIONS = [
  'ap-bangkok',
  'ap-beijing',
  'ap-chengdu',
  'ap-chongqing',
  'ap-guangzhou',
  'ap-hongkong',
  'ap-jakarta',
  'ap-mumbai',
  'ap-nanjing',
  'ap-seoul',
  'ap-shanghai',
  'ap-shanghai-fsi',
  'ap-shenzhen-fsi',
  'ap-singapore',
  'ap-tokyo',
  'eu-frankfurt',
  'na-ashburn',
  'na-siliconvalley',
  'sa-saopaulo',
];

interface TencentCredentials {
  secret_id?: string;
  secret_key?: string;
  session_token?: string;
}

let requestCounter = 0;
const requestId = () => `5a2b0b4e-0c3f-4d5e-9a1b-${(++requestCounter).toString(16).padStart(12, '0')}`;

/** `{"Response":{"Error":{...},"RequestId":...}}` with HTTP 200, as every API 3.0 error. */
export function tencentError(code: string, message: string, status = 200): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Response: { Error: { Code: code, Message: message }, RequestId: requestId() } }),
  };
}

const ERRORS: Record<SimErrorKind, [string, string]> = {
  throttle: [
    'RequestLimitExceeded',
    'Your current request times equals to `41` in a second, which exceeds the frequency limit `40` for a second. Please reduce the frequency of calls.',
  ],
  server: ['InternalError', 'An internal error has occurred. Retry your request, but if the problem persists, contact us.'],
  unavailable: ['ServiceUnavailable', 'Service is unavailable now. Please try again later.'],
  auth: ['AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please check your signature is correct.'],
};

function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The credential check of the real API, in its order; undefined when the request passes. */
export function authProblem(req: SimRequest, creds: TencentCredentials | undefined, nowS = Math.floor(Date.now() / 1000)): SimResponse | undefined {
  const auth = parseTc3Authorization(header(req, 'authorization') ?? '');
  if (!auth) return tencentError('AuthFailure.InvalidAuthorization', 'Authorization header is invalid or missing.');
  if (!creds?.secret_id || auth.secretId !== creds.secret_id) {
    return tencentError('AuthFailure.SecretIdNotFound', 'The SecretId is not found, please ensure that your SecretId is correct.');
  }
  const timestamp = Number(header(req, 'x-tc-timestamp'));
  if (!Number.isInteger(timestamp)) return tencentError('MissingParameter', 'The request is missing a required parameter `Timestamp`.');
  if (Math.abs(nowS - timestamp) > MAX_SKEW_S) {
    return tencentError('AuthFailure.SignatureExpire', `Signature expired, the server time is ${nowS}, the request timestamp is ${timestamp}.`);
  }
  if (!auth.signedHeaders.includes('content-type') || !auth.signedHeaders.includes('host')) {
    return tencentError(
      'AuthFailure.SignatureFailure',
      'The provided credentials could not be validated because of exceeding request size limit or missing headers to sign.',
    );
  }
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) headers[name] = header(req, name) ?? '';
  const expected = tc3Sign({
    secretId: auth.secretId,
    secretKey: creds.secret_key ?? '',
    timestamp,
    service: auth.service,
    method: req.method,
    query: req.url.search.slice(1),
    headers,
    payload: req.body,
  });
  if (auth.date !== tc3Date(timestamp) || auth.service !== 'cvm' || expected.signature !== auth.signature) {
    return tencentError('AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please check your signature is correct.');
  }
  if (creds.session_token && header(req, 'x-tc-token') !== creds.session_token) {
    return tencentError('AuthFailure.TokenFailure', 'Token verification failed.');
  }
  return undefined;
}

interface Filter {
  Name?: unknown;
  Values?: unknown;
}

function matches(instance: FleetInstance, filter: { name: string; values: string[] }): boolean | undefined {
  const tags = instance.tags ?? {};
  const state = (instance.state ?? 'running').toUpperCase();
  if (filter.name === 'instance-state') return filter.values.includes(state);
  if (filter.name === 'zone') return filter.values.includes(instance.zone ?? '');
  if (filter.name === 'instance-name') return filter.values.includes(instance.name ?? instance.id);
  if (filter.name === 'instance-id') return filter.values.includes(instance.id);
  if (filter.name === 'tag-key') return filter.values.some((v) => v in tags);
  if (filter.name === 'tag-value') return filter.values.some((v) => Object.values(tags).includes(v));
  if (filter.name.startsWith('tag:')) {
    const key = filter.name.slice(4);
    return key in tags && filter.values.includes(tags[key] as string);
  }
  return undefined;
}

function cvmInstance(instance: FleetInstance, region: string): Record<string, unknown> {
  return {
    Placement: { Zone: instance.zone ?? `${region}-1`, ProjectId: 0, HostIds: null, HostIps: null, HostId: null },
    InstanceId: instance.id,
    InstanceType: 'S5.MEDIUM4',
    CPU: 2,
    Memory: 4,
    RestrictState: 'NORMAL',
    InstanceName: instance.name ?? instance.id,
    InstanceChargeType: 'POSTPAID_BY_HOUR',
    SystemDisk: { DiskType: 'CLOUD_PREMIUM', DiskId: `disk-${instance.id.slice(4)}`, DiskSize: 50 },
    DataDisks: null,
    PrivateIpAddresses: instance.private_ipv4 ? [instance.private_ipv4] : [],
    PublicIpAddresses: instance.public_ipv4 ? [instance.public_ipv4] : null,
    InternetAccessible: {
      InternetChargeType: 'TRAFFIC_POSTPAID_BY_HOUR',
      InternetMaxBandwidthOut: instance.public_ipv4 ? 1 : 0,
      PublicIpAssigned: Boolean(instance.public_ipv4),
    },
    VirtualPrivateCloud: { VpcId: 'vpc-sim00001', SubnetId: 'subnet-sim00001', AsVpcGateway: false, PrivateIpAddresses: null, Ipv6AddressCount: null },
    ImageId: 'img-sim00001',
    RenewFlag: null,
    CreatedTime: '2026-01-01T00:00:00Z',
    ExpiredTime: null,
    OsName: 'Ubuntu Server 24.04 LTS 64bit',
    SecurityGroupIds: ['sg-sim00001'],
    LoginSettings: { Password: null, KeyIds: null, KeepImageLogin: null },
    InstanceState: (instance.state ?? 'running').toUpperCase(),
    Tags: Object.entries(instance.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    StopChargingMode: 'NOT_APPLICABLE',
    Uuid: `${instance.id}-uuid`,
    LatestOperation: null,
    LatestOperationState: null,
    LatestOperationRequestId: null,
    DisasterRecoverGroupId: '',
    IPv6Addresses: instance.public_ipv6 ? [instance.public_ipv6] : null,
    CamRoleName: '',
    HpcClusterId: '',
    RdmaIpAddresses: null,
    IsolatedSource: 'NOTISOLATED',
    DisableApiTermination: false,
    LatestOperationErrorMsg: '',
    DefaultLoginPort: 22,
    LicenseType: 'TencentCloud',
    DefaultLoginUser: 'root',
    DedicatedClusterId: '',
  };
}

function handle(req: SimRequest, ctx: SimContext): SimResponse {
  const creds = fleetCredentials<TencentCredentials>(ctx, 'tencentcloud');
  if (req.method !== 'POST') return tencentError('UnsupportedProtocol', `HTTP method ${req.method} is not supported by this simulator; use POST.`);
  const denied = authProblem(req, creds);
  if (denied) return denied;
  const action = header(req, 'x-tc-action');
  if (action !== 'DescribeInstances') return tencentError('InvalidAction', `The action \`${action}\` is not found.`);
  if (header(req, 'x-tc-version') !== '2017-03-12') return tencentError('NoSuchVersion', 'The requested version does not exist.');
  const region = header(req, 'x-tc-region');
  if (!region) return tencentError('MissingParameter', 'The request is missing a required parameter `Region`.');
  const fleetRegions = new Set(visibleInstances(ctx, 'tencentcloud').map((i) => i.region ?? ''));
  if (!REGIONS.includes(region) && !fleetRegions.has(region)) return tencentError('UnsupportedRegion', 'The action does not support this region.');
  let params: { Offset?: unknown; Limit?: unknown; Filters?: unknown };
  try {
    params = req.body.length === 0 ? {} : (JSON.parse(req.body.toString('utf8')) as typeof params);
  } catch {
    return tencentError('InvalidParameter', 'The request body is not valid JSON.');
  }
  const offset = params.Offset === undefined ? 0 : params.Offset;
  const limit = params.Limit === undefined ? DEFAULT_LIMIT : params.Limit;
  if (!Number.isInteger(offset) || (offset as number) < 0) return tencentError('InvalidParameterValue', 'Offset must be a non-negative integer.');
  if (!Number.isInteger(limit) || (limit as number) < 0 || (limit as number) > MAX_LIMIT) {
    return tencentError('InvalidParameterValue.Limit', `The value of Limit must be between 0 and ${MAX_LIMIT}.`);
  }
  const filters: Array<{ name: string; values: string[] }> = [];
  for (const f of (Array.isArray(params.Filters) ? params.Filters : []) as Filter[]) {
    if (typeof f?.Name !== 'string' || !Array.isArray(f.Values)) return tencentError('InvalidParameter', 'Filters must be [{Name, Values}].');
    filters.push({ name: f.Name, values: f.Values.map(String) });
  }
  let instances = visibleInstances(ctx, 'tencentcloud').filter((i) => i.region === region);
  for (const filter of filters) {
    if (matches({ id: '', cloud: '' }, filter) === undefined) return tencentError('InvalidFilter', `The filter \`${filter.name}\` is not supported.`);
    instances = instances.filter((i) => matches(i, filter));
  }
  const cap = ctx.fleet.page_size?.[API_NAME];
  const size = Math.min(limit as number, cap ?? MAX_LIMIT);
  const page = instances.slice(offset as number, (offset as number) + size);
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Response: { TotalCount: instances.length, InstanceSet: page.map((i) => cvmInstance(i, region)), RequestId: requestId() } }),
  };
}

const api: SimApi = {
  name: API_NAME,
  summary: 'CVM API 3.0 `DescribeInstances` (POST, `X-TC-Action`, TC3-HMAC-SHA256; errors in HTTP 200 bodies)',
  match: (req) => req.url.pathname === '/' && header(req, 'x-tc-action') !== undefined,
  handle,
  errorResponse(kind) {
    const [code, message] = ERRORS[kind];
    return tencentError(code, message);
  },
};

const tencentcloudSim: SimModule = {
  provider: 'tencentcloud',
  apis: [api],
  fleet: tencentcloudFleet,
  connect: {
    config: "`endpoint=http://127.0.0.1:PORT` and the fleet's `access_key_id`/`access_key_secret`",
    env: 'none',
    why: 'the CVM API is one signed POST; the signature covers the `host` the client sends',
  },
  paste(ctx) {
    const example = pasteExample(ctx, 'tencentcloud');
    const creds = fleetCredentials<TencentCredentials>(ctx, 'tencentcloud');
    if (example === undefined || !creds?.secret_id || !creds.secret_key) return undefined;
    const env: Record<string, string> = creds.session_token ? { TENCENTCLOUD_SESSION_TOKEN: creds.session_token } : {};
    return {
      provider: 'tencentcloud',
      config: formatConfig({
        provider: 'tencentcloud',
        region: example.instance.region ?? 'ap-guangzhou',
        ...(example.tag ? { tag_key: example.tag[0], tag_value: example.tag[1] } : {}),
        access_key_id: creds.secret_id,
        access_key_secret: creds.secret_key,
        endpoint: ctx.httpUrl,
      }),
      env,
    };
  },
};

export default tencentcloudSim;
