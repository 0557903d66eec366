/**
 * The droplet list over HTTP: `GET /v2/droplets?tag_name=&page=&per_page=200`, every page (after
 * the first, a few at a time), each page one `getJson` of the kit (the one retried call). A failure
 * of any page fails the whole call.
 */
import { getJson, MalformedResponseError, type ProviderContext, ProviderError, parseRetryAfter, readNumberedPages } from '../../src/kit/index.js';
import { type Droplet, type DropletPage, lastPage, malformedPage, nextPage } from './extract.js';

/** The API's largest page (provider-apis.md §2). */
export const PER_PAGE = 200;
const OPERATION = 'ListDroplets';

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * How long DigitalOcean asked us to wait: `retry-after` (burst limit), else `ratelimit-reset`
 * (epoch seconds when the hourly window refills) when nothing remains.
 */
export function throttleWaitMs(headers: Record<string, string | string[] | undefined>, now: number): number | undefined {
  const after = parseRetryAfter(header(headers, 'retry-after'), now);
  if (after !== undefined) return after;
  if (header(headers, 'ratelimit-remaining') !== '0') return undefined;
  const reset = Number(header(headers, 'ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}

/** The error a non-200 answer means, from DigitalOcean's `{id, message}` body. */
function apiError(status: number, text: string, headers: Record<string, string | string[] | undefined>): ProviderError {
  let id: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as { id?: unknown; message?: unknown };
    if (typeof body.id === 'string') id = body.id.slice(0, 64);
    if (typeof body.message === 'string') message = body.message.slice(0, 200);
  } catch {
    // A proxy or load balancer page: the status says enough.
  }
  const throttled = status === 429;
  const reason = status === 401 ? `${message ?? 'unauthorized'} (check api_token / DIGITALOCEAN_TOKEN)` : (message ?? `HTTP ${status}`);
  return new ProviderError('digitalocean', reason, {
    operation: OPERATION,
    status,
    ...(id ? { cloudCode: id } : {}),
    throttled,
    ...(throttled || status >= 500 ? { retryAfterMs: throttleWaitMs(headers, Date.now()) } : {}),
  });
}

/**
 * `perPage` of every page of droplets with the tag, in order. Page 1's `links.pages.last` plans the
 * rest, read a few at a time (the kit's `readNumberedPages`); each page is reduced as it arrives.
 */
export async function listDroplets<T>(
  ctx: ProviderContext,
  options: { baseUrl: string; token: string; tagName: string },
  perPage: (droplets: Droplet[]) => T,
): Promise<T[]> {
  const headers = { accept: 'application/json', authorization: `Bearer ${options.token}` };
  const pageUrl = (page: number) => {
    const url = new URL(`${options.baseUrl.replace(/\/+$/, '')}/v2/droplets`);
    url.searchParams.set('tag_name', options.tagName);
    url.searchParams.set('page', String(page));
    url.searchParams.set('per_page', String(PER_PAGE));
    return url;
  };
  const listUrl = pageUrl(1);
  return readNumberedPages<DropletPage, T>({
    signal: ctx.signal,
    what: `discover-digitalocean: ${OPERATION}`,
    url: `${listUrl.origin}${listUrl.pathname}`,
    async read(page, signal) {
      const url = pageUrl(page);
      ctx.log.debug(`discover-digitalocean: GET ${url.pathname}${url.search}`);
      const body = await getJson(
        { ...ctx, signal },
        { provider: 'digitalocean', operation: OPERATION, url, headers, errorFor: (response) => apiError(response.status, response.text(), response.headers) },
      );
      const problem = malformedPage(body);
      if (problem) throw new MalformedResponseError(`discover-digitalocean: ${OPERATION}: ${problem}`, `${url.origin}${url.pathname}`);
      return body as DropletPage;
    },
    pageCount: lastPage,
    next: nextPage,
    reduce: (page) => perPage(page.droplets),
  });
}
