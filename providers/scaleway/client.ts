/**
 * Scaleway API calls, through the one HTTP stack under the kit's one retried call: the Instance
 * API's `GET /instance/v1/zones/{zone}/servers`, every page of every zone asked for, and, only
 * when a tagged server's private address lives in IPAM, IPAM's `GET /ipam/v1/regions/{region}/ips`
 * once per region (every page), never once per server. Loaded lazily.
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
 * `perPage` of every page of servers with the tag in each zone, zone after zone, page after page
 * until `X-Total-Count` servers are read (or a short page ends a zone without the header). Never
 * part of the list. Each page is reduced as it arrives, so only what `perPage` keeps outlives it.
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
    let read = 0;
    for (let page = 1; ; page++) {
      const url = serversUrl(options, zone, page);
      ctx.log.debug(`discover-scaleway: GET ${url.pathname}${url.search}`);
      const result = await getServersPage(url, zone, headers, ctx);
      // The zone is the URL's: older answers leave it out of the server object.
      pages.push(perPage(result.servers.map((server) => (server.zone ? server : { ...server, zone }))));
      read += result.servers.length;
      const done = result.total === undefined ? result.servers.length < MAX_PER_PAGE : read >= result.total;
      if (done) break;
      if (result.servers.length === 0) {
        throw new MalformedResponseError(
          `discover-scaleway: ${LIST_SERVERS} ${zone}: page ${page} is empty but X-Total-Count says ${result.total} and ${read} were read`,
          `${url.origin}${url.pathname}`,
        );
      }
    }
  }
  return pages;
}

/**
 * Every Instance private-NIC address of one family in each region, page after page until
 * `total_count` IPs are read. Never part of the list.
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
    let read = 0;
    for (let page = 1; ; page++) {
      const url = ipamUrl(options, region, ipv6, page);
      ctx.log.debug(`discover-scaleway: GET ${url.pathname}${url.search}`);
      const body = await getJson(ctx, {
        provider: 'scaleway',
        operation: LIST_IPS,
        url,
        headers,
        errorFor: (response) => statusError(response, region, LIST_IPS),
      });
      const problem = malformedIpamPage(body);
      if (problem) throw new MalformedResponseError(`discover-scaleway: ${LIST_IPS} ${region}: ${problem}`, `${url.origin}${url.pathname}`);
      const { ips: pageIps, total_count: total } = body as { ips: IpamIp[]; total_count: number };
      ips.push(...pageIps);
      read += pageIps.length;
      if (read >= total) break;
      if (pageIps.length === 0) {
        throw new MalformedResponseError(
          `discover-scaleway: ${LIST_IPS} ${region}: page ${page} is empty but total_count says ${total} and ${read} were read`,
          `${url.origin}${url.pathname}`,
        );
      }
    }
  }
  return ips;
}
