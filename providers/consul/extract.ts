/**
 * Consul catalog and health responses -> targets. Pure: table-tested without a server.
 * Wire facts (provider-apis.md §13): if `ServiceAddress` (catalog) or `Service.Address` (health)
 * is empty the node's `Address` is the instance's address; the port is the service port.
 */
import type { Target } from '../../src/kit/index.js';

/** One element of `GET /v1/catalog/service/:name` (the fields read here). */
export interface CatalogServiceEntry {
  ID?: string;
  Node: string;
  Address: string;
  Datacenter?: string;
  ServiceID?: string;
  ServiceName?: string;
  ServiceAddress?: string;
  ServicePort?: number;
  ServiceTags?: string[] | null;
}

/** One element of `GET /v1/health/service/:name` (the fields read here). */
export interface HealthServiceEntry {
  Node: { ID?: string; Node: string; Address: string; Datacenter?: string };
  Service: { ID?: string; Service?: string; Tags?: string[] | null; Address?: string; Port?: number };
  Checks?: Array<{ Status?: string }>;
}

/** The parts of an instance a target is made from, whichever endpoint gave it. */
interface Instance {
  node: string;
  nodeAddress: string;
  serviceAddress: string | undefined;
  port: number | undefined;
  serviceId: string | undefined;
  datacenter: string | undefined;
  tags: readonly string[];
}

function toTarget(instance: Instance): Target | undefined {
  // Consul's rule: the service address, or its node's when the service registered none.
  const address = instance.serviceAddress || instance.nodeAddress;
  if (!address) return undefined;
  const target: Target = { address, name: instance.node };
  if (instance.port !== undefined && instance.port > 0) target.port = instance.port;
  if (instance.serviceId) target.id = instance.serviceId;
  if (instance.datacenter) target.zone = instance.datacenter;
  if (instance.tags.length > 0) target.meta = { tags: instance.tags.join(',') };
  return target;
}

/** Why a body is not what the endpoint documents; undefined when it is. */
export function malformed(body: unknown, kind: 'catalog' | 'health'): string | undefined {
  if (!Array.isArray(body)) return 'the response is not a JSON array';
  for (const [i, item] of body.entries()) {
    if (typeof item !== 'object' || item === null) return `element ${i} is not an object`;
    const entry = item as Record<string, unknown>;
    if (kind === 'health' && (typeof entry.Node !== 'object' || entry.Node === null || typeof entry.Service !== 'object' || entry.Service === null)) {
      return `element ${i} has no Node or Service object`;
    }
  }
  return undefined;
}

/**
 * Targets of a catalog answer, in the order Consul sent them (it sorts by node, or by
 * distance with `near`). Instances without any address are left out.
 */
export function catalogTargets(entries: readonly CatalogServiceEntry[]): Target[] {
  return entries.flatMap((e) => {
    const target = toTarget({
      node: e.Node,
      nodeAddress: e.Address,
      serviceAddress: e.ServiceAddress,
      port: e.ServicePort,
      serviceId: e.ServiceID,
      datacenter: e.Datacenter,
      tags: e.ServiceTags ?? [],
    });
    return target ? [target] : [];
  });
}

/** Targets of a health answer (already filtered by Consul when `passing` was asked for). */
export function healthTargets(entries: readonly HealthServiceEntry[]): Target[] {
  return entries.flatMap((e) => {
    const target = toTarget({
      node: e.Node.Node,
      nodeAddress: e.Node.Address,
      serviceAddress: e.Service.Address,
      port: e.Service.Port,
      serviceId: e.Service.ID,
      datacenter: e.Node.Datacenter,
      tags: e.Service.Tags ?? [],
    });
    return target ? [target] : [];
  });
}

/**
 * The agent's base URL from `address`: `host:port` (Consul's `CONSUL_HTTP_ADDR` form), or an
 * http(s) URL. `https` is chosen for a bare `host:port` when `ssl` is set (`CONSUL_HTTP_SSL`).
 * @returns undefined when the text is neither
 */
export function consulBaseUrl(address: string, ssl = false): URL | undefined {
  const text = address.trim();
  if (text === '') return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${ssl ? 'https' : 'http'}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash) return undefined;
  return url;
}

/** Query options of one lookup beyond the service: Consul API `QueryOptions`. */
export interface ServiceQuery {
  service: string;
  passing: boolean;
  tags: readonly string[];
  dc?: string;
  /** `near=`: sort by round-trip time from this node (`_agent`: the agent asked). */
  near?: string;
  /** `stale`: any server may answer, not only the leader (AllowStale). */
  stale?: boolean;
  /** `wait=`, as the API client writes it (`2000ms`). */
  wait?: string;
}

/**
 * The request URL for one lookup. `tag` repeats (Consul ANDs them); `passing` is a bare flag.
 * Parameters come in the order Go's `url.Values.Encode` sorts them: dc, near, stale, tag, wait.
 */
export function serviceUrl(base: URL, options: ServiceQuery): URL {
  const path = options.passing ? 'health' : 'catalog';
  const url = new URL(`${base.pathname.replace(/\/$/, '')}/v1/${path}/service/${encodeURIComponent(options.service)}`, base);
  if (options.dc) url.searchParams.set('dc', options.dc);
  if (options.near) url.searchParams.set('near', options.near);
  // The API client sets `stale` to "", which encodes as `stale=`.
  if (options.stale) url.searchParams.set('stale', '');
  for (const tag of options.tags) url.searchParams.append('tag', tag);
  if (options.wait) url.searchParams.set('wait', options.wait);
  // `?passing` with no value, as the Consul API client sends it.
  return options.passing ? new URL(`${url.href}${url.search ? '&' : '?'}passing`) : url;
}

/** `GET /v1/catalog/datacenters` under the agent's base URL (a path prefix kept). */
export function datacentersUrl(base: URL): URL {
  return new URL(`${base.pathname.replace(/\/$/, '')}/v1/catalog/datacenters`, base);
}
