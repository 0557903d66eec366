/**
 * Scaleway's Instance API v1 as the simulator serves it (provider-apis.md §6):
 * `GET /instance/v1/zones/{zone}/servers` with `tags` (all required), `organization`, `project`,
 * `name`, `state`, `page`/`per_page` (default 50, max 100), `X-Total-Count` and `Link` headers;
 * `X-Auth-Token` checked against `credentials.scaleway.secret_key` (else 401
 * `denied_authentication`); `X-Ratelimit-*` headers, 429 with `Retry-After` when throttled.
 * And IPAM v1's `GET /ipam/v1/regions/{region}/ips` (`resource_type`, `resource_id(s)`, `is_ipv6`,
 * `organization_id`/`project_id`, `private_network_id`, `mac_address`, `page`/`page_size`,
 * `{"ips":[…],"total_count":N}`): each `extra_nics` entry of an instance is one private NIC in a
 * Private Network, its addresses IPAM IPs attached to that NIC (as a routed-IP Instance's are).
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
import { regionOf, ZONES } from './extract.js';
import { DEFAULT_ORGANIZATION, type ScalewayInstance, scalewayFleet } from './sim-fleet.js';

export const API_NAME = 'scaleway-instance';
export const IPAM_API_NAME = 'scaleway-ipam';
const DEFAULT_PER_PAGE = 50;
const MAX_PER_PAGE = 100;
/** IPAM's `page_size` default and largest value. */
const IPAM_DEFAULT_PAGE_SIZE = 50;
const IPAM_MAX_PAGE_SIZE = 100;
const REGIONS = [...new Set(ZONES.map(regionOf))];

const ERRORS: Record<SimErrorKind, [number, Record<string, string>]> = {
  throttle: [429, { message: 'rate limit exceeded', type: 'too_many_requests' }],
  server: [500, { message: 'internal error', type: 'internal_error' }],
  unavailable: [503, { message: 'service unavailable', type: 'service_unavailable' }],
  // As the API answers an unknown key (octodns-scaleway's recorded 401).
  auth: [401, { message: 'authentication is denied', method: 'api_key', reason: 'invalid_argument', type: 'denied_authentication' }],
};

const rateHeaders = (remaining: number) => ({ 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': '1' });

function errorResponse(kind: SimErrorKind): SimResponse {
  const [status, body] = ERRORS[kind];
  return simJson(status, body, kind === 'throttle' ? { ...rateHeaders(0), 'retry-after': '1' } : rateHeaders(99));
}

/** A UUID-shaped id: the fleet id when it is one, else one derived from it. */
export function serverUuid(id: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return id.toLowerCase();
  const hex = createHash('sha256').update(id).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The fleet's `tags` map as Scaleway's tag strings. */
export function scalewayTags(tags: Record<string, string> | undefined): string[] {
  return Object.entries(tags ?? {}).map(([key, value]) => (value === '' ? key : `${key}=${value}`));
}

function ipEntry(id: string, address: string, family: 'inet' | 'inet6'): Record<string, unknown> {
  return {
    id: serverUuid(`${id}-${family}`),
    address,
    gateway: family === 'inet' ? '62.210.0.1' : `${address.replace(/::[0-9a-f]*$/i, '')}::`,
    netmask: family === 'inet' ? '32' : '64',
    family,
    dynamic: false,
    provisioning_mode: family === 'inet' ? 'dhcp' : 'slaac',
    tags: [],
    ipam_id: serverUuid(`${id}-${family}-ipam`),
    state: 'attached',
  };
}

/** The private NICs of an instance: one per `extra_nics` entry, in one Private Network per position. */
function privateNics(instance: ScalewayInstance, zone: string): Array<{ nic: Record<string, unknown>; v4?: string; v6?: string }> {
  const serverId = serverUuid(instance.id);
  return (instance.extra_nics ?? []).map((addresses, n) => {
    const id = serverUuid(`${instance.id}-pnic-${n}`);
    const ipamIds = [...(addresses.private_ipv4 ? [serverUuid(`${id}-ipam-v4`)] : []), ...(addresses.private_ipv6 ? [serverUuid(`${id}-ipam-v6`)] : [])];
    return {
      nic: {
        creation_date: '2026-09-05T15:46:20.396114+00:00',
        id,
        ipam_ip_ids: ipamIds,
        mac_address: `02:00:00:${id.slice(0, 2)}:${id.slice(2, 4)}:${id.slice(4, 6)}`,
        modification_date: '2026-09-05T15:46:20.396114+00:00',
        private_network_id: serverUuid(`private-network-${regionOf(zone)}-${n}`),
        server_id: serverId,
        state: 'available',
        tags: [],
        zone,
      },
      ...(addresses.private_ipv4 ? { v4: addresses.private_ipv4 } : {}),
      ...(addresses.private_ipv6 ? { v6: addresses.private_ipv6 } : {}),
    };
  });
}

function serverJson(instance: ScalewayInstance, zone: string, organization: string): Record<string, unknown> {
  const id = serverUuid(instance.id);
  const name = instance.name ?? instance.id;
  const publicIps = [
    ...(instance.public_ipv4 ? [ipEntry(id, instance.public_ipv4, 'inet')] : []),
    ...(instance.public_ipv6 ? [ipEntry(id, instance.public_ipv6, 'inet6')] : []),
  ];
  return {
    id,
    name,
    arch: 'x86_64',
    commercial_type: 'PRO2-XXS',
    boot_type: 'local',
    organization,
    project: organization,
    hostname: name,
    image: { id: '4a4d2994-e7e0-4b29-a760-36235e6ba258', name: 'Ubuntu 24.04 Noble Numbat', arch: 'x86_64', public: true, state: 'available', zone },
    volumes: {},
    tags: scalewayTags(instance.tags),
    state: instance.state ?? 'running',
    protected: false,
    state_detail: instance.state === 'stopped' ? '' : 'booted',
    public_ip: publicIps.find((ip) => ip.family === 'inet') ?? null,
    public_ips: publicIps,
    mac_address: `de:00:00:${id.slice(0, 2)}:${id.slice(2, 4)}:${id.slice(4, 6)}`,
    routed_ip_enabled: instance.private_ipv4 === undefined,
    ipv6: instance.public_ipv6 ? { address: instance.public_ipv6, gateway: `${instance.public_ipv6.replace(/::[0-9a-f]*$/i, '')}::`, netmask: '64' } : null,
    extra_networks: [],
    dynamic_ip_required: false,
    enable_ipv6: instance.public_ipv6 !== undefined,
    private_ip: instance.private_ipv4 ?? null,
    creation_date: '2026-09-05T15:46:14.716637+00:00',
    modification_date: '2026-09-05T15:46:14.716637+00:00',
    bootscript: null,
    security_group: { id: '5881315f-2400-43a0-ac75-08adf6cb8c12', name: 'Default security group' },
    location: null,
    maintenances: [],
    allowed_actions: ['poweroff', 'terminate', 'reboot', 'stop_in_place', 'backup'],
    placement_group: null,
    private_nics: privateNics(instance, zone).map((p) => p.nic),
    zone,
    filesystems: [],
    end_of_service: false,
  };
}

function invalid(argument: string, help: string): SimResponse {
  return simJson(400, {
    details: [{ argument_name: argument, reason: 'constraint', help_message: help }],
    message: 'invalid argument(s)',
    type: 'invalid_arguments',
  });
}

function listServers(req: SimRequest, ctx: SimContext, params: readonly string[]): SimResponse {
  const creds = fleetCredentials<{ secret_key?: string; organization?: string }>(ctx, 'scaleway');
  const given = req.headers['x-auth-token'];
  if (creds?.secret_key === undefined || given !== creds.secret_key) return errorResponse('auth');
  const zone = decodeURIComponent(params[0] ?? '');
  if (!(ZONES as readonly string[]).includes(zone)) return invalid('zone', `must be one of ${ZONES.join(', ')}`);
  const query = req.url.searchParams;
  const page = Number.parseInt(query.get('page') ?? '1', 10);
  const perPage = Number.parseInt(query.get('per_page') ?? String(DEFAULT_PER_PAGE), 10);
  if (!(page >= 1)) return invalid('page', 'must be greater than or equal to 1');
  if (!(perPage >= 1 && perPage <= MAX_PER_PAGE)) return invalid('per_page', `must be between 1 and ${MAX_PER_PAGE}`);
  const served = Math.min(perPage, ctx.fleet.page_size?.[API_NAME] ?? MAX_PER_PAGE);
  const defaultOrg = creds.organization ?? DEFAULT_ORGANIZATION;
  const wantedTags = (query.get('tags') ?? '').split(',').filter((tag) => tag !== '');
  const organization = query.get('organization') ?? query.get('project');
  const name = query.get('name');
  const state = query.get('state');
  const matching = visibleInstances<ScalewayInstance>(ctx, 'scaleway')
    .filter((i) => (i.zone ?? 'fr-par-1') === zone)
    .filter((i) => wantedTags.every((tag) => scalewayTags(i.tags).includes(tag)))
    .filter((i) => !organization || (i.organization ?? defaultOrg) === organization)
    .filter((i) => !name || (i.name ?? i.id).includes(name))
    .filter((i) => !state || (i.state ?? 'running') === state);
  const { items, total } = simPage(matching, page, served);
  const lastPage = Math.max(1, Math.ceil(total / served));
  const link = (p: number, rel: string) => {
    const url = new URLSearchParams(query);
    url.set('page', String(p));
    url.set('per_page', String(served));
    return `</servers?${url}>; rel="${rel}"`;
  };
  const links = [...(page > 1 ? [link(page - 1, 'previous')] : []), ...(page < lastPage ? [link(page + 1, 'next')] : []), link(lastPage, 'last')];
  return simJson(
    200,
    { servers: items.map((i) => serverJson(i, zone, i.organization ?? defaultOrg)) },
    { 'x-total-count': String(total), link: links.join(', '), ...rateHeaders(99) },
  );
}

/** An IPAM IP in the recorded wire format (fixtures/ipam-ips.json). */
function ipamJson(id: string, address: string, ipv6: boolean, nic: Record<string, unknown>, name: string, organization: string, zone: string) {
  return {
    address: ipv6 ? `${address}/64` : `${address}/22`,
    created_at: '2026-09-05T15:46:20.940604Z',
    id,
    is_ipv6: ipv6,
    project_id: organization,
    region: regionOf(zone),
    resource: { id: nic.id, mac_address: String(nic.mac_address).toUpperCase(), name, type: 'instance_private_nic' },
    reverses: [],
    source: { subnet_id: serverUuid(`subnet-${String(nic.private_network_id)}-${ipv6 ? 'v6' : 'v4'}`) },
    tags: [],
    updated_at: '2026-09-05T15:46:20.940604Z',
    zone: null,
  };
}

const RESOURCE_TYPES = [
  'unknown_type',
  'instance_server',
  'instance_ip',
  'instance_private_nic',
  'lb_server',
  'fip_ip',
  'vpc_gateway',
  'vpc_gateway_network',
  'rdb_instance',
];

function listIps(req: SimRequest, ctx: SimContext, params: readonly string[]): SimResponse {
  const creds = fleetCredentials<{ secret_key?: string; organization?: string }>(ctx, 'scaleway');
  if (creds?.secret_key === undefined || req.headers['x-auth-token'] !== creds.secret_key) return errorResponse('auth');
  const region = decodeURIComponent(params[0] ?? '');
  if (!REGIONS.includes(region)) return invalid('region', `must be one of ${REGIONS.join(', ')}`);
  const query = req.url.searchParams;
  const page = Number.parseInt(query.get('page') ?? '1', 10);
  const pageSize = Number.parseInt(query.get('page_size') ?? String(IPAM_DEFAULT_PAGE_SIZE), 10);
  if (!(page >= 1)) return invalid('page', 'must be greater than or equal to 1');
  if (!(pageSize >= 1 && pageSize <= IPAM_MAX_PAGE_SIZE)) return invalid('page_size', `must be between 1 and ${IPAM_MAX_PAGE_SIZE}`);
  const resourceType = query.get('resource_type') ?? 'unknown_type';
  if (!RESOURCE_TYPES.includes(resourceType)) return invalid('resource_type', `unknown resource type ${resourceType}`);
  const isIpv6 = query.get('is_ipv6');
  if (isIpv6 !== null && isIpv6 !== 'true' && isIpv6 !== 'false') return invalid('is_ipv6', 'must be a boolean');
  const resourceIds = [...query.getAll('resource_id'), ...query.getAll('resource_ids')];
  const organization = query.get('organization_id');
  const project = query.get('project_id');
  const privateNetwork = query.get('private_network_id');
  const mac = query.get('mac_address')?.toLowerCase();
  const defaultOrg = creds.organization ?? DEFAULT_ORGANIZATION;
  const ips: Array<ReturnType<typeof ipamJson>> = [];
  // Only private NICs are attached resources here: any other resource type lists nothing.
  if (resourceType === 'unknown_type' || resourceType === 'instance_private_nic') {
    for (const instance of visibleInstances<ScalewayInstance>(ctx, 'scaleway')) {
      const zone = instance.zone ?? 'fr-par-1';
      const org = instance.organization ?? defaultOrg;
      if (regionOf(zone) !== region || (organization && org !== organization) || (project && org !== project)) continue;
      for (const { nic, v4, v6 } of privateNics(instance, zone)) {
        if (resourceIds.length > 0 && !resourceIds.includes(String(nic.id))) continue;
        if (privateNetwork && nic.private_network_id !== privateNetwork) continue;
        if (mac && nic.mac_address !== mac) continue;
        const name = instance.name ?? instance.id;
        if (v6 && isIpv6 !== 'false') ips.push(ipamJson(serverUuid(`${nic.id}-ipam-v6`), v6, true, nic, name, org, zone));
        if (v4 && isIpv6 !== 'true') ips.push(ipamJson(serverUuid(`${nic.id}-ipam-v4`), v4, false, nic, name, org, zone));
      }
    }
  }
  const served = Math.min(pageSize, ctx.fleet.page_size?.[IPAM_API_NAME] ?? IPAM_MAX_PAGE_SIZE);
  const { items, total } = simPage(ips, page, served);
  return simJson(200, { ips: items, total_count: total }, rateHeaders(99));
}

const ipamApi = simRoutes(
  {
    name: IPAM_API_NAME,
    summary: 'Scaleway IPAM API v1 (`GET /ipam/v1/regions/{region}/ips`: resource_type, resource_id(s), is_ipv6, organization_id, page/page_size)',
    errorResponse,
  },
  [{ method: 'GET', path: /^\/ipam\/v1\/regions\/([^/]+)\/ips$/, handle: listIps }],
);

const api = simRoutes(
  { name: API_NAME, summary: 'Scaleway Instance API v1 (`GET /instance/v1/zones/{zone}/servers`: tags, organization, page/per_page)', errorResponse },
  [{ method: 'GET', path: /^\/instance\/v1\/zones\/([^/]+)\/servers$/, handle: listServers }],
);

const scalewaySim: SimModule = {
  provider: 'scaleway',
  apis: [api, ipamApi],
  fleet: scalewayFleet,
  connect: {
    config: '`api_url=http://127.0.0.1:PORT`',
    env: '`SCW_SECRET_KEY`',
    why: 'the Instance API is plain HTTPS with `X-Auth-Token`; `api_url` moves it',
  },
  paste(ctx) {
    const first =
      visibleInstances<ScalewayInstance>(ctx, 'scaleway')[0] ?? (ctx.fleet.instances.find((i) => i.cloud === 'scaleway') as ScalewayInstance | undefined);
    const tag = first ? scalewayTags(first.tags)[0] : undefined;
    if (first === undefined || tag === undefined) return undefined;
    const secret = fleetCredentials<{ secret_key?: string }>(ctx, 'scaleway')?.secret_key;
    const zones = [...new Set(ctx.fleet.instances.filter((i) => i.cloud === 'scaleway').map((i) => i.zone ?? 'fr-par-1'))];
    const env: Record<string, string> = secret ? { SCW_SECRET_KEY: secret } : {};
    return { provider: 'scaleway', config: `provider=scaleway tag_name=${tag} region=${zones.join(',')} api_url=${ctx.httpUrl}`, env };
  },
};

export default scalewaySim;
