/**
 * Pure parts of provider=os: the Keystone v3 auth body (password, token, application credential),
 * the compute endpoint picked from the service catalog, Nova's pages, and servers -> targets
 * (go-discover: metadata `tag_key == tag_value`, every `fixed` address, v4 and v6).
 */

/** Who authenticates, and how (one of three Keystone methods). */
export type OsCredential =
  | { method: 'password'; userName?: string; userId?: string; password: string }
  | { method: 'token'; token: string }
  | { method: 'application_credential'; id?: string; name?: string; secret: string; userName?: string; userId?: string };

export interface OsScope {
  projectId?: string;
  projectName?: string;
  domainId?: string;
  domainName?: string;
}

const domainOf = (scope: OsScope) => (scope.domainId ? { id: scope.domainId } : scope.domainName ? { name: scope.domainName } : undefined);

/** The `POST /v3/auth/tokens` body gophercloud sends for these options. */
export function authBody(credential: OsCredential, scope: OsScope): Record<string, unknown> {
  const domain = domainOf(scope);
  const user = (name: string | undefined, id: string | undefined) => (id ? { id } : { name, ...(domain ? { domain } : {}) });
  let identity: Record<string, unknown>;
  if (credential.method === 'password') {
    identity = { methods: ['password'], password: { user: { ...user(credential.userName, credential.userId), password: credential.password } } };
  } else if (credential.method === 'token') {
    identity = { methods: ['token'], token: { id: credential.token } };
  } else {
    const appCred: Record<string, unknown> = credential.id
      ? { id: credential.id, secret: credential.secret }
      : { name: credential.name, secret: credential.secret, user: user(credential.userName, credential.userId) };
    // An application credential carries its own scope: Keystone refuses one in the request.
    return { auth: { identity: { methods: ['application_credential'], application_credential: appCred } } };
  }
  const project = scope.projectId ? { id: scope.projectId } : scope.projectName ? { name: scope.projectName, ...(domain ? { domain } : {}) } : undefined;
  return { auth: { identity, ...(project ? { scope: { project } } : {}) } };
}

/** One catalog entry of a token. */
export interface CatalogEntry {
  type?: string;
  name?: string;
  endpoints?: Array<{ interface?: string; region?: string; region_id?: string; url?: string }>;
}

/** The compute endpoint for the region and interface (gophercloud's `EndpointOpts`), or why there is none. */
export function computeEndpoint(catalog: readonly CatalogEntry[], region: string, iface: string): string | { problem: string } {
  const compute = catalog.filter((entry) => entry.type === 'compute');
  if (compute.length === 0) return { problem: 'the service catalog has no compute service' };
  const urls = compute.flatMap((entry) =>
    (entry.endpoints ?? []).filter((e) => e.interface === iface && (region === '' || e.region_id === region || e.region === region)).map((e) => e.url),
  );
  const found = [...new Set(urls.filter((u): u is string => typeof u === 'string' && u !== ''))];
  if (found.length === 0) {
    const offered = compute.flatMap((entry) => (entry.endpoints ?? []).map((e) => `${e.region_id ?? e.region ?? '?'}/${e.interface ?? '?'}`));
    return { problem: `no compute endpoint for region ${JSON.stringify(region)} and interface ${iface} (the catalog offers ${offered.join(', ') || 'none'})` };
  }
  if (found.length > 1) return { problem: `several compute endpoints for region ${JSON.stringify(region)} and interface ${iface}` };
  return found[0] as string;
}

/** One Nova server with the fields read. */
export interface NovaServer {
  id?: string;
  name?: string;
  status?: string;
  metadata?: Record<string, string>;
  addresses?: Record<string, Array<{ addr?: string; version?: number; 'OS-EXT-IPS:type'?: string }>>;
  'OS-EXT-AZ:availability_zone'?: string;
}

export interface ServersPage {
  servers: NovaServer[];
  servers_links?: Array<{ rel?: string; href?: string }>;
}

/** Why a 200 body is not a servers page, or undefined. */
export function malformedPage(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || !Array.isArray((body as ServersPage).servers)) return 'the response has no servers array';
  const bad = (body as ServersPage).servers.findIndex((s) => s === null || typeof s !== 'object');
  return bad >= 0 ? `servers[${bad}] is not an object` : undefined;
}

/** The next page's URL (`servers_links` rel=next, followed verbatim as gophercloud does), or undefined. */
export function nextPage(page: ServersPage): string | undefined {
  return page.servers_links?.find((link) => link.rel === 'next')?.href;
}

/**
 * Servers -> targets: a server matches when `tag_key` is not given, or its metadata value for
 * `tag_key` equals `tag_value` (a missing key reads as empty, as a Go map); every `fixed` address
 * of every network, v4 and v6 (floating addresses are not the server's own).
 */
export function serverTargets(
  servers: readonly NovaServer[],
  tagKey: string | undefined,
  tagValue: string | undefined,
): Array<{ address: string; id?: string; name?: string }> {
  const targets: Array<{ address: string; id?: string; name?: string }> = [];
  for (const server of servers) {
    if (tagKey !== undefined && (server.metadata?.[tagKey] ?? '') !== (tagValue ?? '')) continue;
    for (const network of Object.values(server.addresses ?? {})) {
      for (const entry of network ?? []) {
        if (entry['OS-EXT-IPS:type'] !== 'fixed' || typeof entry.addr !== 'string' || entry.addr === '') continue;
        targets.push({ address: entry.addr, ...(server.id ? { id: server.id } : {}), ...(server.name ? { name: server.name } : {}) });
      }
    }
  }
  return targets;
}
