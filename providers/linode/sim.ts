/**
 * Linode API v4 as the simulator serves it (provider-apis.md §3): `GET /v4/linode/instances`
 * with `X-Filter` and `page`/`page_size` (100 unless asked, 25-500; a page past the end is the
 * last page), `GET /v4/linode/instances/{id}/ips`; bearer-token auth (401 `Invalid Token`),
 * 429 with `Retry-After` and the `X-RateLimit-*` headers.
 */
import { createHash } from 'node:crypto';
import {
  fleetCredentials,
  type SimApi,
  type SimContext,
  type SimErrorKind,
  type SimModule,
  type SimRequest,
  type SimResponse,
  simJson,
  simRoutes,
  tokenAccepted,
  visibleInstances,
} from '../../src/kit/index.js';
import { type LinodeFleetInstance, linodeFleet } from './sim-fleet.js';

export const API_NAME = 'linode';
export const DEFAULT_PAGE_SIZE = 100;
export const MIN_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 500;

const ERRORS: Record<SimErrorKind, [number, string]> = {
  throttle: [429, 'Too many requests'],
  server: [500, 'An unexpected error occurred.'],
  unavailable: [503, 'Service unavailable'],
  auth: [401, 'Invalid Token'],
};

function rateHeaders(remaining = 799): Record<string, string> {
  return { 'x-ratelimit-limit': '800', 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60) };
}

function errors(status: number, reason: string, field?: string, headers: Record<string, string> = rateHeaders()): SimResponse {
  return simJson(status, { errors: [{ reason, ...(field ? { field } : {}) }] }, headers);
}

function errorResponse(kind: SimErrorKind): SimResponse {
  const [status, reason] = ERRORS[kind];
  return errors(status, reason, undefined, kind === 'throttle' ? { ...rateHeaders(0), 'retry-after': '1' } : rateHeaders());
}

/** The Linode id: the instance id when numeric, else a stable 8-digit number. */
export function linodeId(instance: LinodeFleetInstance): number {
  if (/^\d{1,15}$/.test(instance.id)) return Number(instance.id);
  return (createHash('sha256').update(instance.id).digest().readUInt32BE(0) % 90_000_000) + 10_000_000;
}

export function linodeTags(instance: LinodeFleetInstance): string[] {
  return Object.entries(instance.tags ?? {}).map(([key, value]) => (value === '' ? key : `${key}:${value}`));
}

const STATUS: Record<string, string> = { running: 'running', stopped: 'offline', pending: 'provisioning' };

function instanceBody(instance: LinodeFleetInstance): Record<string, unknown> {
  return {
    group: '',
    hypervisor: 'kvm',
    id: linodeId(instance),
    status: STATUS[instance.state ?? 'running'] ?? instance.state,
    type: 'g6-standard-1',
    alerts: { network_in: 10, network_out: 10, cpu: 90, transfer_quota: 80, io: 10000 },
    label: instance.name ?? instance.id,
    backups: { enabled: false, schedule: { window: null, day: null } },
    specs: { memory: 2048, disk: 51200, vcpus: 1, transfer: 2000 },
    // The list carries the public and private IPv4 addresses (not VPC ones) and the SLAAC address.
    ipv6: instance.public_ipv6 ? `${instance.public_ipv6}/128` : null,
    created: '2026-01-05T10:00:00',
    region: instance.region ?? 'us-east',
    ipv4: [instance.public_ipv4, instance.private_ipv4].filter((a): a is string => Boolean(a)),
    updated: '2026-01-05T10:00:00',
    image: 'linode/ubuntu24.04',
    tags: linodeTags(instance),
    host_uuid: createHash('sha1').update(instance.id).digest('hex'),
    watchdog_enabled: true,
    disk_encryption: 'enabled',
    lke_cluster_id: null,
    placement_group: null,
    maintenance_policy: 'linode/migrate',
  };
}

// Rendered once per fleet instance (a fleet change brings new objects): a 10,000-instance list
// rebuilt and hashed on every page made the simulator the slow side of bench/fleet.
const bodies = new WeakMap<LinodeFleetInstance, Record<string, unknown>>();
function cachedBody(instance: LinodeFleetInstance): Record<string, unknown> {
  let body = bodies.get(instance);
  if (!body) bodies.set(instance, (body = instanceBody(instance)));
  return body;
}

function ipObject(address: string, instance: LinodeFleetInstance, isPublic: boolean, v6 = false): Record<string, unknown> {
  const region = instance.region ?? 'us-east';
  return v6
    ? {
        address,
        gateway: 'fe80::1',
        linode_id: linodeId(instance),
        prefix: 64,
        public: isPublic,
        rdns: null,
        region,
        subnet_mask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
        type: 'ipv6',
      }
    : {
        address,
        gateway: isPublic ? address.replace(/\.\d+$/, '.1') : null,
        linode_id: linodeId(instance),
        prefix: isPublic ? 24 : 17,
        public: isPublic,
        rdns: null,
        region,
        subnet_mask: isPublic ? '255.255.255.0' : '255.255.128.0',
        type: 'ipv4',
      };
}

function ipsBody(instance: LinodeFleetInstance): Record<string, unknown> {
  const id = linodeId(instance);
  return {
    ipv4: {
      private: instance.private_ipv4 ? [ipObject(instance.private_ipv4, instance, false)] : [],
      public: instance.public_ipv4 ? [ipObject(instance.public_ipv4, instance, true)] : [],
      reserved: [],
      vpc: instance.vpc_ipv4
        ? [
            {
              address: instance.vpc_ipv4,
              address_range: null,
              vpc_id: 39246,
              subnet_id: 39388,
              region: instance.region ?? 'us-east',
              linode_id: id,
              config_id: id + 1,
              interface_id: id + 2,
              active: true,
              nat_1_1: instance.public_ipv4 ?? null,
              gateway: instance.vpc_ipv4.replace(/\.\d+$/, '.1'),
              prefix: 24,
              subnet_mask: '255.255.255.0',
            },
          ]
        : [],
      shared: [],
    },
    ipv6: {
      global: [],
      link_local: instance.private_ipv6 ? ipObject(instance.private_ipv6, instance, false, true) : null,
      slaac: instance.public_ipv6 ? ipObject(instance.public_ipv6, instance, true, true) : null,
    },
  };
}

/** The fields of an instance `X-Filter` may name, and how each is read. */
const FILTERABLE: Record<string, (body: Record<string, unknown>) => unknown> = {
  id: (b) => b.id,
  label: (b) => b.label,
  region: (b) => b.region,
  status: (b) => b.status,
  tags: (b) => b.tags,
  type: (b) => b.type,
  image: (b) => b.image,
  group: (b) => b.group,
};

/** Whether an instance body matches an X-Filter object; throws the reason for an invalid filter. */
export function matchesFilter(body: Record<string, unknown>, filter: unknown): boolean {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) throw new Error('Malformed X-Filter');
  return Object.entries(filter as Record<string, unknown>).every(([key, condition]) => {
    if (key === '+order_by' || key === '+order') return true;
    if (key === '+and' || key === '+or') {
      if (!Array.isArray(condition)) throw new Error(`${key} must be an array`);
      return key === '+and' ? condition.every((c) => matchesFilter(body, c)) : condition.some((c) => matchesFilter(body, c));
    }
    const read = FILTERABLE[key];
    if (!read) throw new Error(`Cannot filter on ${key}`);
    const value = read(body);
    const equals = (want: unknown) => (Array.isArray(value) ? value.includes(want) : value === want);
    if (typeof condition !== 'object' || condition === null) return equals(condition);
    return Object.entries(condition as Record<string, unknown>).every(([op, want]) => {
      switch (op) {
        case '+neq':
          return !equals(want);
        case '+contains':
          return Array.isArray(value) ? value.some((v) => String(v).includes(String(want))) : String(value).includes(String(want));
        case '+gt':
          return Number(value) > Number(want);
        case '+gte':
          return Number(value) >= Number(want);
        case '+lt':
          return Number(value) < Number(want);
        case '+lte':
          return Number(value) <= Number(want);
        default:
          throw new Error(`Unknown filter operator ${op}`);
      }
    });
  });
}

function authorized(req: SimRequest, ctx: SimContext): boolean {
  return tokenAccepted(req, fleetCredentials<{ token?: string }>(ctx, 'linode')?.token);
}

function listInstances(req: SimRequest, ctx: SimContext): SimResponse {
  if (!authorized(req, ctx)) return errorResponse('auth');
  const params = req.url.searchParams;
  const pageText = params.get('page') ?? '1';
  const sizeText = params.get('page_size') ?? String(DEFAULT_PAGE_SIZE);
  if (!/^\d+$/.test(pageText) || Number(pageText) < 1) return errors(400, 'Must be an integer greater than 0', 'page');
  const asked = Number(sizeText);
  if (!/^\d+$/.test(sizeText) || asked < MIN_PAGE_SIZE || asked > MAX_PAGE_SIZE) return errors(400, `Must be ${MIN_PAGE_SIZE}-${MAX_PAGE_SIZE}`, 'page_size');
  // A fleet's smaller page size is a server-side cap, for tests of many pages with few instances.
  const pageSize = Math.min(asked, ctx.fleet.page_size?.[API_NAME] ?? asked);
  let bodies = visibleInstances<LinodeFleetInstance>(ctx, 'linode')
    .map(cachedBody)
    .sort((a, b) => (a.id as number) - (b.id as number));
  const header = req.headers['x-filter'];
  const filterText = Array.isArray(header) ? header[0] : header;
  if (filterText) {
    let filter: unknown;
    try {
      filter = JSON.parse(filterText);
    } catch {
      return errors(400, 'Malformed X-Filter', 'X-Filter');
    }
    try {
      bodies = bodies.filter((body) => matchesFilter(body, filter));
    } catch (error) {
      return errors(400, (error as Error).message, 'X-Filter');
    }
  }
  const pages = Math.max(1, Math.ceil(bodies.length / pageSize));
  const page = Math.min(Number(pageText), pages);
  return simJson(200, { data: bodies.slice((page - 1) * pageSize, page * pageSize), page, pages, results: bodies.length }, rateHeaders());
}

function listIps(req: SimRequest, ctx: SimContext, id: string): SimResponse {
  if (!authorized(req, ctx)) return errorResponse('auth');
  const instance = visibleInstances<LinodeFleetInstance>(ctx, 'linode').find((i) => String(linodeId(i)) === id);
  if (!instance) return errors(404, 'Not found');
  return simJson(200, ipsBody(instance), rateHeaders());
}

const api: SimApi = simRoutes(
  { name: API_NAME, summary: 'API v4: `GET /v4/linode/instances` (`X-Filter`, page/pages) and `GET /v4/linode/instances/{id}/ips`', errorResponse },
  [
    { method: 'GET', path: /^\/v4(?:beta)?\/linode\/instances$/, handle: (req, ctx) => listInstances(req, ctx) },
    { method: 'GET', path: /^\/v4(?:beta)?\/linode\/instances\/(\d+)\/ips$/, handle: (req, ctx, [id]) => listIps(req, ctx, id as string) },
  ],
);

const linodeSim: SimModule = {
  provider: 'linode',
  apis: [api],
  fleet: linodeFleet,
  connect: {
    config: '`url=http://127.0.0.1:PORT` (or `LINODE_URL`)',
    env: '`LINODE_TOKEN`',
    why: "the API host is an argument, as linodego's `LINODE_URL`",
  },
  paste(ctx) {
    const instances = ctx.fleet.instances.filter((i) => i.cloud === 'linode') as LinodeFleetInstance[];
    const token = fleetCredentials<{ token?: string }>(ctx, 'linode')?.token;
    const tagged = instances.find((i) => linodeTags(i).length > 0);
    if (!tagged || !token) return undefined;
    const tag = linodeTags(tagged)[0] as string;
    const quoted = /^[^\s"=\\]+$/.test(tag) ? tag : JSON.stringify(tag);
    return { provider: 'linode', config: `provider=linode tag_name=${quoted} url=${ctx.httpUrl}`, env: { LINODE_TOKEN: token } };
  },
};

export default linodeSim;
