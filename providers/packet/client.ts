/**
 * Equinix Metal API calls at an API-compatible endpoint: `GET /projects/{id}/devices`, every page
 * (after the first, up to `meta.last_page` a few at a time; without it, `meta.next.href` one after
 * another), through the one HTTP stack and the shared retry policy. Loaded lazily.
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
 * list. Page 1's `meta.last_page` plans pages 2.. (`page=` on the first page's URL), read a few at a
 * time (the kit's `readNumberedPages`); an answer without it is followed by `meta.next.href` one page
 * after another, as is a list that grew past its last planned page. Each page is reduced as it
 * arrives, so only what `perPage` keeps outlives it.
 */
export async function listDevices<T>(
  base: string,
  project: string,
  token: string,
  ctx: ProviderContext,
  perPage: (devices: PacketDevice[]) => T,
): Promise<T[]> {
  const headers = { 'x-auth-token': token, accept: 'application/json', 'user-agent': ctx.userAgent };
  const first = devicesUrl(base, project);
  // The URL of each page followed by `meta.next` (a planned page is page=N of the first's URL).
  const followed = new Map<number, URL>();
  const seen = new Set<string>();
  const pageUrl = (page: number) => {
    const url = followed.get(page);
    if (url) return url;
    const planned = new URL(first.href);
    planned.searchParams.set('page', String(page));
    return planned;
  };
  return readNumberedPages<PacketPage, T>({
    signal: ctx.signal,
    async read(page, signal) {
      const url = pageUrl(page);
      if (seen.has(url.href) || seen.size >= MAX_PAGES) {
        throw new MalformedResponseError(`discover-packet: ${OPERATION}: the next page repeats a page already read`, `${url.origin}${url.pathname}`);
      }
      ctx.log.debug(`discover-packet: GET ${url.pathname}${url.search}`);
      const body = await getJson({ ...ctx, signal }, { provider: 'packet', operation: OPERATION, url, headers, errorFor: statusError });
      // Read once it was answered: a page refused as throttled is read again after the others.
      seen.add(url.href);
      const problem = malformedPage(body);
      if (problem) throw new MalformedResponseError(`discover-packet: ${OPERATION}: ${problem}`, `${url.origin}${url.pathname}`);
      return body as PacketPage;
    },
    pageCount: (answer) => (answer.meta?.current_page === 1 && typeof answer.meta.last_page === 'number' ? answer.meta.last_page : undefined),
    next: (answer, page) => {
      const url = nextUrl(base, pageUrl(page), answer.meta);
      if (url === undefined) return undefined;
      followed.set(page + 1, url);
      return page + 1;
    },
    reduce: (answer) => perPage(answer.devices),
  });
}
