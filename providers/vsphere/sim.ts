/**
 * vCenter as the simulator serves it: the Automation REST API (`/api`, 7.0U2+; provider-apis.md
 * §11) for sessions and tagging, and the Web Services API (SOAP `/sdk`, sim-soap.ts) for the VMs'
 * `guest.net`. REST: `POST`/`DELETE /api/session` (HTTP Basic -> a session id string, 201), the
 * tagging API (categories, tags, `list-tags-for-category`, `list-attached-objects-on-tags`); every
 * call but login needs a live `vmware-api-session-id`, else 401 `UNAUTHENTICATED`. The sim counts
 * live sessions of both APIs so tests can check that none leak. Categories and tags come from the
 * VMs' `tags` (category: tag).
 */
import { createHash } from 'node:crypto';
import {
  type FleetInstance,
  fleetCredentials,
  type SimApi,
  type SimContext,
  type SimErrorKind,
  type SimModule,
  type SimRequest,
  type SimResponse,
  simJson,
  visibleInstances,
} from '../../src/kit/index.js';
import { vsphereFleet } from './sim-fleet.js';
import { sdkApi } from './sim-soap.js';
import { closeRestSession, hasRestSession, openRestSession, vmId } from './sim-state.js';

export { SDK_API } from './sim-soap.js';
export { allSessionsDeleted, closeSoapSession, liveSessions, liveSoapSessions, nextSoapLogin, vmId } from './sim-state.js';
export const CIS_API = 'vsphere-cis';

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

const authorized = (req: SimRequest, ctx: SimContext) => hasRestSession(ctx, header(req, 'vmware-api-session-id'));

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
  return simJson(201, openRestSession(ctx));
}

function cis(req: SimRequest, ctx: SimContext): SimResponse {
  const path = req.url.pathname;
  if (path === '/api/session' && req.method === 'POST') return login(req, ctx);
  if (!authorized(req, ctx)) return ERRORS.auth();
  if (path === '/api/session') {
    if (req.method === 'DELETE') {
      closeRestSession(ctx, header(req, 'vmware-api-session-id') as string);
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

const cisApi: SimApi = {
  name: CIS_API,
  summary: 'vSphere Automation REST: `/api/session`, the tagging API (categories, tags, attached objects)',
  match: (req) => req.url.pathname === '/api/session' || req.url.pathname.startsWith('/api/cis/'),
  handle: cis,
  errorResponse: (kind) => ERRORS[kind](),
};

const vsphereSim: SimModule = {
  provider: 'vsphere',
  apis: [cisApi, sdkApi],
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
