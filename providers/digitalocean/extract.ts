/**
 * DigitalOcean `GET /v2/droplets` pages -> targets. Pure: table-tested without a server.
 * Wire facts (provider-apis.md §2): `networks.v4[] {ip_address, type: public|private}`,
 * `networks.v6[] {ip_address, type: public}`; `links.pages.next` carries the next `page=`.
 */
import type { Target } from '../../src/kit/index.js';

/** The address kinds a droplet has (DigitalOcean has no private IPv6). */
export const DO_ADDR_TYPES = ['private_v4', 'public_v4', 'public_v6'] as const;
export type DoAddrType = (typeof DO_ADDR_TYPES)[number];

export interface DropletNetwork {
  ip_address: string;
  type: string;
}

/** One droplet of the list (the fields read here). */
export interface Droplet {
  id: number;
  name?: string;
  status?: string;
  tags?: string[] | null;
  region?: { slug?: string } | null;
  networks?: { v4?: DropletNetwork[] | null; v6?: DropletNetwork[] | null } | null;
}

/** One page of `GET /v2/droplets`. */
export interface DropletPage {
  droplets: Droplet[];
  links?: { pages?: { next?: string; last?: string; prev?: string; first?: string } };
  meta?: { total?: number };
}

/** Why a 200 body is not a droplet page; undefined when it is. */
export function malformedPage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response is not a JSON object';
  const page = body as Record<string, unknown>;
  if (!Array.isArray(page.droplets)) return 'the response has no "droplets" array';
  for (const [i, droplet] of page.droplets.entries()) {
    if (typeof droplet !== 'object' || droplet === null) return `droplets[${i}] is not an object`;
    if (typeof (droplet as Droplet).id !== 'number') return `droplets[${i}].id is not a number`;
  }
  return undefined;
}

/**
 * The `page` query parameter of a `links.pages` URL, or undefined. Only that parameter is read (as
 * godo does), so a link to another host is never followed with the token.
 */
function linkedPage(link: string | undefined): number | undefined {
  if (!link) return undefined;
  let number: number;
  try {
    number = Number(new URL(link, 'https://api.digitalocean.com').searchParams.get('page'));
  } catch {
    return undefined;
  }
  return Number.isInteger(number) ? number : undefined;
}

/** The page number `links.pages.next` points at, or undefined on the last page. */
export function nextPage(page: DropletPage, current: number): number | undefined {
  const number = linkedPage(page.links?.pages?.next);
  // A link that does not move forward would loop for ever.
  return number !== undefined && number > current ? number : undefined;
}

/**
 * The page count the first page states: the `page` of `links.pages.last`, or undefined when there
 * is none (one page, or a link without a usable number).
 */
export function lastPage(page: DropletPage): number | undefined {
  const number = linkedPage(page.links?.pages?.last);
  return number !== undefined && number > 1 ? number : undefined;
}

/** Why a droplet gave no target, for the `-v` log. */
export interface Skipped {
  droplet: string;
  reason: string;
}

/** The droplet's address of `addrType`: the first network of that family and type, as godo's `PrivateIPv4()`. */
export function dropletAddress(droplet: Droplet, addrType: DoAddrType): string | undefined {
  const [family, type] = addrType === 'public_v6' ? (['v6', 'public'] as const) : (['v4', addrType === 'private_v4' ? 'private' : 'public'] as const);
  return (droplet.networks?.[family] ?? []).find((n) => n.type === type && n.ip_address)?.ip_address;
}

/**
 * Targets of the droplets in `region` (every region when empty) that have an address of `addrType`;
 * the others are listed in `skipped` with the reason.
 */
export function dropletTargets(droplets: readonly Droplet[], addrType: DoAddrType, region = ''): { targets: Target[]; skipped: Skipped[] } {
  const targets: Target[] = [];
  const skipped: Skipped[] = [];
  for (const droplet of droplets) {
    const label = `${droplet.name ?? ''} (${droplet.id})`.trim();
    const slug = droplet.region?.slug ?? '';
    if (region !== '' && slug !== region) continue;
    if (droplet.networks === null || droplet.networks === undefined) {
      skipped.push({ droplet: label, reason: 'no networks defined yet' });
      continue;
    }
    const address = dropletAddress(droplet, addrType);
    if (address === undefined) {
      skipped.push({ droplet: label, reason: `no ${addrType} address` });
      continue;
    }
    const target: Target = { address, id: String(droplet.id) };
    if (droplet.name) target.name = droplet.name;
    if (slug) target.zone = slug;
    if (droplet.status) target.meta = { status: droplet.status };
    targets.push(target);
  }
  return { targets, skipped };
}
