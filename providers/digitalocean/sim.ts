/**
 * DigitalOcean's droplet API as the simulator serves it (provider-apis.md §2):
 * `GET /v2/droplets?tag_name=&page=&per_page=` with `links.pages` (`first`/`prev`/`next`/`last`
 * as the real API sends them), `meta.total`, the `ratelimit-*` headers, bearer-token auth (401
 * `unauthorized`), 429 `too_many_requests` with `retry-after`.
 */
import { createHash } from 'node:crypto';
import {
  fleetCredentials,
  type FleetInstance,
  type SimApi,
  type SimContext,
  type SimErrorKind,
  type SimModule,
  type SimRequest,
  type SimResponse,
  simJson,
  simPage,
  simRoutes,
  tokenAccepted,
  visibleInstances,
} from '../../src/kit/index.js';
import { digitaloceanFleet } from './sim-fleet.js';

export const API_NAME = 'digitalocean';
/** The API's page sizes: 20 unless asked, at most 200. */
export const DEFAULT_PER_PAGE = 20;
export const MAX_PER_PAGE = 200;

const ERRORS: Record<SimErrorKind, [number, string, string]> = {
  throttle: [429, 'too_many_requests', 'API Rate limit exceeded.'],
  server: [500, 'server_error', 'Server was unable to give you a response.'],
  unavailable: [503, 'service_unavailable', 'The service is temporarily unavailable. Please try again later.'],
  auth: [401, 'unauthorized', 'Unable to authenticate you.'],
};

/** The headers DigitalOcean puts on every answer (5000 requests an hour). */
function rateHeaders(): Record<string, string> {
  return { 'ratelimit-limit': '5000', 'ratelimit-remaining': '4999', 'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) };
}

function error(kind: SimErrorKind): SimResponse {
  const [status, id, message] = ERRORS[kind];
  const headers = kind === 'throttle' ? { ...rateHeaders(), 'ratelimit-remaining': '0', 'retry-after': '1' } : rateHeaders();
  return simJson(status, { id, message, request_id: 'b4e2c6a0-0000-4000-8000-000000000000' }, headers);
}

/** The droplet id: the instance id when numeric, else a stable 9-digit number. */
export function dropletId(instance: FleetInstance): number {
  if (/^\d{1,15}$/.test(instance.id)) return Number(instance.id);
  return (createHash('sha256').update(instance.id).digest().readUInt32BE(0) % 900_000_000) + 100_000_000;
}

/** The instance's tags as droplet tag names. */
export function dropletTags(instance: FleetInstance): string[] {
  return Object.entries(instance.tags ?? {}).map(([key, value]) => (value === '' ? key : `${key}:${value}`));
}

const STATUS: Record<string, string> = { running: 'active', stopped: 'off', pending: 'new' };

function droplet(instance: FleetInstance): Record<string, unknown> {
  const region = instance.region ?? 'nyc3';
  const v4: Record<string, unknown>[] = [];
  if (instance.private_ipv4) v4.push({ ip_address: instance.private_ipv4, netmask: '255.255.0.0', gateway: 'nil', type: 'private' });
  if (instance.public_ipv4) {
    v4.push({ ip_address: instance.public_ipv4, netmask: '255.255.255.0', gateway: instance.public_ipv4.replace(/\.\d+$/, '.1'), type: 'public' });
  }
  const v6 = instance.public_ipv6
    ? [{ ip_address: instance.public_ipv6, netmask: 64, gateway: instance.public_ipv6.replace(/::?[0-9a-f]*$/i, '::1'), type: 'public' }]
    : [];
  const features = ['private_networking', ...(v6.length ? ['ipv6'] : [])];
  return {
    id: dropletId(instance),
    name: instance.name ?? instance.id,
    memory: 1024,
    vcpus: 1,
    disk: 25,
    locked: false,
    status: STATUS[instance.state ?? 'running'] ?? instance.state,
    kernel: null,
    created_at: '2026-01-05T10:00:00Z',
    features,
    backup_ids: [],
    next_backup_window: null,
    snapshot_ids: [],
    image: {
      id: 63663980,
      name: '24.04 (LTS) x64',
      distribution: 'Ubuntu',
      slug: 'ubuntu-24-04-x64',
      public: true,
      regions: [region],
      type: 'base',
      min_disk_size: 7,
      size_gigabytes: 2.36,
      description: '',
      tags: [],
      status: 'available',
      error_message: '',
    },
    volume_ids: [],
    size: {
      slug: 's-1vcpu-1gb',
      memory: 1024,
      vcpus: 1,
      disk: 25,
      transfer: 1.0,
      price_monthly: 6.0,
      price_hourly: 0.00893,
      regions: [region],
      available: true,
    },
    size_slug: 's-1vcpu-1gb',
    // A droplet being created has no networks yet (godo then fails; the provider skips it).
    networks: instance.state === 'pending' ? null : { v4, v6 },
    region: { name: region, slug: region, features: ['private_networking', 'backups', 'ipv6', 'metadata'], available: true, sizes: ['s-1vcpu-1gb'] },
    tags: dropletTags(instance),
    vpc_uuid: '760e09ef-dc84-11e8-981e-3cfdfeaae000',
  };
}

function positiveInt(value: string | null, fallback: number): number | undefined {
  if (value === null || value === '') return fallback;
  return /^\d+$/.test(value) && Number(value) >= 1 ? Number(value) : undefined;
}

function listDroplets(req: SimRequest, ctx: SimContext): SimResponse {
  const token = fleetCredentials<{ token?: string }>(ctx, 'digitalocean')?.token;
  if (!tokenAccepted(req, token)) return error('auth');
  const params = req.url.searchParams;
  const page = positiveInt(params.get('page'), 1);
  const asked = positiveInt(params.get('per_page'), DEFAULT_PER_PAGE);
  if (page === undefined || asked === undefined) {
    return simJson(400, { id: 'bad_request', message: 'page and per_page must be positive integers' }, rateHeaders());
  }
  const tag = params.get('tag_name');
  const perPage = Math.min(asked, MAX_PER_PAGE, ctx.fleet.page_size?.[API_NAME] ?? MAX_PER_PAGE);
  const matching = visibleInstances(ctx, 'digitalocean')
    .filter((i) => !tag || dropletTags(i).includes(tag))
    .sort((a, b) => dropletId(a) - dropletId(b));
  const { items, total } = simPage(matching, page, perPage);
  const last = Math.max(1, Math.ceil(total / perPage));
  const link = (n: number) => {
    const url = new URL(req.url.href);
    url.search = '';
    url.searchParams.set('page', String(n));
    url.searchParams.set('per_page', String(perPage));
    if (tag) url.searchParams.set('tag_name', tag);
    return url.href;
  };
  // Only the links that make sense: first page {last,next}, middle all four, last {first,prev}.
  const pages: Record<string, string> = {};
  if (page > 1) Object.assign(pages, { first: link(1), prev: link(Math.min(page - 1, last)) });
  if (page < last) Object.assign(pages, { last: link(last), next: link(page + 1) });
  return simJson(200, { droplets: items.map(droplet), links: { pages }, meta: { total } }, rateHeaders());
}

const api: SimApi = simRoutes({ name: API_NAME, summary: 'Droplets API (`GET /v2/droplets`, `links.pages` paging)', errorResponse: (kind) => error(kind) }, [
  { method: 'GET', path: /^\/v2\/droplets$/, handle: (req, ctx) => listDroplets(req, ctx) },
]);

const digitaloceanSim: SimModule = {
  provider: 'digitalocean',
  apis: [api],
  fleet: digitaloceanFleet,
  connect: {
    config: '`url=http://127.0.0.1:PORT` (or `DIGITALOCEAN_API_URL`)',
    env: '`DIGITALOCEAN_TOKEN`',
    why: "the API base URL is an argument, as doctl's `--api-url`",
  },
  paste(ctx) {
    const droplets = ctx.fleet.instances.filter((i) => i.cloud === 'digitalocean');
    const tagged = droplets.find((d) => dropletTags(d).length > 0);
    const token = fleetCredentials<{ token?: string }>(ctx, 'digitalocean')?.token;
    if (!tagged || !token) return undefined;
    const tag = dropletTags(tagged)[0] as string;
    const quoted = /^[^\s"=\\]+$/.test(tag) ? tag : JSON.stringify(tag);
    return { provider: 'digitalocean', config: `provider=digitalocean tag_name=${quoted} url=${ctx.httpUrl}`, env: { DIGITALOCEAN_TOKEN: token } };
  },
};

export default digitaloceanSim;
