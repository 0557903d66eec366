/**
 * vCenter's Automation REST API (`/api`, 7.0U2+) as the simulator serves it (provider-apis.md §11):
 * `POST`/`DELETE /api/session` (HTTP Basic -> a session id string, 201), the tagging API
 * (categories, tags, `list-tags-for-category`, `list-attached-objects-on-tags`) and
 * `GET /api/vcenter/vm/{vm}/guest/networking/interfaces`. Every call but login needs a live
 * `vmware-api-session-id`, else 401 `UNAUTHENTICATED`; the sim counts live sessions so tests can
 * check that none leak. Categories and tags come from the VMs' `tags` (category: tag).
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  type FleetAddresses,
  type FleetInstance,
  fleetCredentials,
  isVisible,
  type SimApi,
  type SimContext,
  type SimErrorKind,
  type SimModule,
  type SimRequest,
  type SimResponse,
  simJson,
  simRoutes,
  visibleInstances,
} from '../../src/kit/index.js';
import { vsphereFleet } from './sim-fleet.js';

export const CIS_API = 'vsphere-cis';
export const VCENTER_API = 'vsphere-vcenter';

function apiError(status: number, errorType: string, id: string, message: string, headers: Record<string, string> = {}): SimResponse {
  return simJson(status, { error_type: errorType, messages: [{ args: [], default_message: message, id }] }, headers);
}

const ERRORS: Record<SimErrorKind, () => SimResponse> = {
  // vCenter documents no 429; its reverse proxy sends one under load, and vAPI says RESOURCE_BUSY.
  throttle: () => apiError(429, 'RESOURCE_BUSY', 'com.vmware.vapi.std.errors.resource_busy', 'The server is busy; retry later.', { 'retry-after': '1' }),
  server: () => apiError(500, 'ERROR', 'com.vmware.vapi.std.errors.error', 'An internal error occurred.'),
  unavailable: () => apiError(503, 'SERVICE_UNAVAILABLE', 'com.vmware.vapi.std.errors.service_unavailable', 'The service is unavailable.'),
  auth: () => apiError(401, 'UNAUTHENTICATED', 'com.vmware.vapi.endpoint.method.authentication.required', 'Authentication required.'),
};

/** Live sessions per sim (keyed by its URL: several sims run in one test process). */
const sessions = new Map<string, Set<string>>();

function liveSet(ctx: SimContext): Set<string> {
  let set = sessions.get(ctx.httpsUrl);
  if (!set) {
    set = new Set();
    sessions.set(ctx.httpsUrl, set);
  }
  return set;
}

/** Callers of {@link allSessionsDeleted} waiting per sim, called when its last session is deleted. */
const drained = new Map<string, Array<() => void>>();

/**
 * Resolves once no session is open on this sim's vCenter: the event a test waits for when the call
 * it made has already ended (a timeout rejects before the provider's `DELETE /api/session` lands).
 */
export function allSessionsDeleted(ctx: SimContext): Promise<void> {
  if (liveSessions(ctx) === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const waiting = drained.get(ctx.httpsUrl) ?? [];
    waiting.push(resolve);
    drained.set(ctx.httpsUrl, waiting);
  });
}

/** How many sessions are open on this sim's vCenter (logged in, not yet deleted). */
export function liveSessions(ctx: SimContext): number {
  return sessions.get(ctx.httpsUrl)?.size ?? 0;
}

function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function uuidOf(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const categoryId = (name: string) => `urn:vmomi:InventoryServiceCategory:${uuidOf(`category:${name}`)}:GLOBAL`;
export const tagId = (category: string, name: string) => `urn:vmomi:InventoryServiceTag:${uuidOf(`tag:${category}:${name}`)}:GLOBAL`;

/** The VM id: the instance id when it is `vm-N`, else a stable `vm-N`. */
export function vmId(instance: FleetInstance): string {
  if (/^vm-\d+$/.test(instance.id)) return instance.id;
  return `vm-${(createHash('sha256').update(instance.id).digest().readUInt32BE(0) % 9_000_000) + 1000}`;
}

function vms(ctx: SimContext): FleetInstance[] {
  return visibleInstances(ctx, 'vsphere');
}

/** Every category: a tag key of any VM (vms listed so the sim need not rebuild maps per request). */
function categories(all: readonly FleetInstance[]): Map<string, Map<string, FleetInstance[]>> {
  const out = new Map<string, Map<string, FleetInstance[]>>();
  for (const vm of all) {
    for (const [category, tag] of Object.entries(vm.tags ?? {})) {
      let tags = out.get(category);
      if (!tags) out.set(category, (tags = new Map()));
      let list = tags.get(tag);
      if (!list) tags.set(tag, (list = []));
      list.push(vm);
    }
  }
  return out;
}

function authorized(req: SimRequest, ctx: SimContext): boolean {
  const id = header(req, 'vmware-api-session-id');
  return id !== undefined && liveSet(ctx).has(id);
}

function readJson(req: SimRequest): Record<string, unknown> | undefined {
  try {
    const body = JSON.parse(req.body.toString('utf8')) as unknown;
    return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const invalid = (message: string) => apiError(400, 'INVALID_ARGUMENT', 'com.vmware.vapi.std.errors.invalid_argument', message);
const notFound = (message: string) => apiError(404, 'NOT_FOUND', 'com.vmware.vapi.std.errors.not_found', message);

function login(req: SimRequest, ctx: SimContext): SimResponse {
  const expected = fleetCredentials<{ user?: string; password?: string }>(ctx, 'vsphere');
  const encoded = /^Basic\s+(\S+)$/i.exec(header(req, 'authorization') ?? '')?.[1];
  const decoded = encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const [user, password] = colon < 0 ? ['', ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
  if (!expected?.user || !expected.password || user !== expected.user || password !== expected.password) return ERRORS.auth();
  const id = randomUUID().replace(/-/g, '');
  liveSet(ctx).add(id);
  return simJson(201, id);
}

function cis(req: SimRequest, ctx: SimContext): SimResponse {
  const path = req.url.pathname;
  if (path === '/api/session' && req.method === 'POST') return login(req, ctx);
  if (!authorized(req, ctx)) return ERRORS.auth();
  if (path === '/api/session') {
    if (req.method === 'DELETE') {
      liveSet(ctx).delete(header(req, 'vmware-api-session-id') as string);
      if (liveSet(ctx).size === 0) {
        for (const resolve of drained.get(ctx.httpsUrl) ?? []) resolve();
        drained.delete(ctx.httpsUrl);
      }
      return { status: 204 };
    }
    if (req.method === 'GET')
      return simJson(200, {
        user: fleetCredentials<{ user?: string }>(ctx, 'vsphere')?.user,
        created_time: '2026-01-05T10:00:00.000Z',
        last_accessed_time: new Date().toISOString(),
      });
  }
  const all = categories(vms(ctx));
  if (path === '/api/cis/tagging/category' && req.method === 'GET') return simJson(200, [...all.keys()].map(categoryId));
  let match = /^\/api\/cis\/tagging\/category\/([^/]+)$/.exec(path);
  if (match && req.method === 'GET') {
    const id = decodeURIComponent(match[1] as string);
    const name = [...all.keys()].find((c) => categoryId(c) === id);
    if (name === undefined) return notFound(`Category ${id} not found.`);
    return simJson(200, { id, name, description: '', cardinality: 'SINGLE', associable_types: ['VirtualMachine'], used_by: [] });
  }
  if (path === '/api/cis/tagging/tag' && req.method === 'POST' && req.url.searchParams.get('action') === 'list-tags-for-category') {
    const body = readJson(req);
    if (typeof body?.category_id !== 'string') return invalid('category_id is required.');
    const name = [...all.keys()].find((c) => categoryId(c) === body.category_id);
    if (name === undefined) return notFound(`Category ${body.category_id} not found.`);
    return simJson(
      200,
      [...(all.get(name)?.keys() ?? [])].map((tag) => tagId(name, tag)),
    );
  }
  match = /^\/api\/cis\/tagging\/tag\/([^/]+)$/.exec(path);
  if (match && req.method === 'GET') {
    const id = decodeURIComponent(match[1] as string);
    for (const [category, tags] of all) {
      for (const tag of tags.keys()) {
        if (tagId(category, tag) === id) return simJson(200, { id, category_id: categoryId(category), name: tag, description: '', used_by: [] });
      }
    }
    return notFound(`Tag ${id} not found.`);
  }
  if (path === '/api/cis/tagging/tag-association' && req.method === 'POST' && req.url.searchParams.get('action') === 'list-attached-objects-on-tags') {
    const body = readJson(req);
    if (!Array.isArray(body?.tag_ids)) return invalid('tag_ids is required.');
    const out: Array<{ tag_id: string; object_ids: Array<{ type: string; id: string }> }> = [];
    for (const wanted of body.tag_ids) {
      for (const [category, tags] of all) {
        for (const [tag, members] of tags) {
          if (tagId(category, tag) === wanted) out.push({ tag_id: wanted, object_ids: members.map((vm) => ({ type: 'VirtualMachine', id: vmId(vm) })) });
        }
      }
    }
    return simJson(200, out);
  }
  return notFound(`No such operation: ${req.method} ${path}`);
}

/** A guest NIC as Tools reports it: its addresses, and the link-local IPv6 every guest NIC has. */
function nic(addresses: FleetAddresses, key: string, n: number): Record<string, unknown> {
  const hex = createHash('sha256').update(`${key}:${n}`).digest('hex');
  const mac = `00:50:56:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
  const ips: Array<Record<string, unknown>> = [];
  for (const v4 of [addresses.private_ipv4, addresses.public_ipv4]) if (v4) ips.push({ ip_address: v4, prefix_length: 24, origin: 'DHCP', state: 'PREFERRED' });
  for (const v6 of [addresses.private_ipv6, addresses.public_ipv6])
    if (v6) ips.push({ ip_address: v6, prefix_length: 64, origin: 'OTHER', state: 'PREFERRED' });
  ips.push({ ip_address: `fe80::250:56ff:fe${hex.slice(0, 2)}:${hex.slice(2, 6)}`, prefix_length: 64, origin: 'LINKLAYER', state: 'UNKNOWN' });
  return {
    nic: String(4000 + n),
    mac_address: mac,
    ip: { ip_addresses: ips, dhcp: { ipv4_enabled: true, ipv6_enabled: false } },
    dns: { domain_name: 'example.internal', ip_addresses: ['10.0.0.2'], search_domains: ['example.internal'] },
    dns_values: { domain_name: 'example.internal', search_domains: 'example.internal' },
    wins_servers: [],
  };
}

/** VMs by id, built once per fleet (a guest call per VM must not scan the whole fleet). */
const byId = new WeakMap<readonly FleetInstance[], Map<string, FleetInstance>>();
function vmById(ctx: SimContext, id: string): FleetInstance | undefined {
  let index = byId.get(ctx.fleet.instances);
  if (!index) {
    index = new Map(ctx.fleet.instances.filter((i) => i.cloud === 'vsphere').map((i) => [vmId(i), i]));
    byId.set(ctx.fleet.instances, index);
  }
  const vm = index.get(id);
  return vm && isVisible(vm, ctx) ? vm : undefined;
}

function vcenter(req: SimRequest, ctx: SimContext, params: readonly string[]): SimResponse {
  if (!authorized(req, ctx)) return ERRORS.auth();
  const id = decodeURIComponent(params[0] ?? '');
  const vm = vmById(ctx, id);
  if (!vm) return notFound(`Virtual machine with identifier '${id}:VirtualMachine' does not exist.`);
  if (vm.vmware_tools === false || (vm.state ?? 'running') !== 'running') {
    return apiError(503, 'SERVICE_UNAVAILABLE', 'com.vmware.api.vcenter.vm.guest.tools_not_running', `VMware Tools is not running in the guest of ${id}.`);
  }
  return simJson(
    200,
    [vm, ...(vm.extra_nics ?? [])].map((addresses, n) => nic(addresses, vm.id, n)),
  );
}

const cisApi: SimApi = {
  name: CIS_API,
  summary: 'vSphere Automation REST: `/api/session`, the tagging API (categories, tags, attached objects)',
  match: (req) => req.url.pathname === '/api/session' || req.url.pathname.startsWith('/api/cis/'),
  handle: cis,
  errorResponse: (kind) => ERRORS[kind](),
};

const vcenterApi: SimApi = simRoutes(
  { name: VCENTER_API, summary: 'vSphere Automation REST: `/api/vcenter/vm/{vm}/guest/networking/interfaces`', errorResponse: (kind) => ERRORS[kind]() },
  [{ method: 'GET', path: /^\/api\/vcenter\/vm\/([^/]+)\/guest\/networking\/interfaces$/, handle: vcenter }],
);

const vsphereSim: SimModule = {
  provider: 'vsphere',
  apis: [cisApi, vcenterApi],
  fleet: vsphereFleet,
  connect: {
    config: '`host=127.0.0.1:PORT` (the https port)',
    env: '`VSPHERE_USER`, `VSPHERE_PASSWORD`; `NODE_EXTRA_CA_CERTS` (the sim CA) or `insecure_ssl=true`',
    why: 'vCenter is always https; the host argument takes a port',
  },
  paste(ctx) {
    const tagged = ctx.fleet.instances.find((i) => i.cloud === 'vsphere' && Object.keys(i.tags ?? {}).length > 0);
    const creds = fleetCredentials<{ user?: string; password?: string }>(ctx, 'vsphere');
    if (!tagged || !creds?.user || !creds.password) return undefined;
    const [category, tag] = Object.entries(tagged.tags ?? {})[0] as [string, string];
    const quote = (value: string) => (/^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value));
    return {
      provider: 'vsphere',
      config: `provider=vsphere category_name=${quote(category)} tag_name=${quote(tag)} host=${new URL(ctx.httpsUrl).host}`,
      env: { VSPHERE_USER: creds.user, VSPHERE_PASSWORD: creds.password, NODE_EXTRA_CA_CERTS: ctx.caPath },
    };
  },
};

export default vsphereSim;
