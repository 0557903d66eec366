/**
 * The pod list over HTTPS: `GET /api/v1/namespaces/{ns}/pods?labelSelector=&fieldSelector=&limit=500`,
 * then `continue=` until the last chunk, as client-go's pager reads it. An expired continue token
 * (410) restarts the list from the start, so the result is never a mix of two snapshots.
 */
import { apiCall, MalformedResponseError, NetworkError, type ProviderContext, ProviderError, parseRetryAfter } from '../../src/kit/index.js';
import type { KubeConnection } from './config.js';
import { malformedPodList, type Pod, type PodList } from './extract.js';

/** client-go's pager chunk size. */
export const PAGE_LIMIT = 500;
/** Restarts after an expired continue token before giving up. */
const MAX_RESTARTS = 2;
const OPERATION = 'ListPods';

type Headers = Record<string, string | string[] | undefined>;

interface Status {
  message?: string;
  reason?: string;
  details?: { retryAfterSeconds?: number };
}

/** The error a non-200 answer means, from the API server's `Status` body. */
export function apiError(status: number, text: string, headers: Headers, source: string): ProviderError {
  let body: Status = {};
  try {
    body = JSON.parse(text) as Status;
  } catch {
    // Not a Status (a proxy's page): the status code says enough.
  }
  const reason = typeof body.reason === 'string' ? body.reason.slice(0, 64) : undefined;
  const message = typeof body.message === 'string' ? body.message.slice(0, 300) : `HTTP ${status}`;
  const throttled = status === 429;
  const hint = status === 401 ? ` (check the credentials of the ${source})` : '';
  let retryAfterMs = parseRetryAfter(headers['retry-after'], Date.now());
  if (retryAfterMs === undefined && typeof body.details?.retryAfterSeconds === 'number') retryAfterMs = body.details.retryAfterSeconds * 1000;
  return new ProviderError('k8s', `${message}${hint}`, {
    operation: OPERATION,
    status,
    ...(reason ? { cloudCode: reason } : {}),
    throttled,
    ...(throttled || status >= 500 ? { retryAfterMs } : {}),
  });
}

function authHeaders(connection: KubeConnection): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (connection.token) headers.authorization = `Bearer ${connection.token}`;
  else if (connection.basic) headers.authorization = `Basic ${Buffer.from(`${connection.basic.username}:${connection.basic.password}`).toString('base64')}`;
  return headers;
}

export interface PodQuery {
  namespace: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * `perChunk` of every chunk of pods the query matches, in order (a list restarted after an expired
 * continue token gives only the new list's chunks). Each chunk is reduced as it arrives, so only
 * what `perChunk` keeps outlives it.
 */
export async function listPods<T>(ctx: ProviderContext, connection: KubeConnection, query: PodQuery, perChunk: (pods: Pod[]) => T): Promise<T[]> {
  const headers = authHeaders(connection);
  const tls = {
    ...(connection.ca ? { ca: connection.ca } : {}),
    ...(connection.cert && connection.key ? { cert: connection.cert, key: connection.key } : {}),
    ...(connection.servername ? { servername: connection.servername } : {}),
    ...(connection.insecure ? { rejectUnauthorized: false } : {}),
  };
  // The cluster's proxy-url replaces the environment's choice for this cluster, as in client-go.
  const proxy = connection.proxy ? { proxy: connection.proxy } : {};
  const toError = (error: unknown) => (error instanceof NetworkError ? new ProviderError('k8s', error.message, { operation: OPERATION, cause: error }) : error);
  for (let restart = 0; ; restart++) {
    const chunks: T[] = [];
    let token: string | undefined;
    let expired = false;
    do {
      const url = new URL(`${connection.server}/api/v1/namespaces/${encodeURIComponent(query.namespace)}/pods`);
      if (query.labelSelector) url.searchParams.set('labelSelector', query.labelSelector);
      if (query.fieldSelector) url.searchParams.set('fieldSelector', query.fieldSelector);
      url.searchParams.set('limit', String(PAGE_LIMIT));
      if (token) url.searchParams.set('continue', token);
      ctx.log.debug(`discover-k8s: GET ${url.pathname}${url.search.replace(/continue=[^&]*/, 'continue=…')}`);
      let body: unknown;
      try {
        body = await apiCall(ctx, { provider: 'k8s', operation: OPERATION, toError }, async () => {
          const response = await ctx.http.request(url, { headers, tls, ...proxy, signal: ctx.signal, okStatus: () => true });
          if (response.status !== 200) throw apiError(response.status, response.text(), response.headers, connection.source);
          return response.json<unknown>();
        });
      } catch (error) {
        if (error instanceof ProviderError && error.status === 410 && token !== undefined && restart < MAX_RESTARTS) {
          ctx.log.debug('discover-k8s: the continue token expired; listing again from the start');
          expired = true;
          break;
        }
        throw error;
      }
      const problem = malformedPodList(body);
      if (problem) throw new MalformedResponseError(`discover-k8s: ${OPERATION}: ${problem}`, `${url.origin}${url.pathname}`);
      const list = body as PodList;
      chunks.push(perChunk(list.items));
      token = list.metadata?.continue || undefined;
    } while (token);
    if (!expired) return chunks;
  }
}
