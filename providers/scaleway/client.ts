/**
 * Scaleway API calls, through the one HTTP stack under the kit's one retried call: the Instance
 * API's `GET /instance/v1/zones/{zone}/servers`, every page of every zone asked for (after each
 * zone's first page, a few at a time), and, only when a tagged server's private address lives in
 * IPAM, IPAM's `GET /ipam/v1/regions/{region}/ips` once per region (every page, the same way), never
 * once per server. Loaded lazily.
 */
import {
  apiCall,
  getJson,
  type HttpResponse,
  MalformedResponseError,
  NetworkError,
  type ProviderContext,
  ProviderError,
  parseRetryAfter,
  readNumberedPages,
} from '../../src/kit/index.js';
import { type IpamIp, malformedIpamPage, malformedPage, parseScalewayError, type ScalewayServer } from './extract.js';

/** The Instance API's largest page (its default is 50). */
export const MAX_PER_PAGE = 100;
/** The IPAM page asked for: Scaleway's list APIs cap `page_size` at 100. */
export const IPAM_PAGE_SIZE = 100;
const LIST_SERVERS = 'ListServers';
const LIST_IPS = 'ListIPs';

export interface ListOptions {
  apiUrl: string;
  token: string;
  tagName: string;
  organization?: string | undefined;
}

const base = (apiUrl: string) => apiUrl.replace(/\/+$/, '');

/** The request URL of one page of one zone. */
export function serversUrl(options: Pick<ListOptions, 'apiUrl' | 'tagName' | 'organization'>, zone: string, page: number): URL {
  const url = new URL(`${base(options.apiUrl)}/instance/v1/zones/${encodeURIComponent(zone)}/servers`);
  url.searchParams.set('tags', options.tagName);
  if (options.organization) url.searchParams.set('organization', options.organization);
  url.searchParams.set('page', String(page));
  url.searchParams.set('per_page', String(MAX_PER_PAGE));
  return url;
}

/**
 * One page of the region's Instance private-NIC addresses of one family (as the Scaleway Terraform
 * provider asks IPAM for a NIC's address: `resource_type=instance_private_nic`, `is_ipv6`), for
 * every NIC of the region at once rather than one `resource_id` per server.
 */
export function ipamUrl(options: Pick<ListOptions, 'apiUrl' | 'organization'>, region: string, ipv6: boolean, page: number): URL {
  const url = new URL(`${base(options.apiUrl)}/ipam/v1/regions/${encodeURIComponent(region)}/ips`);
  url.searchParams.set('resource_type', 'instance_private_nic');
  url.searchParams.set('is_ipv6', String(ipv6));
  if (options.organization) url.searchParams.set('organization_id', options.organization);
  url.searchParams.set('page', String(page));
  url.searchParams.set('page_size', String(IPAM_PAGE_SIZE));
  return url;
}

/** A non-2xx answer as a ProviderError; a refused secret key says which setting to check, never its value. */
export function statusError(
  response: Pick<HttpResponse, 'status' | 'headers' | 'text'>,
  where: string,
  operation = LIST_SERVERS,
  now = Date.now(),
): ProviderError {
  const parsed = parseScalewayError(response.text());
  const throttled = response.status === 429;
  let reason = `${where}: ${parsed?.message || `HTTP ${response.status}`}`;
  if (response.status === 401) reason += ' (the token / SCW_SECRET_KEY was refused)';
  return new ProviderError('scaleway', reason, {
    operation,
    status: response.status,
    ...(parsed?.type ? { cloudCode: parsed.type } : {}),
    throttled,
    ...(throttled ? { retryAfterMs: parseRetryAfter(response.headers['retry-after'], now) ?? 1000 } : {}),
  });
}

/** One servers page with its `X-Total-Count` (the count is a header, so this is not `getJson`). */
function getServersPage(url: URL, zone: string, headers: Record<string, string>, ctx: ProviderContext) {
  const toError = (error: unknown) =>
    error instanceof NetworkError ? new ProviderError('scaleway', `${zone}: ${error.message}`, { operation: LIST_SERVERS, cause: error }) : error;
  return apiCall(ctx, { provider: 'scaleway', operation: LIST_SERVERS, toError }, async () => {
    const response = await ctx.http.request(url, { headers, signal: ctx.signal, okStatus: () => true });
    if (response.status !== 200) throw statusError(response, zone);
    const body = response.json<unknown>();
    const problem = malformedPage(body);
    if (problem) throw new MalformedResponseError(`discover-scaleway: ${LIST_SERVERS} ${zone}: ${problem}`, `${url.origin}${url.pathname}`);
    const header = response.headers['x-total-count'];
    const total = Number.parseInt(Array.isArray(header) ? (header[0] ?? '') : (header ?? ''), 10);
    return { servers: (body as { servers: ScalewayServer[] }).servers, total: Number.isNaN(total) ? undefined : total };
  });
}

const authHeaders = (token: string, ctx: ProviderContext) => ({ 'x-auth-token': token, accept: 'application/json', 'user-agent': ctx.userAgent });

/**
 * `perPage` of every page of servers with the tag in each zone, zone after zone, in order. In each
 * zone page 1's `X-Total-Count` plans the rest (by the page size page 1 shows, as a server may serve
 * fewer than asked), read a few at a time (the kit's `readNumberedPages`); without the header, page
 * after page until a short one. Never part of the list. Each page is reduced as it arrives, so only
 * what `perPage` keeps outlives it.
 */
export async function listServers<T>(
  options: ListOptions,
  zones: readonly string[],
  ctx: ProviderContext,
  perPage: (servers: ScalewayServer[]) => T,
): Promise<T[]> {
  const headers = authHeaders(options.token, ctx);
  const pages: T[] = [];
  for (const zone of zones) {
    // Servers a page holds: the size asked, or fewer when page 1 shows the server serves fewer.
    let stride = MAX_PER_PAGE;
    const zonePages = await readNumberedPages({
      signal: ctx.signal,
      async read(page, signal) {
        const url = serversUrl(options, zone, page);
        ctx.log.debug(`discover-scaleway: GET ${url.pathname}${url.search}`);
        const result = await getServersPage(url, zone, headers, { ...ctx, signal });
        const before = (page - 1) * stride;
        if (result.servers.length === 0 && result.total !== undefined && result.total > before) {
          throw new MalformedResponseError(
            `discover-scaleway: ${LIST_SERVERS} ${zone}: page ${page} is empty but X-Total-Count says ${result.total} and ${before} were read`,
            `${url.origin}${url.pathname}`,
          );
        }
        return result;
      },
      pageCount: (first) => {
        if (first.total === undefined || first.servers.length === 0 || first.total <= first.servers.length) return undefined;
        stride = first.servers.length;
        return Math.ceil(first.total / stride);
      },
      next: (result, page) => {
        if (result.total === undefined) return result.servers.length < MAX_PER_PAGE ? undefined : page + 1;
        return page * stride < result.total ? page + 1 : undefined;
      },
      // The zone is the URL's: older answers leave it out of the server object.
      reduce: (result) => perPage(result.servers.map((server) => (server.zone ? server : { ...server, zone }))),
    });
    pages.push(...zonePages);
  }
  return pages;
}

/**
 * Every Instance private-NIC address of one family in each region: page 1's `total_count` plans the
 * rest, read a few at a time (the kit's `readNumberedPages`). Never part of the list.
 */
export async function listPrivateNicIps(
  options: Pick<ListOptions, 'apiUrl' | 'token' | 'organization'>,
  regions: readonly string[],
  ipv6: boolean,
  ctx: ProviderContext,
): Promise<IpamIp[]> {
  const headers = authHeaders(options.token, ctx);
  const ips: IpamIp[] = [];
  for (const region of regions) {
    // IPs a page holds: the size asked, or fewer when page 1 shows the server serves fewer.
    let stride = IPAM_PAGE_SIZE;
    const regionPages = await readNumberedPages({
      signal: ctx.signal,
      async read(page, signal) {
        const url = ipamUrl(options, region, ipv6, page);
        ctx.log.debug(`discover-scaleway: GET ${url.pathname}${url.search}`);
        const body = await getJson(
          { ...ctx, signal },
          { provider: 'scaleway', operation: LIST_IPS, url, headers, errorFor: (response) => statusError(response, region, LIST_IPS) },
        );
        const problem = malformedIpamPage(body);
        if (problem) throw new MalformedResponseError(`discover-scaleway: ${LIST_IPS} ${region}: ${problem}`, `${url.origin}${url.pathname}`);
        const answer = body as { ips: IpamIp[]; total_count: number };
        const before = (page - 1) * stride;
        if (answer.ips.length === 0 && answer.total_count > before) {
          throw new MalformedResponseError(
            `discover-scaleway: ${LIST_IPS} ${region}: page ${page} is empty but total_count says ${answer.total_count} and ${before} were read`,
            `${url.origin}${url.pathname}`,
          );
        }
        return answer;
      },
      pageCount: (first) => {
        if (first.ips.length === 0 || first.total_count <= first.ips.length) return undefined;
        stride = first.ips.length;
        return Math.ceil(first.total_count / stride);
      },
      next: (answer, page) => (page * stride < answer.total_count ? page + 1 : undefined),
      reduce: (answer) => answer.ips,
    });
    for (const pageIps of regionPages) ips.push(...pageIps);
  }
  return ips;
}
