/**
 * The Hetzner Cloud API as the simulator serves it (provider-apis.md §12): `GET /v1/servers` with
 * `label_selector`, `status`, `name`, `page`/`per_page` (default 25, max 50) and
 * `meta.pagination` plus a `Link` header; `Authorization: Bearer` checked against
 * `credentials.hetzner.token` (else 401 `unauthorized`); `RateLimit-*` headers on every answer.
 */
import { createHash } from 'node:crypto';
import {
  bearerToken,
  fleetCredentials,
  type LabelRequirement,
  labelsMatch,
  parseLabelSelector,
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
import { DEFAULT_NETWORK, type HetznerInstance, hetznerFleet } from './sim-fleet.js';

export const API_NAME = 'hetzner-cloud';
const DEFAULT_PER_PAGE = 25;
const MAX_PER_PAGE = 50;
const RATE_LIMIT = 3600;

const LOCATIONS: Record<string, { id: number; city: string; country: string; network_zone: string; description: string }> = {
  fsn1: { id: 1, city: 'Falkenstein', country: 'DE', network_zone: 'eu-central', description: 'Falkenstein DC Park 1' },
  nbg1: { id: 2, city: 'Nuremberg', country: 'DE', network_zone: 'eu-central', description: 'Nuremberg DC Park 1' },
  hel1: { id: 3, city: 'Helsinki', country: 'FI', network_zone: 'eu-central', description: 'Helsinki DC Park 1' },
  ash: { id: 4, city: 'Ashburn, VA', country: 'US', network_zone: 'us-east', description: 'Ashburn, VA' },
  hil: { id: 5, city: 'Hillsboro, OR', country: 'US', network_zone: 'us-west', description: 'Hillsboro, OR' },
  sin: { id: 6, city: 'Singapore', country: 'SG', network_zone: 'ap-southeast', description: 'Singapore' },
};

const ERRORS: Record<SimErrorKind, [number, string, string]> = {
  throttle: [429, 'rate_limit_exceeded', 'limit of 3600 requests per hour reached'],
  server: [500, 'server_error', 'Error while processing the request'],
  unavailable: [503, 'unavailable', 'A service or product is currently not available'],
  auth: [401, 'unauthorized', 'unable to authenticate'],
};

function rateLimitHeaders(remaining: number): Record<string, string> {
  return {
    'ratelimit-limit': String(RATE_LIMIT),
    'ratelimit-remaining': String(remaining),
    'ratelimit-reset': String(Math.floor(Date.now() / 1000) + (RATE_LIMIT - remaining)),
  };
}

function errorBody(status: number, code: string, message: string, details: unknown = {}): SimResponse {
  return simJson(status, { error: { code, message, details } }, rateLimitHeaders(status === 429 ? 0 : RATE_LIMIT - 1));
}

/** The server id: the fleet id when it is a number, else a stable number from it. */
export function serverId(id: string): number {
  if (/^[1-9]\d{0,14}$/.test(id)) return Number(id);
  return createHash('sha256').update(id).digest().readUInt32BE(0) + 1;
}

/** `2001:db8:6:1::1` -> `2001:db8:6:1::/64` (the fleet holds the address, the API shows the network). */
function ipv6Network(address: string): string {
  return `${address.replace(/::1$/, '')}::/64`;
}

/** Hetzner's `label_selector` (Kubernetes' grammar); undefined when the text is not one. */
export function labelSelector(text: string): LabelRequirement[] | undefined {
  try {
    return parseLabelSelector(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- servers

function serverJson(instance: HetznerInstance): Record<string, unknown> {
  const id = serverId(instance.id);
  const locationName = instance.zone ?? 'fsn1';
  const location = LOCATIONS[locationName] ?? { id: 99, city: locationName, country: 'DE', network_zone: 'eu-central', description: locationName };
  const network = instance.network_id ?? DEFAULT_NETWORK;
  const privateAddresses = [instance.private_ipv4, ...(instance.extra_nics ?? []).map((nic) => nic.private_ipv4)];
  const privateNet = privateAddresses.flatMap((ip, i) =>
    ip === undefined
      ? []
      : [
          {
            network: network + i,
            ip,
            alias_ips: [],
            mac_address: `86:00:00:${((id >> 16) & 255).toString(16).padStart(2, '0')}:${((id >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
          },
        ],
  );
  const name = instance.name ?? instance.id;
  return {
    id,
    name,
    status: instance.state ?? 'running',
    created: '2026-01-30T23:55:00+00:00',
    public_net: {
      ipv4:
        instance.public_ipv4 === undefined
          ? null
          : { id: id + 1_000_000, ip: instance.public_ipv4, blocked: false, dns_ptr: `static.${instance.public_ipv4}.clients.your-server.de` },
      ipv6: instance.public_ipv6 === undefined ? null : { id: id + 2_000_000, ip: ipv6Network(instance.public_ipv6), blocked: false, dns_ptr: [] },
      floating_ips: [],
      firewalls: [],
    },
    private_net: privateNet,
    server_type: {
      id: 22,
      name: 'cpx21',
      description: 'CPX 21',
      cores: 3,
      memory: 4,
      disk: 80,
      deprecated: false,
      storage_type: 'local',
      cpu_type: 'shared',
      architecture: 'x86',
    },
    location: {
      id: location.id,
      name: locationName,
      description: location.description,
      country: location.country,
      city: location.city,
      latitude: 50.47612,
      longitude: 12.370071,
      network_zone: location.network_zone,
    },
    image: {
      id: 161547269,
      type: 'system',
      status: 'available',
      name: 'ubuntu-24.04',
      description: 'Ubuntu 24.04',
      os_flavor: 'ubuntu',
      os_version: '24.04',
      rapid_deploy: true,
      labels: {},
      architecture: 'x86',
    },
    iso: null,
    rescue_enabled: false,
    locked: false,
    backup_window: null,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    included_traffic: 21990232555520,
    protection: { delete: false, rebuild: false },
    labels: instance.tags ?? {},
    volumes: [],
    load_balancers: [],
    primary_disk_size: 80,
    placement_group: null,
  };
}

function listServers(req: SimRequest, ctx: SimContext): SimResponse {
  const expected = fleetCredentials<{ token?: string }>(ctx, 'hetzner')?.token;
  const given = bearerToken(req);
  if (expected === undefined || given !== expected) {
    const [status, code, message] = ERRORS.auth;
    return errorBody(status, code, message);
  }
  const params = req.url.searchParams;
  let instances = visibleInstances<HetznerInstance>(ctx, 'hetzner');
  const selector = params.get('label_selector');
  if (selector) {
    const requirements = labelSelector(selector);
    if (!requirements) {
      return errorBody(400, 'invalid_input', "invalid input in field 'label_selector'", {
        fields: [{ name: 'label_selector', messages: ['invalid label selector'] }],
      });
    }
    instances = instances.filter((i) => labelsMatch(requirements, i.tags ?? {}));
  }
  const statuses = params.getAll('status').flatMap((s) => s.split(','));
  if (statuses.length > 0) instances = instances.filter((i) => statuses.includes(i.state ?? 'running'));
  const name = params.get('name');
  if (name) instances = instances.filter((i) => (i.name ?? i.id) === name);
  instances.sort((a, b) => serverId(a.id) - serverId(b.id));

  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const asked = Number.parseInt(params.get('per_page') ?? `${DEFAULT_PER_PAGE}`, 10) || DEFAULT_PER_PAGE;
  const perPage = Math.min(asked, MAX_PER_PAGE, ctx.fleet.page_size?.[API_NAME] ?? MAX_PER_PAGE);
  const { items, total } = simPage(instances, page, perPage);
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const link = (p: number) => {
    const url = new URL(req.url.href);
    url.searchParams.set('page', String(p));
    url.searchParams.set('per_page', String(perPage));
    return `${url.pathname}${url.search}`;
  };
  const links = [
    ...(page > 1 ? [`<${link(page - 1)}>; rel="prev"`] : []),
    ...(page < lastPage ? [`<${link(page + 1)}>; rel="next"`] : []),
    `<${link(lastPage)}>; rel="last"`,
  ];
  return simJson(
    200,
    {
      servers: items.map(serverJson),
      meta: {
        pagination: {
          page,
          per_page: perPage,
          previous_page: page > 1 ? page - 1 : null,
          next_page: page < lastPage ? page + 1 : null,
          last_page: lastPage,
          total_entries: total,
        },
      },
    },
    { ...rateLimitHeaders(RATE_LIMIT - 1), link: links.join(', ') },
  );
}

const api = simRoutes(
  {
    name: API_NAME,
    summary: 'Hetzner Cloud API (`GET /v1/servers`: label_selector, status, page/per_page)',
    errorResponse(kind) {
      const [status, code, message] = ERRORS[kind];
      return errorBody(status, code, message);
    },
  },
  [{ method: 'GET', path: /^\/v1\/servers$/, handle: listServers }],
);

const hetznerSim: SimModule = {
  provider: 'hetzner',
  apis: [api],
  fleet: hetznerFleet,
  connect: {
    config: '`endpoint=http://127.0.0.1:PORT/v1`',
    env: '`HCLOUD_TOKEN`',
    why: 'the Hetzner Cloud API is plain HTTPS with a bearer token; the endpoint moves it',
  },
  paste(ctx) {
    const first =
      visibleInstances<HetznerInstance>(ctx, 'hetzner')[0] ?? (ctx.fleet.instances.find((i) => i.cloud === 'hetzner') as HetznerInstance | undefined);
    if (first === undefined) return undefined;
    const token = fleetCredentials<{ token?: string }>(ctx, 'hetzner')?.token;
    const label = Object.entries(first.tags ?? {})[0];
    const selector = label ? ` label_selector="${label[0]}=${label[1]}"` : '';
    return {
      provider: 'hetzner',
      config: `provider=hetzner${selector} endpoint=${ctx.httpUrl}/v1`,
      env: token ? { HCLOUD_TOKEN: token } : ({} as Record<string, string>),
    };
  },
};

export default hetznerSim;
