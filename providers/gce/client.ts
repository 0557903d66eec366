/**
 * The official SDK, wired for autojoin: `@google-cloud/compute` v1 clients over REST
 * (`fallback: 'rest'`), deep-imported (the package index loads every API and takes over a
 * second), authenticated by google-auth-library through ctx.http's agents, SDK retries off.
 * Every page is one call wrapped in the one retry policy (`retryCall`).
 */
import { setMaxListeners } from 'node:events';
import { ZonesClient } from '@google-cloud/compute/build/src/v1/zones_client.js';
import type { AuthClient } from 'google-auth-library';
import { apiCall, type ProviderContext, ProviderError } from '../../src/kit/index.js';
import type { GceInstance } from './extract.js';
import { classifyGceError, malformedResponse, toProviderError } from './errors.js';
import { AGGREGATED_FIELDS, FIELD_MASK_HEADER, LIST_FIELDS, ZONE_FIELDS } from './fields.js';
import { callAuth, sharedClients } from './shared.js';

/** Compute's maximum page size. */
export const PAGE_SIZE = 500;
/** Zones listed at once when a zone_pattern asks for per-zone listing. */
const ZONE_CONCURRENCY = 8;

/** `endpoint=` -> gax connection options; default compute.googleapis.com:443 over https. */
export function endpointOptions(endpoint: string | undefined): { apiEndpoint: string; port: number; protocol: 'http' | 'https' } {
  if (!endpoint) return { apiEndpoint: 'compute.googleapis.com', port: 443, protocol: 'https' };
  const url = new URL(endpoint);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    // gax builds `${protocol}://${apiEndpoint}:${port}/...`: an IPv6 literal keeps its brackets.
    apiEndpoint: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
  };
}

interface CallOptions {
  autoPaginate: false;
  retry: null;
  timeout?: number;
  otherArgs?: { headers: Record<string, string> };
}

/** Per-call options: no gax retries (retryCall is the one policy), no auto-pagination (we page), the field mask. */
function callOptions(ctx: ProviderContext, fieldMask: string | undefined): CallOptions {
  const options: CallOptions = { autoPaginate: false, retry: null };
  if (ctx.deadline !== undefined) options.timeout = Math.max(1, ctx.deadline - Date.now());
  if (fieldMask) options.otherArgs = { headers: { [FIELD_MASK_HEADER]: fieldMask } };
  return options;
}

/** The path of the request a gaxios error is about ('' when unknown). */
function failedUrlPath(err: unknown): string {
  const url = (err as { config?: { url?: unknown } } | null)?.config?.url;
  try {
    return url === undefined ? '' : new URL(String(url)).pathname;
  } catch {
    return '';
  }
}

/** Whether partial responses are still asked for in this discovery call (off after a refusal). */
interface MaskState {
  enabled: boolean;
}

/** One API call under the shared retried call, its failure typed. */
function attempt<T>(ctx: ProviderContext, operation: string, fn: () => Promise<T>): Promise<T> {
  return apiCall(ctx, { provider: 'gce', operation, toError: toProviderError, classify: classifyGceError }, fn);
}

/** The page fields of compute list responses. */
interface RawPage {
  nextPageToken?: string | null;
}

/** A raw page call: the generated client's paged method with `autoPaginate: false`. */
type PageCall<Res> = (request: PageRequest, options: CallOptions) => Promise<[unknown, unknown, Res | null | undefined]>;

/** A list request: project, zone, filter, maxResults, pageToken... */
type PageRequest = Record<string, string | number | boolean | undefined>;

/** Follows `nextPageToken` to the end; each page retried on its own. */
async function allPages<Res extends RawPage>(
  ctx: ProviderContext,
  operation: string,
  call: PageCall<Res>,
  request: PageRequest,
  fields: { mask: string; state: MaskState },
  onPage: (page: Res) => void,
): Promise<number> {
  let pageToken: string | undefined;
  let pages = 0;
  const seen = new Set<string>();
  do {
    const page = await attempt(ctx, operation, async () => {
      const fetchPage = async () => {
        const mask = fields.state.enabled ? fields.mask : undefined;
        // Aborting is done below gax: the auth transport ties each request to the call's signal
        // (gax's own cancel() path reports the aborted fetch a second time, uncaught).
        const [, , raw] = await call({ ...request, ...(pageToken ? { pageToken } : {}) }, callOptions(ctx, mask));
        return raw;
      };
      let raw: Res | null | undefined;
      try {
        raw = await fetchPage();
      } catch (err) {
        const status = (toProviderError(err, operation) as ProviderError).status;
        // A 400 from compute while asking for a partial response: the mask may be what it refuses.
        // Ask once more without it (and not again in this call); a second 400 is the real answer.
        // (A 400 from the token endpoint is about credentials, not the mask.)
        if (status !== 400 || !fields.state.enabled || !/\/compute\//.test(failedUrlPath(err))) throw err;
        fields.state.enabled = false;
        ctx.log.warn(`discover-gce: ${operation}: the server refused the field mask; asking for whole resources`);
        raw = await fetchPage();
      }
      if (!raw || typeof raw !== 'object') throw malformedResponse(operation, 'malformed response: no body', '');
      return raw;
    });
    pages++;
    onPage(page);
    const next = page.nextPageToken || undefined;
    // A server repeating a token would loop forever; treat it as a broken answer.
    if (next && seen.has(next)) throw malformedResponse(operation, 'malformed response: the same nextPageToken twice', '');
    if (next) seen.add(next);
    pageToken = next;
  } while (pageToken);
  return pages;
}

export interface ListOptions {
  project: string;
  /** compute filter for instances (labels, status). */
  filter: string | undefined;
  /** Set: list zones matching it (`name eq <RE2>`), then each zone's instances. Unset: one aggregated listing. */
  zoneFilter: string | undefined;
}

export interface ListResult<T> {
  /** What `perPage` returned, page after page, in API order (zone order for per-zone listing). */
  results: T[];
  /** Instances listed (before any client-side condition). */
  listed: number;
  zones: string[] | undefined;
  requests: number;
}

/** The compute clients for one discovery call. */
export interface GceClients {
  /**
   * Lists instances; `perPage` turns each page into results at once, so only those outlive a page
   * (10,000 decoded instances would otherwise sit in memory together).
   */
  list<T>(options: ListOptions, perPage: (instances: GceInstance[]) => T[]): Promise<ListResult<T>>;
  close(): Promise<void>;
}

interface AggregatedPage extends RawPage {
  items?: Record<string, { instances?: GceInstance[] | null } | null> | null;
}
interface InstancePage extends RawPage {
  items?: GceInstance[] | null;
}
interface ZonePage extends RawPage {
  items?: Array<{ name?: string | null }> | null;
}

/** Builds (or reuses) the clients; `auth` comes from auth.ts (already wired to ctx.http). */
export function createClients(endpoint: string | undefined, auth: AuthClient, outer: ProviderContext): GceClients {
  // A signal of our own: up to 8 zones in flight each add abort listeners, past Node's warning limit of 10.
  const local = new AbortController();
  setMaxListeners(64, local.signal);
  const forward = () => local.abort(outer.signal.reason);
  if (outer.signal.aborted) forward();
  else outer.signal.addEventListener('abort', forward, { once: true });
  const ctx: ProviderContext = { ...outer, signal: local.signal };
  const clients = sharedClients(endpointOptions(endpoint));
  const instances = clients.instances;
  const masks: MaskState = { enabled: true };

  async function listAggregated<T>(options: ListOptions, perPage: (instances: GceInstance[]) => T[]): Promise<ListResult<T>> {
    await callAuth.run(auth, () => instances.initialize());
    // The generated class offers aggregatedList only as an async iterator, which hides page
    // tokens; the page-level call below is the same one that iterator makes, one page at a time.
    const inner = (instances as unknown as { innerApiCalls: Record<string, PageCall<AggregatedPage>> }).innerApiCalls;
    const call = inner.aggregatedList;
    if (!call) throw new ProviderError('gce', 'the SDK has no aggregatedList call', { operation: 'instances.aggregatedList' });
    const results: T[] = [];
    let listed = 0;
    const request = {
      project: options.project,
      maxResults: PAGE_SIZE,
      returnPartialSuccess: false,
      ...(options.filter ? { filter: options.filter } : {}),
    };
    const requests = await allPages(ctx, 'instances.aggregatedList', call, request, { mask: AGGREGATED_FIELDS, state: masks }, (page) => {
      for (const scoped of Object.values(page.items ?? {})) {
        const instances = scoped?.instances ?? [];
        listed += instances.length;
        for (const result of perPage(instances)) results.push(result);
      }
    });
    return { results, listed, zones: undefined, requests };
  }

  async function listByZone<T>(options: ListOptions, perPage: (instances: GceInstance[]) => T[]): Promise<ListResult<T>> {
    clients.zones ??= new ZonesClient(clients.connection as ConstructorParameters<typeof ZonesClient>[0]);
    const zoneClient = clients.zones;
    const zoneNames: string[] = [];
    let requests = await allPages<ZonePage>(
      ctx,
      'zones.list',
      (req, opts) => zoneClient.list(req, opts) as Promise<[unknown, unknown, ZonePage]>,
      { project: options.project, maxResults: PAGE_SIZE, filter: options.zoneFilter },
      { mask: ZONE_FIELDS, state: masks },
      (page) => {
        for (const z of page.items ?? []) if (z.name) zoneNames.push(z.name);
      },
    );
    const perZone: T[][] = zoneNames.map(() => []);
    let listed = 0;
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < zoneNames.length; index = next++) {
        const zone = zoneNames[index]!;
        const request = { project: options.project, zone, maxResults: PAGE_SIZE, ...(options.filter ? { filter: options.filter } : {}) };
        requests += await allPages<InstancePage>(
          ctx,
          `instances.list ${zone}`,
          (req, opts) => instances.list(req, opts) as Promise<[unknown, unknown, InstancePage]>,
          request,
          { mask: LIST_FIELDS, state: masks },
          (page) => {
            const instances = page.items ?? [];
            listed += instances.length;
            for (const result of perPage(instances)) perZone[index]!.push(result);
          },
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(ZONE_CONCURRENCY, zoneNames.length) }, worker));
    return { results: perZone.flat(), listed, zones: zoneNames, requests };
  }

  return {
    // Every compute request made below runs with this call's credentials.
    list: (options, perPage) => callAuth.run(auth, () => (options.zoneFilter ? listByZone(options, perPage) : listAggregated(options, perPage))),
    async close() {
      // The SDK clients are shared (see routingAuth); only this call's listener goes.
      outer.signal.removeEventListener('abort', forward);
    },
  };
}
