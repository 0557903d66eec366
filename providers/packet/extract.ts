/**
 * Equinix Metal (Packet) `GET /projects/{id}/devices?include=facility` pages -> targets, as
 * go-discover's packet provider chose them. Pure: table-tested without a server.
 * Wire facts (provider-apis.md §5): `ip_addresses[]` carry `address_family` 4|6 and `public`;
 * `facility` is the full object with `include=facility`; `meta.next` is null on the last page (the recorded answer).
 */
import type { Target } from '../../src/kit/index.js';

export const PACKET_ADDR_TYPES = ['private_v4', 'public_v4', 'public_v6'] as const;
export type PacketAddrType = (typeof PACKET_ADDR_TYPES)[number];

/** One `ip_addresses[]` entry (the fields read here). */
export interface PacketIp {
  address?: string;
  address_family?: number;
  public?: boolean;
}

/** One device (the fields read here). */
export interface PacketDevice {
  id: string;
  hostname?: string;
  state?: string;
  tags?: string[] | null;
  facility?: { code?: string } | null;
  ip_addresses?: PacketIp[] | null;
}

export interface PacketPage {
  devices: PacketDevice[];
  meta?: { next?: { href?: string } | null; current_page?: number; last_page?: number; total?: number } | null;
}

/** What go-discover filters on (client-side): facility codes and tags, each "any of". */
export interface PacketSelection {
  addrType: PacketAddrType;
  facilities?: readonly string[];
  tags?: readonly string[];
}

/**
 * The addresses of the asked kind, every one of them as go-discover returns them: `public` equal
 * to "is a public type" and `address_family` 4 (6 for public_v6).
 */
export function deviceAddresses(device: PacketDevice, addrType: PacketAddrType): string[] {
  const wantPublic = addrType !== 'private_v4';
  const family = addrType === 'public_v6' ? 6 : 4;
  return (device.ip_addresses ?? []).filter((ip) => ip.public === wantPublic && ip.address_family === family && ip.address).map((ip) => ip.address as string);
}

/**
 * Devices -> targets, in API order, any state (as go-discover). A device is kept when its facility
 * code is in `facilities` (if given) and any of its tags is in `tags` (if given); a kept device
 * without the asked address is named in `skipped`.
 */
export function extractTargets(devices: readonly PacketDevice[], selection: PacketSelection): { targets: Target[]; skipped: string[] } {
  const facilities = selection.facilities?.length ? new Set(selection.facilities) : undefined;
  const tags = selection.tags?.length ? new Set(selection.tags) : undefined;
  const targets: Target[] = [];
  const skipped: string[] = [];
  for (const device of devices) {
    const facility = device.facility?.code;
    if (facilities && !(facility !== undefined && facilities.has(facility))) continue;
    if (tags && !(device.tags ?? []).some((tag) => tags.has(tag))) continue;
    const addresses = deviceAddresses(device, selection.addrType);
    const name = device.hostname ?? device.id;
    if (addresses.length === 0) skipped.push(name);
    for (const address of addresses) {
      const target: Target = { address, id: device.id, name };
      if (facility !== undefined) target.zone = facility;
      targets.push(target);
    }
  }
  return { targets, skipped };
}

/** Why a 200 body is not a devices page; undefined when it is. */
export function malformedPage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response is not a JSON object';
  const page = body as Record<string, unknown>;
  if (!Array.isArray(page.devices)) return 'the response has no "devices" array';
  for (const [i, device] of page.devices.entries()) {
    if (typeof device !== 'object' || device === null) return `devices[${i}] is not an object`;
    if (typeof (device as Record<string, unknown>).id !== 'string') return `devices[${i}] has no string "id"`;
  }
  const next = (page.meta as { next?: unknown } | null | undefined)?.next;
  if (next !== undefined && next !== null && typeof (next as { href?: unknown }).href !== 'string') return '"meta.next" has no string "href"';
  return undefined;
}

/** The API's error body: `{"errors":["…"]}` or `{"error":"…"}` (packngo's ErrorResponse). */
export function parsePacketError(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { errors?: unknown; error?: unknown };
    if (Array.isArray(body.errors) && body.errors.length > 0) return body.errors.map(String).join('; ');
    if (typeof body.error === 'string') return body.error;
  } catch {
    // Not JSON: the caller uses the status alone.
  }
  return undefined;
}
