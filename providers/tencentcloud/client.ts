/**
 * The CVM `DescribeInstances` calls: one signed POST per page through `ctx.http`, every page (after
 * the first, a few at a time), errors typed from the `Response.Error` codes Tencent Cloud sends in
 * HTTP 200 bodies.
 */
import {
  apiCall,
  createClassifier,
  HttpStatusError,
  MalformedResponseError,
  NetworkError,
  type ProviderContext,
  ProviderError,
  printableLine,
  readNumberedPages,
  type Target,
} from '../../src/kit/index.js';
import { type CvmResponse, cvmTargets, describeBody, malformedPage, type TencentAddressType } from './extract.js';
import { tc3Sign } from './sign.js';

const OPERATION = 'DescribeInstances';
/** The API's maximum `Limit`. */
export const PAGE_LIMIT = 100;

export interface TencentArgs {
  region: string;
  tag_key?: string;
  tag_value?: string;
  address_type: TencentAddressType;
  access_key_id: string;
  access_key_secret: string;
  session_token?: string;
  endpoint: string;
}

/** What each refused credential code says (never the credential itself). */
const AUTH_REASONS: Record<string, string> = {
  'AuthFailure.SignatureFailure': 'the signature was refused: access_key_secret is wrong for access_key_id',
  'AuthFailure.SecretIdNotFound': 'access_key_id was refused: no such secret id',
  'AuthFailure.InvalidSecretId': 'access_key_id was refused: not a valid secret id',
  'AuthFailure.SignatureExpire': "the request timestamp was refused as expired: this machine's clock is more than 5 minutes off",
  'AuthFailure.TokenFailure': 'session_token was refused',
  'AuthFailure.InvalidAuthorization': 'the Authorization header was refused',
  'AuthFailure.UnauthorizedOperation': 'access_key_id may not call cvm:DescribeInstances',
  UnsupportedRegion: 'the region was refused',
};

/** Retried: throttling is flagged; `InternalError` is the API's transient failure. */
const classify = createClassifier({ transient: (e) => e.cloudCode === 'InternalError' || e.cloudCode === 'ServiceUnavailable' });

/**
 * Every running instance with the tag, every page; the targets of `address_type`, in page order.
 * Page 1's `TotalCount` plans the rest (at the offsets its length sets, as a server may serve fewer
 * than `Limit`), read a few at a time (the kit's `readNumberedPages`); each page is reduced to its
 * targets as it arrives.
 */
export async function describeAll(args: TencentArgs, ctx: ProviderContext, now: () => number): Promise<Target[]> {
  const tag = args.tag_key !== undefined && args.tag_value !== undefined ? { key: args.tag_key, value: args.tag_value } : undefined;
  const url = new URL(args.endpoint);
  // Instances a page holds: the limit asked, or fewer when page 1 shows the server serves fewer.
  let stride = PAGE_LIMIT;
  const pages = await readNumberedPages({
    signal: ctx.signal,
    read: (page, signal) => {
      const body = describeBody(tag, (page - 1) * stride, PAGE_LIMIT);
      const pageCtx = { ...ctx, signal };
      return apiCall(pageCtx, { provider: 'tencentcloud', operation: OPERATION, toError, classify }, () => post(pageCtx, url, args, body, now));
    },
    pageCount: (first) => {
      const served = first.InstanceSet?.length ?? 0;
      const total = first.TotalCount ?? 0;
      if (served === 0 || total <= served) return 1;
      stride = served;
      return Math.ceil(total / served);
    },
    // Past the planned pages (the list grew): on while this page is not empty and the total promises more.
    next: (answer, page) => ((answer.InstanceSet ?? []).length > 0 && page * stride < (answer.TotalCount ?? 0) ? page + 1 : undefined),
    reduce: (answer, page) => {
      const instances = answer.InstanceSet ?? [];
      ctx.log.debug(`discover-tencentcloud: DescribeInstances page ${page}: ${instances.length} instance(s) of ${answer.TotalCount}`);
      const found = cvmTargets(instances, args.address_type);
      return { targets: found.targets, skipped: found.skipped.length };
    },
  });
  const targets = pages.flatMap((page) => page.targets);
  const skipped = pages.reduce((sum, page) => sum + page.skipped, 0);
  if (skipped > 0) ctx.log.debug(`discover-tencentcloud: ${skipped} instance(s) skipped: no ${args.address_type} address`);
  ctx.log.debug(`discover-tencentcloud: ${targets.length} address(es) in ${args.region}`);
  return targets;
}

async function post(ctx: ProviderContext, url: URL, args: TencentArgs, body: string, now: () => number): Promise<NonNullable<CvmResponse['Response']>> {
  const timestamp = Math.floor(now() / 1000);
  const signed = { 'content-type': 'application/json; charset=utf-8', host: url.host };
  const { authorization } = tc3Sign({
    secretId: args.access_key_id,
    secretKey: args.access_key_secret,
    timestamp,
    service: 'cvm',
    method: 'POST',
    headers: signed,
    payload: body,
  });
  const headers: Record<string, string> = {
    ...signed,
    authorization,
    'x-tc-action': OPERATION,
    'x-tc-version': '2017-03-12',
    'x-tc-timestamp': String(timestamp),
    'x-tc-region': args.region,
    'x-tc-language': 'en-US',
  };
  if (args.session_token) headers['x-tc-token'] = args.session_token;
  const response = await ctx.http.request(url, { method: 'POST', headers, body, signal: ctx.signal, okStatus: () => true });
  if (response.status !== 200) {
    throw new ProviderError('tencentcloud', printableLine(response.text().trim(), 200) || `HTTP ${response.status}`, {
      operation: OPERATION,
      status: response.status,
      throttled: response.status === 429,
    });
  }
  const parsed = response.json<unknown>();
  const problem = malformedPage(parsed);
  if (problem) throw new MalformedResponseError(`discover-tencentcloud: ${OPERATION}: ${problem}`, `${url.origin}${url.pathname}`);
  const answer = (parsed as Required<CvmResponse>).Response;
  if (answer.Error) {
    const code = answer.Error.Code ?? 'UnknownError';
    const message = printableLine(answer.Error.Message ?? '', 200);
    const known = AUTH_REASONS[code];
    const said = code === 'UnsupportedRegion' ? `region ${args.region} was refused` : known;
    const reason = said === undefined ? message || 'the API returned an error' : `${said} (${message})`;
    throw new ProviderError('tencentcloud', reason, { operation: OPERATION, cloudCode: code, throttled: code === 'RequestLimitExceeded' });
  }
  return answer;
}

/** A failed request -> a ProviderError naming the operation; autojoin's own errors pass through. */
function toError(error: unknown): unknown {
  if (error instanceof NetworkError) return new ProviderError('tencentcloud', error.message, { operation: OPERATION, cause: error });
  if (error instanceof HttpStatusError) return new ProviderError('tencentcloud', error.message, { operation: OPERATION, status: error.status, cause: error });
  return error;
}
