/**
 * Equinix Metal API calls at an API-compatible endpoint: `GET /projects/{id}/devices`, every page
 * (`meta.next.href`, else `page`+`per_page` up to `meta.last_page`), through the one HTTP stack
 * and the shared retry policy. Loaded lazily.
 */
import { getJson, type HttpResponse, MalformedResponseError, parseRetryAfter, type ProviderContext, ProviderError } from '../../src/kit/index.js';
import { malformedPage, type PacketDevice, type PacketPage, parsePacketError } from './extract.js';

/** Devices asked for per page (the API's `per_page` maximum; its default is 10). */
export const PER_PAGE = 1000;
/** A page count no real project reaches: past it the endpoint is looping. */
const MAX_PAGES = 100_000;
export const OPERATION = 'ListDevices';

/** The first page's URL; the base keeps its path (`…/metal/v1/`). */
export function devicesUrl(base: string, project: string): URL {
  const url = new URL(`projects/${encodeURIComponent(project)}/devices`, base.endsWith('/') ? base : `${base}/`);
  url.searchParams.set('include', 'facility');
  url.searchParams.set('page', '1');
  url.searchParams.set('per_page', String(PER_PAGE));
  return url;
}

/**
 * The next page: `meta.next.href` resolved against the base URL (packngo's ResolveReference; a
 * host-absolute path works), with `include=facility` kept; else page+1 while below `last_page`.
 */
export function nextUrl(base: string, current: URL, meta: PacketPage['meta']): URL | undefined {
  const href = meta?.next?.href;
  if (href) {
    const next = new URL(href, base.endsWith('/') ? base : `${base}/`);
    if (!next.searchParams.has('include')) next.searchParams.set('include', 'facility');
    return next;
  }
  const page = meta?.current_page;
  const last = meta?.last_page;
  if (typeof page === 'number' && typeof last === 'number' && page < last) {
    const next = new URL(current.href);
    next.searchParams.set('page', String(page + 1));
    return next;
  }
  return undefined;
}

export function statusError(response: Pick<HttpResponse, 'status' | 'headers' | 'text'>, now = Date.now()): ProviderError {
  const reason = parsePacketError(response.text()) ?? `HTTP ${response.status}`;
  const throttled = response.status === 429;
  return new ProviderError('packet', response.status === 401 ? `${reason} (the auth_token / PACKET_AUTH_TOKEN / METAL_AUTH_TOKEN was refused)` : reason, {
    operation: OPERATION,
    status: response.status,
    throttled,
    ...(throttled ? { retryAfterMs: parseRetryAfter(response.headers['retry-after'], now) ?? 1000 } : {}),
  });
}

/**
 * `perPage` of every page of the project's devices, in order; throws rather than return part of the
 * list. Each page is reduced as it arrives, so only what `perPage` keeps outlives it.
 */
export async function listDevices<T>(
  base: string,
  project: string,
  token: string,
  ctx: ProviderContext,
  perPage: (devices: PacketDevice[]) => T,
): Promise<T[]> {
  const headers = { 'x-auth-token': token, accept: 'application/json', 'user-agent': ctx.userAgent };
  const pages: T[] = [];
  const seen = new Set<string>();
  let url: URL | undefined = devicesUrl(base, project);
  while (url) {
    if (seen.has(url.href) || seen.size >= MAX_PAGES) {
      throw new MalformedResponseError(`discover-packet: ${OPERATION}: the next page repeats a page already read`, `${url.origin}${url.pathname}`);
    }
    seen.add(url.href);
    const pageUrl: URL = url;
    ctx.log.debug(`discover-packet: GET ${pageUrl.pathname}${pageUrl.search}`);
    const body = await getJson(ctx, { provider: 'packet', operation: OPERATION, url: pageUrl, headers: headers, errorFor: statusError });
    const problem = malformedPage(body);
    if (problem) throw new MalformedResponseError(`discover-packet: ${OPERATION}: ${problem}`, `${pageUrl.origin}${pageUrl.pathname}`);
    const page = body as PacketPage;
    pages.push(perPage(page.devices));
    url = nextUrl(base, pageUrl, page.meta);
  }
  return pages;
}
