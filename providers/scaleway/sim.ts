/**
 * Scaleway's Instance API v1 as the simulator serves it (provider-apis.md §6):
 * `GET /instance/v1/zones/{zone}/servers` with `tags` (all required), `organization`, `project`,
 * `name`, `state`, `page`/`per_page` (default 50, max 100), `X-Total-Count` and `Link` headers;
 * `X-Auth-Token` checked against `credentials.scaleway.secret_key` (else 401
 * `denied_authentication`); `X-Ratelimit-*` headers, 429 with `Retry-After` when throttled.
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
import { ZONES } from './extract.js';
import { DEFAULT_ORGANIZATION, type ScalewayInstance, scalewayFleet } from './sim-fleet.js';

export const API_NAME = 'scaleway-instance';
const DEFAULT_PER_PAGE = 50;
const MAX_PER_PAGE = 100;

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
    private_nics: [],
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

const api = simRoutes(
  { name: API_NAME, summary: 'Scaleway Instance API v1 (`GET /instance/v1/zones/{zone}/servers`: tags, organization, page/per_page)', errorResponse },
  [{ method: 'GET', path: /^\/instance\/v1\/zones\/([^/]+)\/servers$/, handle: listServers }],
);

const scalewaySim: SimModule = {
  provider: 'scaleway',
  apis: [api],
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
