/**
 * `SoftLayer_Account/getVirtualGuests` over HTTP Basic (username + API key), every page
 * (`resultLimit=offset,limit`, `SoftLayer-Total-Items`; after the first, a few at a time), each page
 * retried on its own under the shared policy. A failure of any page fails the whole call.
 */
import {
  apiCall,
  MalformedResponseError,
  NetworkError,
  type ProviderContext,
  ProviderError,
  parseRetryAfter,
  printableLine,
  readNumberedPages,
} from '../../src/kit/index.js';
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
  return new ProviderError('softlayer', reason, {
    operation: OPERATION,
    status,
    ...(code ? { cloudCode: code } : {}),
    throttled,
    retryAfterMs: parseRetryAfter(headers['retry-after'], Date.now()),
  });
}

function toSoftlayerError(error: unknown): unknown {
  if (!(error instanceof NetworkError)) return error;
  return new ProviderError('softlayer', error.message, { operation: OPERATION, cause: error });
}

/**
 * `perPage` of every page of guests matching the datacenter and tag, in order. Page 1's
 * `SoftLayer-Total-Items` plans the rest (at the offsets its length sets, as a server may serve
 * fewer than asked), read a few at a time (the kit's `readNumberedPages`); without the header, page
 * after page until a short one. Each page is reduced as it arrives, so only what `perPage` keeps
 * outlives it.
 */
export async function listGuests<T>(ctx: ProviderContext, query: GuestQuery, perPage: (guests: VirtualGuest[]) => T): Promise<T[]> {
  const headers = {
    accept: 'application/json',
    authorization: `Basic ${Buffer.from(`${query.username}:${query.apiKey}`).toString('base64')}`,
  };
  const filter = objectFilter(query.datacenter, query.tag);
  // Guests a page holds: the limit asked, or fewer when page 1 shows the server serves fewer.
  let stride = PAGE_LIMIT;
  return readNumberedPages<{ guests: VirtualGuest[]; total: number | undefined }, T>({
    signal: ctx.signal,
    async read(page, signal) {
      const offset = (page - 1) * stride;
      const url = guestsUrl(query.endpoint, filter, offset, PAGE_LIMIT);
      ctx.log.debug(`discover-softlayer: GET ${url.pathname} resultLimit=${offset},${PAGE_LIMIT}`);
      const { body, total } = await apiCall({ ...ctx, signal }, { provider: 'softlayer', operation: OPERATION, toError: toSoftlayerError }, async () => {
        const response = await ctx.http.request(url, { headers, signal, okStatus: () => true });
        if (response.status !== 200) throw slError(response.status, response.text(), response.headers, query.username);
        const header = response.headers['softlayer-total-items'];
        const totalText = Array.isArray(header) ? header[0] : header;
        return { body: response.json<unknown>(), total: totalText !== undefined && /^\d+$/.test(totalText) ? Number(totalText) : undefined };
      });
      const problem = malformedGuests(body);
      if (problem) throw new MalformedResponseError(`discover-softlayer: ${OPERATION}: ${problem}`, `${url.origin}${url.pathname}`);
      const guests = guestsOf(body);
      if (guests.length === 0 && total !== undefined && total > offset) {
        throw new MalformedResponseError(
          `discover-softlayer: ${OPERATION}: SoftLayer-Total-Items says ${total} but the pages ended after ${offset}`,
          `${url.origin}${url.pathname}`,
        );
      }
      return { guests, total };
    },
    pageCount: (first) => {
      if (first.total === undefined || first.guests.length === 0 || first.total <= first.guests.length) return undefined;
      stride = first.guests.length;
      return Math.ceil(first.total / stride);
    },
    next: (page, number) => {
      if (page.total === undefined) return page.guests.length < PAGE_LIMIT ? undefined : number + 1;
      return number * stride < page.total ? number + 1 : undefined;
    },
    reduce: (page) => perPage(page.guests),
  });
}
