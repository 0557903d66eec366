/**
 * The ECS `DescribeInstances` calls: one signed GET per page through `ctx.http`, every page,
 * errors typed from the JSON error body Alibaba Cloud sends with a 4xx/5xx status.
 */
import { randomUUID } from 'node:crypto';
import {
  apiCall,
  HttpStatusError,
  MalformedResponseError,
  NetworkError,
  type ProviderContext,
  ProviderError,
  printableLine,
  type Target,
} from '../../src/kit/index.js';
import { type AliyunAddressType, type EcsPage, ecsTargets, malformedPage } from './extract.js';
import { percentEncode, rpcSignature, rpcTimestamp } from './sign.js';

const OPERATION = 'DescribeInstances';
/** The API's maximum `PageSize`. */
export const PAGE_SIZE = 100;

export interface AliyunArgs {
  region: string;
  tag_key?: string;
  tag_value?: string;
  access_key_id: string;
  access_key_secret: string;
  security_token?: string;
  addr_type: AliyunAddressType;
  endpoint?: string;
}

/** What each refused credential code says (never the credential itself). */
const AUTH_REASONS: Record<string, string> = {
  SignatureDoesNotMatch: 'the signature was refused: access_key_secret is wrong for access_key_id',
  'InvalidAccessKeyId.NotFound': 'access_key_id was refused: no such access key',
  'InvalidAccessKeyId.Inactive': 'access_key_id was refused: the access key is disabled',
  'InvalidTimeStamp.Expired': "the request timestamp was refused: this machine's clock is more than 15 minutes off",
  SignatureNonceUsed: 'the SignatureNonce was refused as already used',
  'InvalidSecurityToken.Expired': 'security_token was refused: expired',
  'InvalidSecurityToken.Malformed': 'security_token was refused: malformed',
  'InvalidSecurityToken.MismatchWithAccessKey': 'security_token was refused: it belongs to another access key',
  'InvalidRegionId.NotFound': 'the region was refused',
};

const THROTTLE_CODES = new Set(['Throttling', 'Throttling.User', 'Throttling.Api', 'ServiceUnavailable']);

export async function describeAll(args: AliyunArgs, ctx: ProviderContext, clock: { now: () => number; nonce?: () => string }): Promise<Target[]> {
  const url = new URL(args.endpoint ?? `https://ecs.${args.region}.aliyuncs.com/`);
  const targets: Target[] = [];
  let skipped = 0;
  let seen = 0;
  for (let pageNumber = 1; ; pageNumber++) {
    const params: Record<string, string> = { RegionId: args.region, Status: 'Running', PageNumber: String(pageNumber), PageSize: String(PAGE_SIZE) };
    if (args.tag_key !== undefined && args.tag_value !== undefined) {
      params['Tag.1.Key'] = args.tag_key;
      params['Tag.1.Value'] = args.tag_value;
    }
    const page = await apiCall(ctx, { provider: 'aliyun', operation: OPERATION, toError }, () => get(ctx, url, args, params, clock));
    const instances = page.Instances?.Instance ?? [];
    const found = ecsTargets(instances, args.addr_type);
    targets.push(...found.targets);
    skipped += found.skipped.length;
    seen += instances.length;
    ctx.log.debug(`discover-aliyun: DescribeInstances page ${pageNumber}: ${instances.length} instance(s), ${seen} of ${page.TotalCount}`);
    if (instances.length === 0 || seen >= (page.TotalCount ?? 0)) break;
  }
  if (skipped > 0) ctx.log.debug(`discover-aliyun: ${skipped} instance(s) skipped: no ${args.addr_type} address`);
  return targets;
}

async function get(
  ctx: ProviderContext,
  url: URL,
  args: AliyunArgs,
  operation: Record<string, string>,
  clock: { now: () => number; nonce?: () => string },
): Promise<EcsPage> {
  const params: Record<string, string> = {
    Action: OPERATION,
    Version: '2014-05-26',
    Format: 'JSON',
    AccessKeyId: args.access_key_id,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: (clock.nonce ?? randomUUID)(),
    Timestamp: rpcTimestamp(clock.now()),
    ...operation,
  };
  if (args.security_token) params.SecurityToken = args.security_token;
  params.Signature = rpcSignature('GET', params, args.access_key_secret);
  const target = new URL(url);
  target.search = Object.entries(params)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
  const response = await ctx.http.request(target, { headers: { accept: 'application/json' }, signal: ctx.signal, okStatus: () => true });
  if (response.status !== 200) {
    let body: { Code?: unknown; Message?: unknown } = {};
    try {
      body = JSON.parse(response.text()) as typeof body;
    } catch {
      // Not Alibaba's JSON (a proxy's page): the status speaks.
    }
    const code = typeof body.Code === 'string' ? body.Code : undefined;
    const message = printableLine(typeof body.Message === 'string' ? body.Message : response.text().trim(), 200);
    const known = code === 'InvalidRegionId.NotFound' ? `region ${args.region} was refused` : code ? AUTH_REASONS[code] : undefined;
    throw new ProviderError('aliyun', known ? `${known} (${message})` : message || `HTTP ${response.status}`, {
      operation: OPERATION,
      status: response.status,
      cloudCode: code,
      throttled: response.status === 429 || (code !== undefined && THROTTLE_CODES.has(code)),
    });
  }
  const parsed = response.json<unknown>();
  const problem = malformedPage(parsed);
  if (problem) throw new MalformedResponseError(`discover-aliyun: ${OPERATION}: ${problem}`, `${url.origin}${url.pathname}`);
  return parsed as EcsPage;
}

/** A failed request -> a ProviderError naming the operation; autojoin's own errors pass through. */
function toError(error: unknown): unknown {
  if (error instanceof NetworkError) return new ProviderError('aliyun', error.message, { operation: OPERATION, cause: error });
  if (error instanceof HttpStatusError) return new ProviderError('aliyun', error.message, { operation: OPERATION, status: error.status, cause: error });
  return error;
}
