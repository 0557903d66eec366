/**
 * Linode API v4 instance pages and IP answers -> targets. Pure: table-tested without a server.
 * Wire facts (provider-apis.md §3): the list body already carries `ipv4[]` (public and private
 * mixed, as strings) and `ipv6` (the SLAAC address, `addr/128`); VPC and link-local addresses are
 * only in `GET /linode/instances/{id}/ips`.
 */
import type { Target } from '../../src/kit/index.js';

/** go-discover's `address_type` values. */
export const LINODE_ADDRESS_TYPES = ['private_v4', 'public_v4', 'vpc_v4', 'public_v6', 'private_v6'] as const;
export type LinodeAddressType = (typeof LINODE_ADDRESS_TYPES)[number];

/** One instance of the list (the fields read here). */
export interface LinodeInstance {
  id: number;
  label?: string;
  region?: string;
  status?: string;
  tags?: string[];
  ipv4?: string[] | null;
  ipv6?: string | null;
}

/** One page of `GET /linode/instances`. */
export interface InstancePage {
  data: LinodeInstance[];
  page: number;
  pages: number;
  results: number;
}

interface IpAddress {
  address: string | null;
}

/** `GET /linode/instances/{id}/ips` (the parts read here). */
export interface InstanceIps {
  ipv4?: { public?: IpAddress[] | null; private?: IpAddress[] | null; vpc?: IpAddress[] | null } | null;
  ipv6?: { slaac?: IpAddress | null; link_local?: IpAddress | null } | null;
}

/** Why a 200 body is not an instance page; undefined when it is. */
export function malformedPage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response is not a JSON object';
  const page = body as Record<string, unknown>;
  if (!Array.isArray(page.data)) return 'the response has no "data" array';
  if (typeof page.pages !== 'number' || typeof page.page !== 'number') return 'the response has no "page"/"pages" numbers';
  for (const [i, instance] of page.data.entries()) {
    if (typeof instance !== 'object' || instance === null || typeof (instance as LinodeInstance).id !== 'number') return `data[${i}] has no numeric id`;
  }
  return undefined;
}

/** Why a 200 body is not an IPs answer; undefined when it is. */
export function malformedIps(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response is not a JSON object';
  const ips = body as Record<string, unknown>;
  if (typeof ips.ipv4 !== 'object' || typeof ips.ipv6 !== 'object') return 'the response has no "ipv4"/"ipv6" objects';
  return undefined;
}

/** The X-Filter go-discover sends: `region` and `tags`, each only when set (several keys are ANDed). */
export function instanceFilter(region: string | undefined, tag: string | undefined): string | undefined {
  const filter: Record<string, string> = {};
  if (region) filter.region = region;
  if (tag) filter.tags = tag;
  return Object.keys(filter).length ? JSON.stringify(filter) : undefined;
}

/** Linode private IPv4 addresses come from 192.168.128.0/17; any RFC 1918 address counts as private here. */
export function isPrivateV4(address: string): boolean {
  const parts = address.split('.').map(Number);
  const [a, b] = parts as [number, number];
  return parts.length === 4 && (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168));
}

/** Whether the list body is enough for `type`; otherwise the per-instance IPs call is needed. */
export function needsIpsCall(type: LinodeAddressType): boolean {
  return type === 'vpc_v4' || type === 'private_v6';
}

/** The address of `type` from the list body alone (for the types it carries). */
export function addressFromList(instance: LinodeInstance, type: LinodeAddressType): string | undefined {
  const ipv4 = instance.ipv4 ?? [];
  if (type === 'private_v4') return ipv4.find(isPrivateV4);
  if (type === 'public_v4') return ipv4.find((a) => !isPrivateV4(a));
  if (type === 'public_v6') return instance.ipv6 ? instance.ipv6.replace(/\/\d+$/, '') : undefined;
  return undefined;
}

/** The address of `type` from the IPs call, as go-discover picks it (the first of each list). */
export function addressFromIps(ips: InstanceIps, type: LinodeAddressType): string | undefined {
  const first = (list: IpAddress[] | null | undefined) => list?.find((ip) => ip.address)?.address ?? undefined;
  switch (type) {
    case 'private_v4':
      return first(ips.ipv4?.private);
    case 'public_v4':
      return first(ips.ipv4?.public);
    case 'vpc_v4':
      return first(ips.ipv4?.vpc);
    case 'public_v6':
      return ips.ipv6?.slaac?.address ?? undefined;
    case 'private_v6':
      return ips.ipv6?.link_local?.address ?? undefined;
  }
}

/** A target for an instance and the address chosen for it. */
export function linodeTarget(instance: LinodeInstance, address: string): Target {
  const target: Target = { address, id: String(instance.id) };
  if (instance.label) target.name = instance.label;
  if (instance.region) target.zone = instance.region;
  if (instance.status) target.meta = { status: instance.status };
  return target;
}
