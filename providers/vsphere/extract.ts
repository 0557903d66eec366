/**
 * Pure parts of provider=vsphere: picking the category and tag by name as govmomi's tag manager
 * does, the VMs among the attached objects, and the guest addresses go-discover keeps (every
 * address except loopback, link-local unicast or multicast, and multicast, v4 and v6).
 */
import { isIP } from 'node:net';
import { withoutZone } from '../../src/kit/index.js';
import type { GuestNetContent, GuestNicInfo } from './soap.js';

/** `GET /api/cis/tagging/category/{id}` (the fields read). */
export interface CategoryModel {
  id: string;
  name: string;
}

/** `GET /api/cis/tagging/tag/{id}` (the fields read). */
export interface TagModel {
  id: string;
  name: string;
  category_id?: string;
}

/** One element of `list-attached-objects-on-tags`. */
export interface TagToObjects {
  tag_id: string;
  object_ids: Array<{ type: string; id: string }>;
}

/** The one category with this exact name, or go-discover's error text. */
export function pickCategory(categories: readonly CategoryModel[], name: string): CategoryModel | string {
  const found = categories.filter((c) => c.name === name);
  if (found.length === 0) return `category name ${JSON.stringify(name)} not found`;
  if (found.length > 1) return `multiple categories with name ${JSON.stringify(name)} found`;
  return found[0] as CategoryModel;
}

/** The tag with this exact name in the category, or go-discover's error text. */
export function pickTag(tags: readonly TagModel[], name: string, categoryId: string): TagModel | string {
  return tags.find((t) => t.name === name) ?? `tag name ${JSON.stringify(name)} not found in category ID ${JSON.stringify(categoryId)}`;
}

/** The ids of the VirtualMachine objects attached to the tag, in order, each once. */
export function attachedVms(associations: readonly TagToObjects[]): string[] {
  const vms = new Set<string>();
  for (const association of associations) {
    for (const object of association.object_ids ?? []) if (object.type === 'VirtualMachine') vms.add(object.id);
  }
  return [...vms];
}

/** The eight 16-bit groups of an IPv6 address without its zone (an embedded IPv4 tail included). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => Number.parseInt(g, 16));
}

function v4Excluded(address: string): boolean {
  const [a, b] = address.split('.').map(Number) as [number, number];
  // Loopback 127/8, link-local 169.254/16, multicast 224/4 (link-local multicast 224.0.0/24 is inside it).
  return a === 127 || (a === 169 && b === 254) || (a >= 224 && a <= 239);
}

/**
 * Whether go-discover keeps a guest address: not loopback, not link-local (unicast or multicast),
 * not multicast (Go's `net.IP` tests; an IPv4-mapped IPv6 address is judged as its IPv4).
 */
export function usableGuestAddress(address: string): boolean {
  const bare = withoutZone(address);
  const version = isIP(bare);
  if (version === 4) return !v4Excluded(bare);
  if (version !== 6) return false;
  // A first group that is not zero decides alone (loopback and IPv4-mapped addresses start with
  // zeros): most guest addresses, read without splitting them into groups.
  const first = Number.parseInt(bare.slice(0, bare.indexOf(':')), 16);
  if (first > 0) return !((first & 0xffc0) === 0xfe80 || first >= 0xff00);
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6] as number, groups[7] as number];
    return !v4Excluded(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return !(groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1);
}

/**
 * Every kept address of a VM's `guest.net`, in the order the guest reports them: each NIC's
 * `ipConfig.ipAddress[].ipAddress`, as go-discover reads them.
 */
export function guestAddresses(nics: readonly GuestNicInfo[]): { kept: string[]; dropped: string[] } {
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const nic of nics) {
    for (const entry of nic.ipConfig?.ipAddress ?? []) {
      if (typeof entry?.ipAddress !== 'string') continue;
      (usableGuestAddress(entry.ipAddress) ? kept : dropped).push(entry.ipAddress);
    }
  }
  return { kept, dropped };
}

/** One VM's addresses, or why it gave none. */
export interface VmAddresses {
  vm: string;
  kept: string[];
  dropped: string[];
  /** Set when the guest has no VMware Tools data (go-discover: a warning and no addresses). */
  noTools?: string;
}

/**
 * Each VM's addresses from the RetrievePropertiesEx answers, in the tag's VM order; or why not (a
 * `guest.net` vCenter could not read). Unset or empty `guest.net`: Tools are not running, or
 * report no NIC (go-discover: a warning and no addresses).
 */
export function vmAddresses(vms: readonly string[], contents: readonly GuestNetContent[]): VmAddresses[] | string {
  const byVm = new Map(contents.map((c) => [c.vm, c]));
  const out: VmAddresses[] = [];
  for (const vm of vms) {
    const content = byVm.get(vm);
    if (content?.missing) return `the guest.net of VM ${vm} could not be read (${content.missing})`;
    if (!content?.nics?.length) out.push({ vm, kept: [], dropped: [], noTools: content?.nics ? 'guest.net is empty' : 'guest.net is unset' });
    else out.push({ vm, ...guestAddresses(content.nics) });
  }
  return out;
}

/** Why a 200 body is not what `what` should be, or undefined. */
export function malformedVsphere(body: unknown, what: 'ids' | 'object' | 'associations' | 'session'): string | undefined {
  switch (what) {
    case 'session':
      return typeof body === 'string' && body !== '' ? undefined : 'the session answer is not a JSON string';
    case 'ids':
      return Array.isArray(body) && body.every((x) => typeof x === 'string') ? undefined : 'the response is not a JSON array of ids';
    case 'object':
      return body !== null && typeof body === 'object' && !Array.isArray(body) && typeof (body as { name?: unknown }).name === 'string'
        ? undefined
        : 'the response is not an object with a name';
    case 'associations':
      return Array.isArray(body) && body.every((x) => x !== null && typeof x === 'object' && Array.isArray((x as TagToObjects).object_ids))
        ? undefined
        : 'the response is not a JSON array of {tag_id, object_ids}';
  }
}
