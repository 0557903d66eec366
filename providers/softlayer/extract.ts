/**
 * Pure parts of provider=softlayer: the query go-discover's softlayer-go session sends
 * (`objectMask`, `objectFilter`, `resultLimit`) and the guests it answers -> targets.
 */

/** `addr_type` values: the backend (private) address, as go-discover, or the public one. */
export const SL_ADDR_TYPES = ['private_v4', 'public_v4'] as const;
export type SlAddrType = (typeof SL_ADDR_TYPES)[number];

/**
 * go-discover's mask (`id,hostname,domain,tagReferences[tag[name]],primaryBackendIpAddress,datacenter`)
 * plus `primaryIpAddress` for `addr_type=public_v4`, wrapped in `mask[...]` as softlayer-go does.
 */
export const OBJECT_MASK = 'mask[id,hostname,domain,tagReferences[tag[name]],primaryBackendIpAddress,primaryIpAddress,datacenter[name]]';

/** One `SoftLayer_Virtual_Guest` with the masked properties (absent when the guest has none). */
export interface VirtualGuest {
  id?: number;
  hostname?: string;
  domain?: string;
  primaryBackendIpAddress?: string;
  primaryIpAddress?: string;
  datacenter?: { name?: string };
  tagReferences?: Array<{ tag?: { name?: string } }>;
}

/**
 * The object filter: go-discover's datacenter and tag conditions (equality is the bare value), each
 * only when given, and an `orderBy` on `id` so pages do not shift under `resultLimit` (SLDN's advice).
 */
export function objectFilter(datacenter: string | undefined, tag: string | undefined): string {
  const guests: Record<string, unknown> = { id: { operation: 'orderBy', options: [{ name: 'sort', value: ['ASC'] }] } };
  if (datacenter) guests.datacenter = { name: { operation: datacenter } };
  if (tag) guests.tagReferences = { tag: { name: { operation: tag } } };
  return JSON.stringify({ virtualGuests: guests });
}

/** The page URL: `{endpoint}/SoftLayer_Account/getVirtualGuests.json?objectMask=&objectFilter=&resultLimit=offset,limit`. */
export function guestsUrl(endpoint: string, filter: string, offset: number, limit: number): URL {
  const url = new URL(`${endpoint.replace(/\/+$/, '')}/SoftLayer_Account/getVirtualGuests.json`);
  url.searchParams.set('objectMask', OBJECT_MASK);
  url.searchParams.set('objectFilter', filter);
  url.searchParams.set('resultLimit', `${offset},${limit}`);
  return url;
}

/** Why a 200 body is not a guest list, or undefined. A single object is a one-guest list (softlayer-go re-wraps it). */
export function malformedGuests(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return 'the response is not a JSON array of guests';
  const list = Array.isArray(body) ? body : [body];
  const bad = list.findIndex((g) => g === null || typeof g !== 'object' || Array.isArray(g));
  return bad >= 0 ? `element ${bad} is not an object` : undefined;
}

/** The guests of a (checked) body. */
export function guestsOf(body: unknown): VirtualGuest[] {
  return (Array.isArray(body) ? body : [body]) as VirtualGuest[];
}

/** A guest left out, and why (for the `-v` log). */
export interface SkippedGuest {
  guest: string;
  reason: string;
}

/**
 * Guests -> targets: `primaryBackendIpAddress` for `private_v4` (go-discover), `primaryIpAddress`
 * for `public_v4`. A guest without that address is skipped and reported, never given another one
 * (go-discover crashed on a guest without a backend address).
 */
export function guestTargets(
  guests: readonly VirtualGuest[],
  addrType: SlAddrType,
): { targets: Array<{ address: string; id?: string; name?: string; zone?: string }>; skipped: SkippedGuest[] } {
  const targets: Array<{ address: string; id?: string; name?: string; zone?: string }> = [];
  const skipped: SkippedGuest[] = [];
  for (const guest of guests) {
    const address = addrType === 'private_v4' ? guest.primaryBackendIpAddress : guest.primaryIpAddress;
    const label = guest.hostname ?? String(guest.id ?? '?');
    if (typeof address !== 'string' || address === '') {
      const field = addrType === 'private_v4' ? 'primaryBackendIpAddress' : 'primaryIpAddress';
      skipped.push({ guest: label, reason: `no ${field} (addr_type=${addrType})` });
      continue;
    }
    const target: { address: string; id?: string; name?: string; zone?: string } = { address };
    if (guest.id !== undefined) target.id = String(guest.id);
    if (guest.hostname) target.name = guest.domain ? `${guest.hostname}.${guest.domain}` : guest.hostname;
    if (guest.datacenter?.name) target.zone = guest.datacenter.name;
    targets.push(target);
  }
  return { targets, skipped };
}
