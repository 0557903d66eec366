/**
 * Hetzner Cloud API calls: `GET /v1/servers`, every page (after the first, a few at a time),
 * through the one HTTP stack and the shared retry policy. Loaded lazily by the descriptor.
 */
import {
  getJson,
  type HttpResponse,
  MalformedResponseError,
  type ProviderContext,
  ProviderError,
  parseRetryAfter,
  readNumberedPages,
} from '../../src/kit/index.js';
import { type HetznerServer, type HetznerServerPage, malformedPage, parseHetznerError } from './extract.js';

/** The API's largest page (its default is 25). */
export const MAX_PER_PAGE = 50;
const OPERATION = 'ListServers';
/** Hetzner refills one request a second and sends no Retry-After: wait that second. */
const THROTTLE_WAIT_MS = 1000;

/** The request URL of one page. `status=running`: only servers that can answer a join. */
export function serversUrl(endpoint: string, labelSelector: string | undefined, page: number): URL {
  const url = new URL(`${endpoint.replace(/\/+$/, '')}/servers`);
  if (labelSelector) url.searchParams.set('label_selector', labelSelector);
  url.searchParams.set('status', 'running');
  url.searchParams.set('page', String(page));
  url.searchParams.set('per_page', String(MAX_PER_PAGE));
  return url;
}

/** A non-200 answer as a ProviderError; a refused token says which setting to check, never its value. */
export function statusError(response: Pick<HttpResponse, 'status' | 'headers' | 'text'>, now = Date.now()): ProviderError {
  const parsed = parseHetznerError(response.text());
  const throttled = response.status === 429 || parsed?.code === 'rate_limit_exceeded';
  let reason = parsed?.message || `HTTP ${response.status}`;
  if (response.status === 401) reason += ' (the api_token / HCLOUD_TOKEN was refused)';
  return new ProviderError('hetzner', reason, {
    operation: OPERATION,
    status: response.status,
    ...(parsed ? { cloudCode: parsed.code } : {}),
    throttled,
    ...(throttled ? { retryAfterMs: parseRetryAfter(response.headers['retry-after'], now) ?? THROTTLE_WAIT_MS } : {}),
  });
}

/**
 * `perPage` of every page of servers matching the selector, in order; throws rather than return part
 * of the list. Page 1's `meta.pagination.last_page` plans the rest, read a few at a time (the kit's
 * `readNumberedPages`); each page is reduced as it arrives, so only what `perPage` keeps outlives it.
 */
export async function listServers<T>(
  endpoint: string,
  token: string,
  labelSelector: string | undefined,
  ctx: ProviderContext,
  perPage: (servers: HetznerServer[]) => T,
): Promise<T[]> {
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': ctx.userAgent };
  const listUrl = serversUrl(endpoint, labelSelector, 1);
  return readNumberedPages<HetznerServerPage, T>({
    signal: ctx.signal,
    what: `discover-hetzner: ${OPERATION}`,
    url: `${listUrl.origin}${listUrl.pathname}`,
    async read(page, signal) {
      const url = serversUrl(endpoint, labelSelector, page);
      ctx.log.debug(`discover-hetzner: GET ${url.pathname}${url.search}`);
      const body = await getJson({ ...ctx, signal }, { provider: 'hetzner', operation: OPERATION, url, headers, errorFor: statusError });
      const problem = malformedPage(body);
      if (problem) throw new MalformedResponseError(`discover-hetzner: ${OPERATION}: ${problem}`, `${url.origin}${url.pathname}`);
      const next = (body as HetznerServerPage).meta.pagination.next_page;
      if (next !== null && next !== undefined && next <= page) {
        throw new MalformedResponseError(`discover-hetzner: ${OPERATION}: page ${page} names next_page ${next}`, `${url.origin}${url.pathname}`);
      }
      return body as HetznerServerPage;
    },
    pageCount: (first) => (typeof first.meta.pagination.last_page === 'number' ? first.meta.pagination.last_page : undefined),
    next: (page) => page.meta.pagination.next_page ?? undefined,
    reduce: (page) => perPage(page.servers),
  });
}
