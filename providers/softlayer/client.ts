/**
 * `SoftLayer_Account/getVirtualGuests` over HTTP Basic (username + API key), every page
 * (`resultLimit=offset,limit`, `SoftLayer-Total-Items`), each page retried on its own under the
 * shared policy. A failure of any page fails the whole call.
 */
import { apiCall, MalformedResponseError, NetworkError, ProviderError, type ProviderContext, parseRetryAfter, printableLine } from '../../src/kit/index.js';
import { guestsOf, guestsUrl, malformedGuests, objectFilter, type VirtualGuest } from './extract.js';

/** Guests per page: SoftLayer documents no maximum; SLDN suggests small pages for masked relational data. */
export const PAGE_LIMIT = 100;
const OPERATION = 'getVirtualGuests';

export interface GuestQuery {
  endpoint: string;
  username: string;
  apiKey: string;
  datacenter?: string;
  tag?: string;
}

/** The error a non-200 answer means, from SoftLayer's `{error, code}` body. */
export function slError(status: number, text: string, headers: Record<string, string | string[] | undefined>, username: string): ProviderError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: unknown; code?: unknown };
    if (typeof body.code === 'string') code = printableLine(body.code, 80);
    if (typeof body.error === 'string') message = printableLine(body.error.trim(), 200);
  } catch {
    // A proxy or load balancer page: the status says enough.
  }
  // softlayer-go retries this code whatever the status.
  const throttled = status === 429 || code === 'SoftLayer_Exception_WebService_RateLimitExceeded';
  let reason = message || `HTTP ${status}`;
  if (status === 401 || status === 403) {
    reason = `${reason} (authentication failed: the api_key of username ${JSON.stringify(username)} was refused; check api_key / SL_API_KEY and username / SL_USERNAME)`;
  }
  const retryAfter = headers['retry-after'];
  return new ProviderError('softlayer', reason, {
    operation: OPERATION,
    status,
    ...(code ? { cloudCode: code } : {}),
    throttled,
    retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now()),
  });
}

function toSoftlayerError(error: unknown): unknown {
  if (!(error instanceof NetworkError)) return error;
  return new ProviderError('softlayer', error.message, { operation: OPERATION, cause: error });
}

/**
 * `perPage` of every page of guests matching the datacenter and tag, in order. Each page is reduced
 * as it arrives, so only what `perPage` keeps outlives it.
 */
export async function listGuests<T>(ctx: ProviderContext, query: GuestQuery, perPage: (guests: VirtualGuest[]) => T): Promise<T[]> {
  const headers = {
    accept: 'application/json',
    authorization: `Basic ${Buffer.from(`${query.username}:${query.apiKey}`).toString('base64')}`,
  };
  const filter = objectFilter(query.datacenter, query.tag);
  const pages: T[] = [];
  let read = 0;
  for (;;) {
    const url = guestsUrl(query.endpoint, filter, read, PAGE_LIMIT);
    ctx.log.debug(`discover-softlayer: GET ${url.pathname} resultLimit=${read},${PAGE_LIMIT}`);
    const { body, total } = await apiCall(ctx, { provider: 'softlayer', operation: OPERATION, toError: toSoftlayerError }, async () => {
      const response = await ctx.http.request(url, { headers, signal: ctx.signal, okStatus: () => true });
      if (response.status !== 200) throw slError(response.status, response.text(), response.headers, query.username);
      const header = response.headers['softlayer-total-items'];
      const totalText = Array.isArray(header) ? header[0] : header;
      return { body: response.json<unknown>(), total: totalText !== undefined && /^\d+$/.test(totalText) ? Number(totalText) : undefined };
    });
    const problem = malformedGuests(body);
    if (problem) throw new MalformedResponseError(`discover-softlayer: ${OPERATION}: ${problem}`, `${url.origin}${url.pathname}`);
    const page = guestsOf(body);
    pages.push(perPage(page));
    read += page.length;
    if (total === undefined) {
      if (page.length < PAGE_LIMIT) return pages;
      continue;
    }
    if (read >= total) return pages;
    if (page.length === 0) {
      throw new MalformedResponseError(
        `discover-softlayer: ${OPERATION}: SoftLayer-Total-Items says ${total} but the pages ended after ${read}`,
        `${url.origin}${url.pathname}`,
      );
    }
  }
}
