/**
 * Keystone v3 then Nova over HTTP: `POST {auth_url}/v3/auth/tokens` (the token in
 * `X-Subject-Token`), the compute endpoint from the token's catalog, then
 * `GET {compute}/servers/detail?status=ACTIVE&limit=1000` following `servers_links` next to the
 * last page. A 401 from Nova (the token expired mid-walk) renews the token once; a second 401 is a
 * typed error. Each request is retried on its own under the shared policy.
 */
import {
  apiCall,
  MalformedResponseError,
  NetworkError,
  ProviderError,
  type RequestTlsOptions,
  type ProviderContext,
  parseRetryAfter,
  printableLine,
} from '../../src/kit/index.js';
import {
  authBody,
  type CatalogEntry,
  computeEndpoint,
  malformedPage,
  type NovaServer,
  nextPage,
  type OsCredential,
  type OsScope,
  type ServersPage,
} from './extract.js';

/** Nova's `[api] max_limit` default: asking for more is clamped to it. */
export const PAGE_LIMIT = 1000;

export interface OsQuery {
  authUrl: string;
  credential: OsCredential;
  scope: OsScope;
  region: string;
  iface: string;
  insecure: boolean;
}

/** The token URL: `auth_url` as given when it ends in `/v3`, else with `/v3` added. */
export function tokensUrl(authUrl: string): URL {
  const trimmed = authUrl.replace(/\/+$/, '');
  return new URL(`${/\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`}/auth/tokens`);
}

/** Which credential Keystone refused, in words that never hold the secret. */
function refused(credential: OsCredential): string {
  switch (credential.method) {
    case 'password':
      return `the password of user ${JSON.stringify(credential.userId ?? credential.userName ?? '')} was refused (check password / OS_PASSWORD)`;
    case 'token':
      return 'the token was refused: expired, revoked or never valid (check token / OS_AUTH_TOKEN)';
    case 'application_credential':
      return `the secret of application credential ${JSON.stringify(credential.id ?? credential.name ?? '')} was refused (check application_credential_secret / OS_APPLICATION_CREDENTIAL_SECRET)`;
  }
}

/** A ProviderError from Keystone's `{"error": {...}}` or Nova's `{"<fault>": {code, message}}` body. */
export function osError(operation: string, status: number, text: string, headers: Record<string, string | string[] | undefined>): ProviderError {
  let fault: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as Record<string, { message?: unknown; title?: unknown }>;
    const [name, detail] = Object.entries(body)[0] ?? [];
    if (name && detail && typeof detail === 'object') {
      fault = printableLine(name === 'error' && typeof detail.title === 'string' ? detail.title : name, 60);
      if (typeof detail.message === 'string') message = printableLine(detail.message, 200);
    }
  } catch {
    // A proxy page: the status says enough.
  }
  return new ProviderError('os', message ?? `HTTP ${status}`, {
    operation,
    status,
    ...(fault ? { cloudCode: fault } : {}),
    // Nova's legacy rate limiting: 413 or 429 `overLimit` with Retry-After.
    throttled: status === 429 || (status === 413 && fault === 'overLimit'),
    retryAfterMs: parseRetryAfter(headers['retry-after'], Date.now()),
  });
}

function toOsError(error: unknown, operation: string): unknown {
  if (!(error instanceof NetworkError)) return error;
  return new ProviderError('os', error.message, { operation, cause: error });
}

interface Session {
  token: string;
  compute: string;
}

/**
 * `perPage` of every page of the project's ACTIVE servers, in order. Each page is reduced as it
 * arrives, so only what `perPage` keeps outlives it.
 */
export async function listServers<T>(ctx: ProviderContext, query: OsQuery, perPage: (servers: NovaServer[]) => T): Promise<T[]> {
  const tls: RequestTlsOptions | undefined = query.insecure ? { rejectUnauthorized: false } : undefined;

  const authenticate = async (): Promise<Session> => {
    const url = tokensUrl(query.authUrl);
    ctx.log.debug(`discover-os: POST ${url.pathname} (${query.credential.method})`);
    const { token, body } = await apiCall(ctx, { provider: 'os', operation: 'Authenticate', toError: toOsError }, async () => {
      const response = await ctx.http.request(url, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify(authBody(query.credential, query.scope)),
        signal: ctx.signal,
        okStatus: () => true,
        ...(tls ? { tls } : {}),
      });
      if (response.status === 401) {
        const cause = osError('Authenticate', 401, response.text(), response.headers);
        throw new ProviderError('os', `authentication failed: ${refused(query.credential)}`, {
          operation: 'Authenticate',
          status: 401,
          cloudCode: cause.cloudCode,
          cause,
        });
      }
      if (response.status !== 201 && response.status !== 200) throw osError('Authenticate', response.status, response.text(), response.headers);
      const header = response.headers['x-subject-token'];
      return { token: Array.isArray(header) ? header[0] : header, body: response.json<{ token?: { catalog?: CatalogEntry[] } }>() };
    });
    if (!token) throw new MalformedResponseError('discover-os: Authenticate: the answer has no X-Subject-Token header', `${url.origin}${url.pathname}`);
    const catalog = body?.token?.catalog;
    if (!Array.isArray(catalog))
      throw new MalformedResponseError('discover-os: Authenticate: the token has no service catalog', `${url.origin}${url.pathname}`);
    const compute = computeEndpoint(catalog, query.region, query.iface);
    if (typeof compute !== 'string') throw new ProviderError('os', `ComputeClient initialization failed: ${compute.problem}`, { operation: 'ComputeClient' });
    return { token, compute };
  };

  let session = await authenticate();
  let renewed = false;
  const pages: T[] = [];
  const seen = new Set<string>();
  let url: string | undefined = `${session.compute.replace(/\/+$/, '')}/servers/detail?status=ACTIVE&limit=${PAGE_LIMIT}`;
  while (url !== undefined) {
    if (seen.has(url))
      throw new MalformedResponseError('discover-os: ListServers: servers_links next points back to a page already read', url.replace(/\?.*$/, ''));
    seen.add(url);
    const pageUrl = new URL(url);
    ctx.log.debug(`discover-os: GET ${pageUrl.pathname}${pageUrl.search}`);
    let page: unknown;
    try {
      page = await getPage(ctx, pageUrl, session.token, tls);
    } catch (error) {
      if (!(error instanceof ProviderError && error.status === 401)) throw error;
      if (renewed) {
        throw new ProviderError('os', 'authentication failed: the compute API refused a renewed token (check the role assignments of the project)', {
          operation: 'ListServers',
          status: 401,
          cloudCode: error.cloudCode,
          cause: error,
        });
      }
      ctx.log.info('discover-os: the compute API refused the token (expired?); authenticating again, once');
      renewed = true;
      session = await authenticate();
      seen.delete(url);
      continue;
    }
    const problem = malformedPage(page);
    if (problem) throw new MalformedResponseError(`discover-os: ListServers: ${problem}`, `${pageUrl.origin}${pageUrl.pathname}`);
    pages.push(perPage((page as ServersPage).servers));
    url = nextPage(page as ServersPage);
  }
  return pages;
}

async function getPage(ctx: ProviderContext, url: URL, token: string, tls: RequestTlsOptions | undefined): Promise<unknown> {
  return apiCall(ctx, { provider: 'os', operation: 'ListServers', toError: toOsError }, async () => {
    const response = await ctx.http.request(url, {
      headers: { accept: 'application/json', 'x-auth-token': token },
      signal: ctx.signal,
      okStatus: () => true,
      ...(tls ? { tls } : {}),
    });
    if (response.status !== 200) throw osError('ListServers', response.status, response.text(), response.headers);
    return response.json<unknown>();
  });
}
