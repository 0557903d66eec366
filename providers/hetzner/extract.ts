/**
 * Hetzner Cloud `GET /v1/servers` pages -> targets. Pure: table-tested without a server.
 * Wire facts (provider-apis.md §12): `public_net.ipv6.ip` is the server's /64, whose `::1` is the
 * address Hetzner configures; `private_net[]` holds one entry per attached network; paging is
 * `meta.pagination.next_page` (null on the last page).
 */
import type { Target } from '../../src/kit/index.js';

/** The address kinds a Hetzner server can have (private networks are IPv4 only). */
export const HETZNER_ADDR_TYPES = ['private_v4', 'public_v4', 'public_v6'] as const;
export type HetznerAddrType = (typeof HETZNER_ADDR_TYPES)[number];

/** One server of `GET /v1/servers` (the fields read here). */
export interface HetznerServer {
  id: number;
  name: string;
  status?: string;
  labels?: Record<string, string>;
  location?: { name?: string } | null;
  /** Removed from the API on 2026-07-01; read only when `location` is absent. */
  datacenter?: { location?: { name?: string } } | null;
  public_net?: {
    ipv4?: { ip?: string } | null;
    ipv6?: { ip?: string } | null;
  } | null;
  private_net?: Array<{ network?: number; ip?: string; alias_ips?: string[] }> | null;
}

/** One page of `GET /v1/servers`. */
export interface HetznerServerPage {
  servers: HetznerServer[];
  meta: { pagination: { page: number; per_page: number; next_page: number | null; last_page?: number | null; total_entries?: number | null } };
}

/** What to take from each server. */
export interface HetznerSelection {
  addrType: HetznerAddrType;
  /** For private_v4: only the address in this network id; else the first private network's. */
  network?: number;
  /** Keep only servers in these locations (`fsn1`, `nbg1`...); empty or undefined keeps all. */
  locations?: readonly string[];
}

/** The server's location name, from `location` or (older answers) `datacenter.location`. */
export function serverLocation(server: HetznerServer): string | undefined {
  return server.location?.name ?? server.datacenter?.location?.name ?? undefined;
}

/** The host address Hetzner configures in a server's /64: `<prefix>::1`. */
export function ipv6HostAddress(network: string): string | undefined {
  const match = /^([0-9a-f:]+?)(::)?\/(\d+)$/i.exec(network.trim());
  if (!match) return undefined;
  const prefix = match[1] as string;
  // `2001:db8:1:2::/64` -> `2001:db8:1:2::1`; a full 8-group prefix cannot take ::1.
  return match[2] === '::' ? `${prefix}::1` : prefix.split(':').length < 8 ? `${prefix}::1` : undefined;
}

/** The address of the asked kind, or undefined when the server has none. */
export function serverAddress(server: HetznerServer, selection: HetznerSelection): string | undefined {
  switch (selection.addrType) {
    case 'public_v4':
      return server.public_net?.ipv4?.ip || undefined;
    case 'public_v6': {
      const network = server.public_net?.ipv6?.ip;
      return network ? ipv6HostAddress(network) : undefined;
    }
    case 'private_v4': {
      const nets = server.private_net ?? [];
      const net = selection.network === undefined ? nets[0] : nets.find((n) => n.network === selection.network);
      return net?.ip || undefined;
    }
  }
}

/**
 * Servers -> targets, in API order. Servers outside `locations` are left out; servers without an
 * address of the asked kind are counted in `skipped` (for the `-v` log), never given another kind.
 */
export function extractTargets(servers: readonly HetznerServer[], selection: HetznerSelection): { targets: Target[]; skipped: string[] } {
  const targets: Target[] = [];
  const skipped: string[] = [];
  const locations = selection.locations && selection.locations.length > 0 ? new Set(selection.locations) : undefined;
  for (const server of servers) {
    const location = serverLocation(server);
    if (locations && !(location !== undefined && locations.has(location))) continue;
    const address = serverAddress(server, selection);
    if (address === undefined) {
      skipped.push(server.name);
      continue;
    }
    const target: Target = { address, id: String(server.id), name: server.name };
    if (location !== undefined) target.zone = location;
    targets.push(target);
  }
  return { targets, skipped };
}

/** Why a 200 body is not a servers page; undefined when it is. */
export function malformedPage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response is not a JSON object';
  const page = body as Record<string, unknown>;
  if (!Array.isArray(page.servers)) return 'the response has no "servers" array';
  for (const [i, server] of page.servers.entries()) {
    if (typeof server !== 'object' || server === null) return `servers[${i}] is not an object`;
    const s = server as Record<string, unknown>;
    if (typeof s.id !== 'number' || typeof s.name !== 'string') return `servers[${i}] has no numeric "id" and string "name"`;
  }
  const pagination = (page.meta as { pagination?: unknown } | undefined)?.pagination as Record<string, unknown> | undefined;
  if (typeof pagination !== 'object' || pagination === null) return 'the response has no "meta.pagination"';
  if (typeof pagination.page !== 'number') return '"meta.pagination.page" is not a number';
  if (pagination.next_page !== null && pagination.next_page !== undefined && typeof pagination.next_page !== 'number') {
    return '"meta.pagination.next_page" is neither a number nor null';
  }
  return undefined;
}

/** The Hetzner error body `{"error":{"code","message"}}`, when the body is one. */
export function parseHetznerError(text: string): { code: string; message: string } | undefined {
  try {
    const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (error && typeof error.code === 'string') return { code: error.code, message: typeof error.message === 'string' ? error.message : '' };
  } catch {
    // Not JSON (a proxy's or load balancer's page): the caller uses the status alone.
  }
  return undefined;
}
