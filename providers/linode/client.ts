/**
 * Linode API v4 over HTTP: the instance list (`X-Filter`, `page_size=500`, every page, after the
 * first a few at a time) and, only for the address types the list lacks, one
 * `GET /linode/instances/{id}/ips` per instance (a few at a time). Each request is retried on its own under the shared policy; any failure fails the call.
 */
import { setMaxListeners } from 'node:events';
import {
  apiCall,
  createClassifier,
  MalformedResponseError,
  NetworkError,
  type ProviderContext,
  ProviderError,
  parseRetryAfter,
  type RetryVerdict,
  readNumberedPages,
} from '../../src/kit/index.js';
import { type InstanceIps, type InstancePage, type LinodeInstance, malformedIps, malformedPage } from './extract.js';

/** The API's largest page (25-500; 100 unless asked). */
export const PAGE_SIZE = 500;
/** IPs calls in flight at once: enough to be quick, few enough to stay under the per-token limits. */
export const IPS_CONCURRENCY = 8;

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** How long Linode asked us to wait: `Retry-After`, else `X-RateLimit-Reset` (epoch seconds) once nothing remains. */
export function throttleWaitMs(headers: Headers, now: number): number | undefined {
  const after = parseRetryAfter(header(headers, 'retry-after'), now);
  if (after !== undefined) return after;
  if (header(headers, 'x-ratelimit-remaining') !== '0') return undefined;
  const reset = Number(header(headers, 'x-ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}

/** The error a non-200 answer means, from Linode's `{"errors":[{"reason","field"}]}` body. */
export function apiError(operation: string, status: number, text: string, headers: Headers): ProviderError {
  let reason: string | undefined;
  try {
    const body = JSON.parse(text) as { errors?: Array<{ reason?: unknown; field?: unknown }> };
    const first = body.errors?.[0];
    if (typeof first?.reason === 'string') reason = `${typeof first.field === 'string' ? `${first.field}: ` : ''}${first.reason}`.slice(0, 200);
  } catch {
    // Not Linode's JSON (a proxy page): the status says enough.
  }
  const maintenance = status === 503 && header(headers, 'x-maintenance-mode') !== undefined;
  // linodego retries a 400 "Linode busy." and 429; a 503 in maintenance mode is not worth retrying.
  const busy = status === 400 && /linode busy/i.test(reason ?? '');
  const throttled = status === 429;
  const text401 = status === 401 ? ' (check api_token / LINODE_TOKEN)' : '';
  const cloudCode = maintenance ? 'maintenance' : busy ? 'busy' : undefined;
  return new ProviderError('linode', `${reason ?? `HTTP ${status}`}${text401}`, {
    operation,
    status,
    ...(cloudCode ? { cloudCode } : {}),
    throttled,
    ...(throttled || busy || status >= 500 ? { retryAfterMs: throttleWaitMs(headers, Date.now()) } : {}),
  });
}

const sharedClassifier = createClassifier();

/** The kit's classifier, plus Linode's own: a busy Linode is retried (after its wait), maintenance mode is not. */
export function classify(error: unknown): RetryVerdict {
  if (error instanceof ProviderError) {
    if (error.cloudCode === 'busy') return { retry: true, ...(error.retryAfterMs !== undefined ? { afterMs: error.retryAfterMs } : {}) };
    if (error.cloudCode === 'maintenance') return { retry: false };
  }
  return sharedClassifier(error);
}

/** One GET under the kit's one retried call, with Linode's classifier (the kit's `getJson` takes none). */
function getJson(ctx: ProviderContext, url: URL, headers: Record<string, string>, operation: string): Promise<unknown> {
  const toError = (error: unknown) => (error instanceof NetworkError ? new ProviderError('linode', error.message, { operation, cause: error }) : error);
  return apiCall(ctx, { provider: 'linode', operation, toError, classify }, async () => {
    const response = await ctx.http.request(url, { headers, signal: ctx.signal, okStatus: () => true });
    if (response.status !== 200) throw apiError(operation, response.status, response.text(), response.headers);
    return response.json<unknown>();
  });
}

export interface LinodeApi {
  /** `https://api.linode.com/v4`, or the endpoint given. */
  base: string;
  token: string;
}

function authHeaders(api: LinodeApi): Record<string, string> {
  return { accept: 'application/json', authorization: `Bearer ${api.token}` };
}

/**
 * Every instance matching the filter, across every page: page 1's `pages` plans the rest, read a few
 * at a time (the kit's `readNumberedPages`).
 */
export async function listInstances(ctx: ProviderContext, api: LinodeApi, filter: string | undefined): Promise<LinodeInstance[]> {
  const headers = authHeaders(api);
  if (filter) headers['x-filter'] = filter;
  const pageUrl = (page: number) => {
    const url = new URL(`${api.base}/linode/instances`);
    url.searchParams.set('page', String(page));
    url.searchParams.set('page_size', String(PAGE_SIZE));
    return url;
  };
  const pages = await readNumberedPages<InstancePage, LinodeInstance[]>({
    signal: ctx.signal,
    async read(page, signal) {
      const url = pageUrl(page);
      ctx.log.debug(`discover-linode: GET ${url.pathname}${url.search}${filter ? ` X-Filter: ${filter}` : ''}`);
      const body = await getJson({ ...ctx, signal }, url, headers, 'ListInstances');
      const problem = malformedPage(body);
      if (problem) throw new MalformedResponseError(`discover-linode: ListInstances: ${problem}`, `${url.origin}${url.pathname}`);
      const answer = body as InstancePage;
      // The API answers a page past the end with the last page: never read one twice.
      return answer.page === page ? answer : undefined;
    },
    pageCount: (first) => first.pages,
    next: (answer, page) => (page < answer.pages ? page + 1 : undefined),
    reduce: (answer) => answer.data,
  });
  return pages.flat();
}

/** The IPs of each instance, in the instances' order, `IPS_CONCURRENCY` requests at a time. */
export async function instanceIps(ctx: ProviderContext, api: LinodeApi, instances: readonly LinodeInstance[]): Promise<InstanceIps[]> {
  const headers = authHeaders(api);
  // Each call in flight listens on the signal twice (the retry and the request).
  setMaxListeners(IPS_CONCURRENCY * 2 + 10, ctx.signal);
  const results: InstanceIps[] = new Array(instances.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < instances.length && !failed) {
      const index = next++;
      const instance = instances[index] as LinodeInstance;
      const url = new URL(`${api.base}/linode/instances/${instance.id}/ips`);
      const body = await getJson(ctx, url, headers, `GetInstanceIPAddresses(${instance.id})`).catch((error: unknown) => {
        failed = true;
        throw error;
      });
      const problem = malformedIps(body);
      if (problem) throw new MalformedResponseError(`discover-linode: GetInstanceIPAddresses(${instance.id}): ${problem}`, `${url.origin}${url.pathname}`);
      results[index] = body as InstanceIps;
    }
  };
  await Promise.all(Array.from({ length: Math.min(IPS_CONCURRENCY, instances.length) }, worker));
  return results;
}
