/**
 * An Equinix Metal (Packet) API-compatible endpoint, as the simulator serves it (provider-apis.md
 * §5), at `/metal/v1/`: `GET /metal/v1/projects/{id}/devices?include=facility&page=&per_page=`
 * (default 10, max 1000) with `meta.{first,previous,self,next,last}.href`, `current_page`,
 * `last_page`, `total` (`next` null on the last page, `previous` on the first); `X-Auth-Token` checked against
 * `credentials.packet.token` (else 401 `{"errors":[…]}`); an unknown project is 404.
 */
import { createHash } from 'node:crypto';
import {
  fleetCredentials,
  type SimContext,
  type SimErrorKind,
  type SimModule,
  type SimRequest,
  type SimResponse,
  simJson,
  simPage,
  simRoutes,
  visibleInstances,
} from '../../src/kit/index.js';
import { DEFAULT_PROJECT, type PacketInstance, packetFleet } from './sim-fleet.js';

export const API_NAME = 'packet-metal';
export const BASE_PATH = '/metal/v1';
const DEFAULT_PER_PAGE = 10;
const MAX_PER_PAGE = 1000;

const ERRORS: Record<SimErrorKind, [number, string]> = {
  throttle: [429, 'Too many requests, please slow down'],
  server: [500, 'Internal server error'],
  unavailable: [503, 'Service unavailable'],
  auth: [401, 'Invalid authentication token'],
};

function errorResponse(kind: SimErrorKind): SimResponse {
  const [status, message] = ERRORS[kind];
  return simJson(status, { errors: [message] }, kind === 'throttle' ? { 'retry-after': '1' } : {});
}

function uuid(seed: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(seed)) return seed.toLowerCase();
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The fleet's `tags` map as Metal's tag strings. */
export function packetTags(tags: Record<string, string> | undefined): string[] {
  return Object.entries(tags ?? {}).map(([key, value]) => (value === '' ? key : `${key}=${value}`));
}

function ipAssignment(deviceId: string, address: string, family: 4 | 6, isPublic: boolean): Record<string, unknown> {
  const id = uuid(`${deviceId}-${address}`);
  const cidr = family === 6 ? 127 : 31;
  return {
    id,
    address_family: family,
    netmask: family === 6 ? 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe' : '255.255.255.254',
    created_at: '2026-01-12T09:30:00Z',
    public: isPublic,
    cidr,
    management: true,
    manageable: true,
    enabled: true,
    global_ip: false,
    assigned_to: { href: `${BASE_PATH}/devices/${deviceId}` },
    network: address,
    address,
    gateway: address,
    href: `${BASE_PATH}/ips/${id}`,
  };
}

function deviceJson(instance: PacketInstance, project: string): Record<string, unknown> {
  const id = uuid(instance.id);
  const facility = instance.zone ?? 'ewr1';
  const nics = [instance, ...(instance.extra_nics ?? [])];
  const ips = nics.flatMap((nic) => [
    ...(nic.public_ipv4 ? [ipAssignment(id, nic.public_ipv4, 4, true)] : []),
    ...(nic.public_ipv6 ? [ipAssignment(id, nic.public_ipv6, 6, true)] : []),
    ...(nic.private_ipv4 ? [ipAssignment(id, nic.private_ipv4, 4, false)] : []),
  ]);
  return {
    id,
    short_id: id.slice(0, 8),
    hostname: instance.name ?? instance.id,
    description: null,
    state: instance.state ?? 'active',
    tags: packetTags(instance.tags),
    billing_cycle: 'hourly',
    locked: false,
    created_at: '2026-01-12T09:30:00Z',
    updated_at: '2026-01-12T09:42:00Z',
    facility: {
      id: uuid(`facility-${facility}`),
      name: facility,
      code: facility,
      features: ['baremetal', 'layer_2'],
      address: { address: '', city: '', country: '' },
      ip_ranges: [],
    },
    metro: { id: uuid(`metro-${facility.slice(0, 2)}`), name: facility.slice(0, 2), code: facility.slice(0, 2), country: 'US' },
    plan: { id: uuid('c3.small.x86'), slug: 'c3.small.x86', name: 'c3.small.x86' },
    operating_system: { id: uuid('ubuntu_24_04'), slug: 'ubuntu_24_04', name: 'Ubuntu 24.04 LTS', distro: 'ubuntu', version: '24.04' },
    ip_addresses: ips,
    project: { href: `${BASE_PATH}/projects/${project}` },
    href: `${BASE_PATH}/devices/${id}`,
  };
}

function listDevices(req: SimRequest, ctx: SimContext, params: readonly string[]): SimResponse {
  const creds = fleetCredentials<{ token?: string; project?: string }>(ctx, 'packet');
  if (creds?.token === undefined || req.headers['x-auth-token'] !== creds.token) return errorResponse('auth');
  const project = decodeURIComponent(params[0] ?? '');
  const defaultProject = creds.project ?? DEFAULT_PROJECT;
  const all = visibleInstances<PacketInstance>(ctx, 'packet');
  const known = new Set([
    defaultProject,
    ...ctx.fleet.instances.filter((i) => i.cloud === 'packet').map((i) => (i as PacketInstance).project ?? defaultProject),
  ]);
  if (!known.has(project)) return simJson(404, { errors: ['Not found'] });
  const query = req.url.searchParams;
  const page = Number.parseInt(query.get('page') ?? '1', 10);
  const asked = Number.parseInt(query.get('per_page') ?? String(DEFAULT_PER_PAGE), 10);
  if (!(page >= 1 && page <= 100_000) || !(asked >= 1 && asked <= MAX_PER_PAGE)) {
    return simJson(422, { errors: [`page must be 1..100000 and per_page 1..${MAX_PER_PAGE}`] });
  }
  const perPage = Math.min(asked, ctx.fleet.page_size?.[API_NAME] ?? MAX_PER_PAGE);
  const devices = all.filter((i) => (i.project ?? defaultProject) === project);
  const { items, total } = simPage(devices, page, perPage);
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const href = (p: number) => {
    const next = new URLSearchParams(query);
    next.set('page', String(p));
    next.set('per_page', String(perPage));
    return { href: `${BASE_PATH}/projects/${project}/devices?${next}` };
  };
  const withFacility = query.get('include')?.split(',').includes('facility') ?? false;
  const rendered = items.map((i) => {
    const device = deviceJson(i, project);
    // Without include=facility the API sends only a reference.
    return withFacility ? device : { ...device, facility: { href: `${BASE_PATH}/facilities/${(device.facility as { id: string }).id}` } };
  });
  return simJson(200, {
    devices: rendered,
    meta: {
      first: href(1),
      // null at the ends, as in the recorded answer (fixtures/devices-packet-python.json).
      previous: page > 1 ? href(page - 1) : null,
      self: href(page),
      next: page < lastPage ? href(page + 1) : null,
      last: href(lastPage),
      current_page: page,
      last_page: lastPage,
      total,
    },
  });
}

const api = simRoutes(
  { name: API_NAME, summary: 'Equinix Metal API (`GET /metal/v1/projects/{id}/devices`: include, page/per_page, meta.next)', errorResponse },
  [{ method: 'GET', path: /^\/metal\/v1\/projects\/([^/]+)\/devices$/, handle: listDevices }],
);

const packetSim: SimModule = {
  provider: 'packet',
  apis: [api],
  fleet: packetFleet,
  connect: {
    config: '`url=http://127.0.0.1:PORT/metal/v1/` and `project=`',
    env: '`PACKET_AUTH_TOKEN`',
    why: 'Equinix Metal is shut down; the sim is an API-compatible endpoint that `url=` points at',
  },
  paste(ctx) {
    const first = visibleInstances<PacketInstance>(ctx, 'packet')[0] ?? (ctx.fleet.instances.find((i) => i.cloud === 'packet') as PacketInstance | undefined);
    if (first === undefined) return undefined;
    const creds = fleetCredentials<{ token?: string; project?: string }>(ctx, 'packet');
    const project = first.project ?? creds?.project ?? DEFAULT_PROJECT;
    const tag = packetTags(first.tags)[0];
    const env: Record<string, string> = creds?.token ? { PACKET_AUTH_TOKEN: creds.token } : {};
    return { provider: 'packet', config: `provider=packet project=${project}${tag ? ` tag=${tag}` : ''} url=${ctx.httpUrl}${BASE_PATH}/`, env };
  },
};

export default packetSim;
