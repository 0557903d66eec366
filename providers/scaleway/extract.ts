/**
 * Scaleway Instance API v1 `GET /instance/v1/zones/{zone}/servers` pages -> targets, and the zone
 * names go-discover's legacy regions stand for. Pure: table-tested without a server.
 * Wire facts (provider-apis.md §6): `private_ip` is the legacy private address (null on routed-IP
 * instances); `public_ips[]` carry `family` `inet`/`inet6`; `public_ip` and `ipv6` are the
 * deprecated single-address forms. A routed-IP server's private-network addresses live in IPAM
 * (`GET /ipam/v1/regions/{region}/ips`), attached to its `private_nics[].id` (resource type
 * `instance_private_nic`), in CIDR notation (`10.1.220.2/22`).
 */
import type { Target } from '../../src/kit/index.js';

/** Every Instance API zone (the SDK's `AllZones` for the Instance product). */
export const ZONES = ['fr-par-1', 'fr-par-2', 'fr-par-3', 'nl-ams-1', 'nl-ams-2', 'nl-ams-3', 'pl-waw-1', 'pl-waw-2', 'pl-waw-3'] as const;

/** go-discover's regions: the legacy compute endpoints `cp-par1` and `cp-ams1`, today's first zone of each city. */
export const LEGACY_REGIONS: Readonly<Record<string, string>> = { par1: 'fr-par-1', ams1: 'nl-ams-1' };

export const SCALEWAY_ADDR_TYPES = ['private_v4', 'public_v4', 'public_v6', 'private_v6'] as const;
export type ScalewayAddrType = (typeof SCALEWAY_ADDR_TYPES)[number];

/**
 * The zones a `region` value names: a legacy region (`par1`), a zone (`fr-par-2`), or a region
 * (`fr-par`, every zone of it).
 * @returns undefined when the value is none of those
 */
export function zonesFor(value: string): string[] | undefined {
  const name = value.trim().toLowerCase();
  const legacy = LEGACY_REGIONS[name];
  if (legacy) return [legacy];
  if ((ZONES as readonly string[]).includes(name)) return [name];
  const inRegion = ZONES.filter((zone) => zone.startsWith(`${name}-`) && zone.split('-').length === 3 && name.split('-').length === 2);
  return inRegion.length > 0 ? inRegion : undefined;
}

/** One `public_ips[]` entry. */
export interface ScalewayServerIp {
  id?: string;
  address?: string;
  family?: 'inet' | 'inet6' | string;
  state?: string;
}

/** One `private_nics[]` entry: the server's NIC in a Private Network. */
export interface ScalewayPrivateNic {
  id: string;
  private_network_id?: string;
  mac_address?: string;
  state?: string;
}

/** One server of the list (the fields read here). */
export interface ScalewayServer {
  id: string;
  name: string;
  zone?: string;
  state?: string;
  tags?: string[] | null;
  private_ip?: string | null;
  public_ip?: { address?: string } | null;
  public_ips?: ScalewayServerIp[] | null;
  ipv6?: { address?: string } | null;
  private_nics?: ScalewayPrivateNic[] | null;
}

/** One IPAM IP (`ips[]` of `GET /ipam/v1/regions/{region}/ips`; the fields read here). */
export interface IpamIp {
  id: string;
  /** CIDR notation: `10.1.220.2/22`, `fd5f:519c:6d46:79c6:f8bf:36c6:9717:9271/64`. */
  address: string;
  is_ipv6: boolean;
  resource?: { id?: string; type?: string; name?: string | null; mac_address?: string | null } | null;
}

/** The region of a zone: `fr-par-1` -> `fr-par`. */
export function regionOf(zone: string): string {
  return zone.slice(0, zone.lastIndexOf('-'));
}

/** True when the asked address of this server can only come from IPAM. */
export function needsIpam(server: ScalewayServer, addrType: ScalewayAddrType): boolean {
  if ((server.private_nics ?? []).length === 0) return false;
  return addrType === 'private_v6' || (addrType === 'private_v4' && !server.private_ip);
}

/**
 * IPAM IPs -> the address of each private NIC (`resource.id`), prefix length dropped. A NIC with
 * more than one address of the family keeps the first one listed.
 */
export function nicAddresses(ips: readonly IpamIp[]): Map<string, string> {
  const byNic = new Map<string, string>();
  for (const ip of ips) {
    const nic = ip.resource?.type === 'instance_private_nic' ? ip.resource.id : undefined;
    if (!nic || byNic.has(nic)) continue;
    byNic.set(nic, ip.address.replace(/\/\d+$/, ''));
  }
  return byNic;
}

function privateNicAddress(server: ScalewayServer, byNic: ReadonlyMap<string, string>): string | undefined {
  for (const nic of server.private_nics ?? []) {
    const address = byNic.get(nic.id);
    if (address) return address;
  }
  return undefined;
}

function publicAddress(server: ScalewayServer, family: 'inet' | 'inet6'): string | undefined {
  const listed = (server.public_ips ?? []).find((ip) => ip.family === family && ip.address && (ip.state === undefined || ip.state === 'attached'));
  if (listed?.address) return listed.address;
  // The deprecated single-address fields, still sent for older instances.
  return (family === 'inet' ? server.public_ip?.address : server.ipv6?.address) || undefined;
}

/**
 * The address of the asked kind, or undefined when the server has none. Private addresses: the
 * legacy `private_ip`, else the first private NIC (in `private_nics` order) with an IPAM address
 * of that family (`byNic`, from {@link nicAddresses}).
 */
export function serverAddress(server: ScalewayServer, addrType: ScalewayAddrType, byNic: ReadonlyMap<string, string> = new Map()): string | undefined {
  switch (addrType) {
    case 'private_v4':
      return server.private_ip || privateNicAddress(server, byNic);
    case 'private_v6':
      return privateNicAddress(server, byNic);
    case 'public_v4':
      return publicAddress(server, 'inet');
    case 'public_v6':
      return publicAddress(server, 'inet6');
  }
}

/**
 * Servers -> targets, in API order. Only servers carrying `tagName` (go-discover's check, repeated
 * on top of the API's `tags` filter); servers without the asked address are named in `skipped`.
 */
export function extractTargets(
  servers: readonly ScalewayServer[],
  tagName: string,
  addrType: ScalewayAddrType,
  byNic: ReadonlyMap<string, string> = new Map(),
): { targets: Target[]; skipped: string[] } {
  const targets: Target[] = [];
  const skipped: string[] = [];
  for (const server of servers) {
    if (!(server.tags ?? []).includes(tagName)) continue;
    const address = serverAddress(server, addrType, byNic);
    if (address === undefined) {
      skipped.push(server.name);
      continue;
    }
    const target: Target = { address, id: server.id, name: server.name };
    if (server.zone) target.zone = server.zone;
    targets.push(target);
  }
  return { targets, skipped };
}

/** Why a 200 body is not a servers page; undefined when it is. */
export function malformedPage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response is not a JSON object';
  const servers = (body as { servers?: unknown }).servers;
  if (!Array.isArray(servers)) return 'the response has no "servers" array';
  for (const [i, server] of servers.entries()) {
    if (typeof server !== 'object' || server === null) return `servers[${i}] is not an object`;
    const s = server as Record<string, unknown>;
    if (typeof s.id !== 'string' || typeof s.name !== 'string') return `servers[${i}] has no string "id" and "name"`;
  }
  return undefined;
}

/** Why a 200 body is not an IPAM `ListIPs` page; undefined when it is. */
export function malformedIpamPage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response is not a JSON object';
  const { ips, total_count: total } = body as { ips?: unknown; total_count?: unknown };
  if (!Array.isArray(ips)) return 'the response has no "ips" array';
  if (typeof total !== 'number') return 'the response has no numeric "total_count"';
  for (const [i, ip] of ips.entries()) {
    if (typeof ip !== 'object' || ip === null) return `ips[${i}] is not an object`;
    const entry = ip as Record<string, unknown>;
    if (typeof entry.id !== 'string' || typeof entry.address !== 'string') return `ips[${i}] has no string "id" and "address"`;
  }
  return undefined;
}

/** Scaleway's error body `{"message","type",...}`, when the body is one. */
export function parseScalewayError(text: string): { type: string; message: string } | undefined {
  try {
    const body = JSON.parse(text) as { message?: unknown; type?: unknown };
    if (typeof body.message === 'string' || typeof body.type === 'string') {
      return { type: typeof body.type === 'string' ? body.type : '', message: typeof body.message === 'string' ? body.message : '' };
    }
  } catch {
    // Not JSON: the caller uses the status alone.
  }
  return undefined;
}
