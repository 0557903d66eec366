/**
 * Scaleway Instance API calls: `GET /instance/v1/zones/{zone}/servers`, every page of every zone
 * asked for, through the one HTTP stack and the shared retry policy. Loaded lazily.
 */
import {
  AbortError,
  AutojoinError,
  classifyHttpError,
  type HttpResponse,
  MalformedResponseError,
  NetworkError,
  type ProviderContext,
  ProviderError,
  parseRetryAfter,
  retryCall,
} from '../../src/kit/index.js';
import { malformedPage, parseScalewayError, type ScalewayServer } from './extract.js';

/** The API's largest page (its default is 50). */
export const MAX_PER_PAGE = 100;
const OPERATION = 'ListServers';

export interface ListOptions {
  apiUrl: string;
  token: string;
  tagName: string;
  organization?: string | undefined;
}

/** The request URL of one page of one zone. */
export function serversUrl(options: Pick<ListOptions, 'apiUrl' | 'tagName' | 'organization'>, zone: string, page: number): URL {
  const url = new URL(`${options.apiUrl.replace(/\/+$/, '')}/instance/v1/zones/${encodeURIComponent(zone)}/servers`);
  url.searchParams.set('tags', options.tagName);
  if (options.organization) url.searchParams.set('organization', options.organization);
  url.searchParams.set('page', String(page));
  url.searchParams.set('per_page', String(MAX_PER_PAGE));
  return url;
}

/** A non-200 answer as a ProviderError; a refused secret key says which setting to check, never its value. */
export function statusError(response: Pick<HttpResponse, 'status' | 'headers' | 'text'>, zone: string, now = Date.now()): ProviderError {
  const parsed = parseScalewayError(response.text());
  const throttled = response.status === 429;
  let reason = `${zone}: ${parsed?.message || `HTTP ${response.status}`}`;
  if (response.status === 401) reason += ' (the token / SCW_SECRET_KEY was refused)';
  return new ProviderError('scaleway', reason, {
    operation: OPERATION,
    status: response.status,
    ...(parsed?.type ? { cloudCode: parsed.type } : {}),
    throttled,
    ...(throttled ? { retryAfterMs: parseRetryAfter(response.headers['retry-after'], now) ?? 1000 } : {}),
  });
}

async function getPage(
  url: URL,
  zone: string,
  headers: Record<string, string>,
  ctx: ProviderContext,
): Promise<{ servers: ScalewayServer[]; total: number | undefined }> {
  return retryCall(
    async () => {
      let response: HttpResponse;
      try {
        response = await ctx.http.request(url, { headers, signal: ctx.signal, okStatus: () => true });
      } catch (error) {
        if (error instanceof AbortError || (error instanceof AutojoinError && error.code === 'ERR_TIMEOUT')) throw error;
        if (!(error instanceof NetworkError)) throw error;
        throw new ProviderError('scaleway', `${zone}: ${error.message}`, { operation: OPERATION, cause: error });
      }
      if (response.status !== 200) throw statusError(response, zone);
      const body = response.json<unknown>();
      const problem = malformedPage(body);
      if (problem) throw new MalformedResponseError(`discover-scaleway: ${OPERATION} ${zone}: ${problem}`, `${url.origin}${url.pathname}`);
      const header = response.headers['x-total-count'];
      const total = Number.parseInt(Array.isArray(header) ? (header[0] ?? '') : (header ?? ''), 10);
      return { servers: (body as { servers: ScalewayServer[] }).servers, total: Number.isNaN(total) ? undefined : total };
    },
    {
      maxAttempts: ctx.maxAttempts,
      classify: (error) => (error instanceof ProviderError && error.status === undefined ? { retry: true } : classifyHttpError(error)),
      signal: ctx.signal,
      deadline: ctx.deadline,
    },
  );
}

/**
 * Every server with the tag in each zone, zone after zone, page after page until `X-Total-Count`
 * servers are read (or a short page ends a zone without the header). Never part of the list.
 */
export async function listServers(options: ListOptions, zones: readonly string[], ctx: ProviderContext): Promise<ScalewayServer[]> {
  const headers = { 'x-auth-token': options.token, accept: 'application/json', 'user-agent': ctx.userAgent };
  const servers: ScalewayServer[] = [];
  for (const zone of zones) {
    let read = 0;
    for (let page = 1; ; page++) {
      const url = serversUrl(options, zone, page);
      ctx.log.debug(`discover-scaleway: GET ${url.pathname}${url.search}`);
      const result = await getPage(url, zone, headers, ctx);
      // The zone is the URL's: older answers leave it out of the server object.
      servers.push(...result.servers.map((server) => (server.zone ? server : { ...server, zone })));
      read += result.servers.length;
      const done = result.total === undefined ? result.servers.length < MAX_PER_PAGE : read >= result.total;
      if (done) break;
      if (result.servers.length === 0) {
        throw new MalformedResponseError(
          `discover-scaleway: ${OPERATION} ${zone}: page ${page} is empty but X-Total-Count says ${result.total} and ${read} were read`,
          `${url.origin}${url.pathname}`,
        );
      }
    }
  }
  return servers;
}
