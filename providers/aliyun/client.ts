/**
 * The ECS `DescribeInstances` calls: one signed GET per page through `ctx.http`, every page (after
 * the first, a few at a time), errors typed from the JSON error body Alibaba Cloud sends with a
 * 4xx/5xx status.
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
  readNumberedPages,
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

/**
 * Every running instance with the tag, every page: page 1's `TotalCount` and `PageSize` plan the
 * rest, read a few at a time (the kit's `readNumberedPages`), each page reduced to its targets as it
 * arrives; the targets of `addr_type`, in page order.
 */
export async function describeAll(args: AliyunArgs, ctx: ProviderContext, clock: { now: () => number; nonce?: () => string }): Promise<Target[]> {
  const url = new URL(args.endpoint ?? `https://ecs.${args.region}.aliyuncs.com/`);
  // The page size the API serves (its answer says), which a server may cap below the one asked for.
  const servedSize = (page: EcsPage) => (typeof page.PageSize === 'number' && page.PageSize > 0 ? page.PageSize : PAGE_SIZE);
  const pages = await readNumberedPages({
    signal: ctx.signal,
    read: (pageNumber, signal) => {
      const params: Record<string, string> = { RegionId: args.region, Status: 'Running', PageNumber: String(pageNumber), PageSize: String(PAGE_SIZE) };
      if (args.tag_key !== undefined && args.tag_value !== undefined) {
        params['Tag.1.Key'] = args.tag_key;
        params['Tag.1.Value'] = args.tag_value;
      }
      const pageCtx = { ...ctx, signal };
      return apiCall(pageCtx, { provider: 'aliyun', operation: OPERATION, toError }, () => get(pageCtx, url, args, params, clock));
    },
    pageCount: (first) => Math.ceil((first.TotalCount ?? 0) / servedSize(first)),
    // Past the planned pages (the list grew): on while this page is full of what the total promises.
    next: (page, pageNumber) =>
      (page.Instances?.Instance ?? []).length > 0 && pageNumber * servedSize(page) < (page.TotalCount ?? 0) ? pageNumber + 1 : undefined,
    reduce: (page, pageNumber) => {
      const instances = page.Instances?.Instance ?? [];
      ctx.log.debug(`discover-aliyun: DescribeInstances page ${pageNumber}: ${instances.length} instance(s) of ${page.TotalCount}`);
      const found = ecsTargets(instances, args.addr_type);
      return { targets: found.targets, skipped: found.skipped.length };
    },
  });
  const skipped = pages.reduce((sum, page) => sum + page.skipped, 0);
  if (skipped > 0) ctx.log.debug(`discover-aliyun: ${skipped} instance(s) skipped: no ${args.addr_type} address`);
  return pages.flatMap((page) => page.targets);
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
