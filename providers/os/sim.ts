/**
 * Keystone v3 and Nova as the simulator serves them (provider-apis.md §4):
 * - `POST /identity/v3/auth/tokens`: password (user by name + domain, or id), token and
 *   application-credential methods, project scope by id or name + domain; 201 with the token in
 *   `X-Subject-Token` and a catalog with a compute endpoint per region and interface; anything
 *   else 401 with Keystone's body. Tokens expire after `token_ttl_s`; a token-method token keeps
 *   its parent's expiry, as Keystone does.
 * - `GET /compute/{region}/{interface}/v2.1/servers/detail?status=&limit=&marker=`: Nova's paging
 *   (`[api] max_limit` 1000; `servers_links` next when a page is full; unknown marker 400), for an
 *   unexpired `X-Auth-Token` only.
 * - `GET /openstack/latest/meta_data.json`: the metadata service of the fleet's first server, in
 *   Nova's format (doc/source/user/metadata.rst), whose `project_id` is the fleet's project; the
 *   provider's `metadata_url` points here, so no test or demo asks 169.254.169.254.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  type FleetAddresses,
  type FleetInstance,
  fleetCredentials,
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
import { osFleet } from './sim-fleet.js';

export const KEYSTONE_API = 'os-keystone';
export const NOVA_API = 'os-compute';
export const METADATA_API = 'os-metadata';
export const MAX_LIMIT = 1000;

type OsCredentials = Partial<
  Record<
    | 'user_name'
    | 'password'
    | 'user_id'
    | 'domain_name'
    | 'domain_id'
    | 'project_name'
    | 'project_id'
    | 'application_credential_id'
    | 'application_credential_name'
    | 'application_credential_secret'
    | 'token_ttl_s',
    string
  >
>;

const hex32 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
const uuid = (text: string) => {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** The fleet's identity, defaults filled. */
export function identity(ctx: SimContext) {
  const c = fleetCredentials<OsCredentials>(ctx, 'os') ?? {};
  const projectName = c.project_name ?? 'demo';
  return {
    userName: c.user_name,
    userId: c.user_id ?? (c.user_name ? hex32(`user:${c.user_name}`) : undefined),
    password: c.password,
    domainName: c.domain_name ?? 'Default',
    domainId: c.domain_id ?? 'default',
    projectName,
    projectId: c.project_id ?? hex32(`project:${projectName}`),
    appCredId: c.application_credential_id,
    appCredName: c.application_credential_name,
    appCredSecret: c.application_credential_secret,
    ttlMs: Number(c.token_ttl_s ?? '3600') * 1000,
  };
}

const keystoneError = (status: number, title: string, message: string, headers: Record<string, string> = {}) =>
  simJson(status, { error: { code: status, message, title } }, headers);
const unauthorized = () => keystoneError(401, 'Unauthorized', 'The request you have made requires authentication.');

/** Issued tokens per sim (keyed by its URL: several sims share a test process). */
const tokens = new Map<string, Map<string, number>>();
function tokenStore(ctx: SimContext): Map<string, number> {
  let store = tokens.get(ctx.httpUrl);
  if (!store) tokens.set(ctx.httpUrl, (store = new Map()));
  return store;
}

function validToken(ctx: SimContext, token: string | undefined): boolean {
  const expires = token === undefined ? undefined : tokenStore(ctx).get(token);
  return expires !== undefined && Date.now() < expires;
}

/** Expire every token this sim issued (a test's way to make Nova refuse the token it holds). */
export function expireTokens(ctx: SimContext): void {
  const store = tokenStore(ctx);
  for (const token of store.keys()) store.set(token, 0);
}

function regions(ctx: SimContext): string[] {
  return [...new Set(['RegionOne', ...ctx.fleet.instances.filter((i) => i.cloud === 'os').map((i) => i.region ?? 'RegionOne')])].sort();
}

function catalog(req: SimRequest, ctx: SimContext, projectId: string): unknown[] {
  const base = `${req.url.protocol}//${req.url.host}`;
  const endpoints = (service: string, url: (region: string, iface: string) => string) =>
    regions(ctx).flatMap((region) =>
      ['public', 'internal', 'admin'].map((iface) => ({
        id: hex32(`${service}:${region}:${iface}`),
        interface: iface,
        region,
        region_id: region,
        url: url(region, iface),
      })),
    );
  return [
    { endpoints: endpoints('identity', () => `${base}/identity`), id: hex32('svc:identity'), name: 'keystone', type: 'identity' },
    {
      endpoints: endpoints('compute', (region, iface) => `${base}/compute/${region}/${iface}/v2.1/${projectId}`),
      id: hex32('svc:compute'),
      name: 'nova',
      type: 'compute',
    },
  ];
}

interface AuthRequest {
  auth?: {
    identity?: {
      methods?: string[];
      password?: { user?: { id?: string; name?: string; password?: string; domain?: { id?: string; name?: string } } };
      token?: { id?: string };
      application_credential?: { id?: string; name?: string; secret?: string; user?: { id?: string; name?: string; domain?: { id?: string; name?: string } } };
    };
    scope?: { project?: { id?: string; name?: string; domain?: { id?: string; name?: string } } };
  };
}

function issueToken(req: SimRequest, ctx: SimContext): SimResponse {
  const id = identity(ctx);
  let body: AuthRequest;
  try {
    body = JSON.parse(req.body.toString('utf8')) as AuthRequest;
  } catch {
    return keystoneError(400, 'Bad Request', 'Expecting to find valid JSON in request body.');
  }
  const ident = body.auth?.identity;
  const method = ident?.methods?.[0];
  const domainOk = (d: { id?: string; name?: string } | undefined) => d !== undefined && (d.id === id.domainId || d.name === id.domainName);
  const userOk = (u: { id?: string; name?: string; domain?: { id?: string; name?: string } } | undefined) =>
    u !== undefined && (u.id !== undefined ? u.id === id.userId : u.name !== undefined && u.name === id.userName && domainOk(u.domain));
  let expiresAt = Date.now() + id.ttlMs;
  let appCred = false;
  if (method === 'password') {
    const user = ident?.password?.user;
    if (!id.password || !userOk(user) || user?.password !== id.password) return unauthorized();
  } else if (method === 'token') {
    const parent = ident?.token?.id;
    if (!validToken(ctx, parent)) return keystoneError(404, 'Not Found', `Could not find token: ${parent ? `${parent.slice(0, 4)}...` : ''}.`);
    expiresAt = tokenStore(ctx).get(parent as string) as number;
  } else if (method === 'application_credential') {
    const ac = ident?.application_credential;
    const matches = ac?.id !== undefined ? ac.id === id.appCredId : ac?.name !== undefined && ac.name === id.appCredName && userOk(ac.user);
    if (!id.appCredSecret || !matches || ac?.secret !== id.appCredSecret) return unauthorized();
    appCred = true;
  } else {
    return keystoneError(400, 'Bad Request', 'Expecting to find identity in auth.');
  }
  const project = body.auth?.scope?.project;
  if (appCred && project) return unauthorized();
  if (!appCred) {
    const scoped =
      project !== undefined && (project.id !== undefined ? project.id === id.projectId : project.name === id.projectName && domainOk(project.domain));
    if (!scoped) return unauthorized();
  }
  const token = `gAAAAA${randomBytes(48).toString('base64url')}`;
  tokenStore(ctx).set(token, expiresAt);
  const domain = { id: id.domainId, name: id.domainName };
  return simJson(
    201,
    {
      token: {
        methods: [method],
        roles: [{ id: hex32('role:reader'), name: 'reader' }],
        expires_at: new Date(expiresAt).toISOString().replace('Z', '000Z'),
        project: { domain, id: id.projectId, name: id.projectName },
        is_domain: false,
        catalog: catalog(req, ctx, id.projectId),
        user: { domain, id: id.userId, name: id.userName, password_expires_at: null },
        audit_ids: [randomBytes(16).toString('base64url').slice(0, 22)],
        issued_at: new Date().toISOString().replace('Z', '000Z'),
        ...(appCred ? { application_credential: { id: id.appCredId, name: id.appCredName, restricted: true } } : {}),
      },
    },
    { 'x-subject-token': token, vary: 'X-Auth-Token' },
  );
}

const STATUS: Record<string, string> = { running: 'ACTIVE', stopped: 'SHUTOFF', pending: 'BUILD', terminated: 'DELETED' };
export const serverId = (instance: FleetInstance) => (/^[0-9a-f]{8}-[0-9a-f]{4}-/.test(instance.id) ? instance.id : uuid(`server:${instance.id}`));

function addresses(instance: FleetInstance): Record<string, unknown[]> {
  const mac = (n: number) => {
    const h = createHash('sha256').update(`${instance.id}:${n}`).digest('hex');
    return `fa:16:3e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
  };
  const entry = (addr: string, version: number, type: 'fixed' | 'floating', n: number) => ({
    'OS-EXT-IPS-MAC:mac_addr': mac(n),
    version,
    addr,
    'OS-EXT-IPS:type': type,
  });
  const out: Record<string, unknown[]> = {};
  const add = (net: string, item: unknown) => {
    if (!out[net]) out[net] = [];
    out[net].push(item);
  };
  if (instance.private_ipv4) add('private', entry(instance.private_ipv4, 4, 'fixed', 0));
  if (instance.private_ipv6) add('private', entry(instance.private_ipv6, 6, 'fixed', 0));
  if (instance.public_ipv4) add('private', entry(instance.public_ipv4, 4, 'floating', 0));
  if (instance.public_ipv6) add('public', entry(instance.public_ipv6, 6, 'fixed', 1));
  (instance.extra_nics ?? []).forEach((nic: FleetAddresses, n) => {
    for (const [addr, version] of [
      [nic.private_ipv4, 4],
      [nic.private_ipv6, 6],
    ] as const) {
      if (addr) add(`net-${n + 1}`, entry(addr, version, 'fixed', n + 2));
    }
  });
  return out;
}

function server(req: SimRequest, instance: FleetInstance, projectId: string, userId: string | undefined): Record<string, unknown> {
  const id = serverId(instance);
  const base = `${req.url.protocol}//${req.url.host}${req.url.pathname.replace(/\/servers\/detail$/, '')}`;
  return {
    id,
    name: instance.name ?? instance.id,
    status: STATUS[instance.state ?? 'running'] ?? 'ERROR',
    tenant_id: projectId,
    user_id: userId ?? 'fake',
    metadata: { ...(instance.tags ?? {}) },
    hostId: hex32(`host:${instance.id}`).padEnd(56, '0'),
    image: { id: '70a599e0-31e7-49b7-b260-868f441e862b', links: [{ href: `${base}/images/70a599e0-31e7-49b7-b260-868f441e862b`, rel: 'bookmark' }] },
    flavor: { id: '1', links: [{ href: `${base}/flavors/1`, rel: 'bookmark' }] },
    created: '2026-01-05T10:00:00Z',
    updated: '2026-01-05T10:01:00Z',
    addresses: addresses(instance),
    accessIPv4: '',
    accessIPv6: '',
    links: [
      { href: `${base}/servers/${id}`, rel: 'self' },
      { href: `${base}/servers/${id}`, rel: 'bookmark' },
    ],
    'OS-EXT-AZ:availability_zone': instance.zone ?? 'nova',
    key_name: null,
    progress: 0,
  };
}

const novaFault = (status: number, fault: string, message: string, headers: Record<string, string> = {}) =>
  simJson(status, { [fault]: { code: status, message } }, headers);

function listServers(req: SimRequest, ctx: SimContext, params: readonly string[]): SimResponse {
  const token = req.headers['x-auth-token'];
  if (!validToken(ctx, Array.isArray(token) ? token[0] : token)) return unauthorized();
  const [region, , projectId] = params as [string, string, string];
  const id = identity(ctx);
  if (projectId !== id.projectId) return novaFault(403, 'forbidden', 'Policy does not allow this request to be performed.');
  const q = req.url.searchParams;
  const status = q.get('status');
  const limitText = q.get('limit');
  if (limitText !== null && !/^\d+$/.test(limitText))
    return novaFault(400, 'badRequest', "Invalid input for query parameters limit. Value: ... is not a 'integer'");
  const limit = Math.min(limitText === null ? MAX_LIMIT : Number(limitText), MAX_LIMIT, ctx.fleet.page_size?.[NOVA_API] ?? MAX_LIMIT);
  const matching = visibleInstances(ctx, 'os')
    .filter((i) => (i.region ?? 'RegionOne') === region)
    .filter((i) => status === null || (STATUS[i.state ?? 'running'] ?? 'ERROR') === status)
    .map((i) => ({ id: serverId(i), i }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  let start = 0;
  const marker = q.get('marker');
  if (marker !== null) {
    const at = matching.findIndex((m) => m.id === marker);
    if (at < 0) return novaFault(400, 'badRequest', `marker [${marker}] not found`);
    start = at + 1;
  }
  const page = matching.slice(start, start + limit);
  const body: Record<string, unknown> = { servers: page.map((m) => server(req, m.i, id.projectId, id.userId)) };
  if (limit > 0 && page.length === limit) {
    const next = new URL(req.url.href);
    next.searchParams.set('limit', String(limit));
    next.searchParams.set('marker', (page[page.length - 1] as { id: string }).id);
    body.servers_links = [{ href: next.href, rel: 'next' }];
  }
  return simJson(200, body);
}

const keystone: SimApi = simRoutes(
  {
    name: KEYSTONE_API,
    summary: 'Keystone v3 (`POST /identity/v3/auth/tokens`: password, token, application credential)',
    errorResponse: (kind: SimErrorKind) =>
      ({
        throttle: keystoneError(429, 'Too Many Requests', 'Too many requests.', { 'retry-after': '1' }),
        server: keystoneError(500, 'Internal Server Error', 'An unexpected error prevented the server from fulfilling your request.'),
        unavailable: keystoneError(503, 'Service Unavailable', 'The service is unavailable.'),
        auth: unauthorized(),
      })[kind],
  },
  [{ method: 'POST', path: /^\/identity\/v3\/auth\/tokens$/, handle: issueToken }],
);

const nova: SimApi = simRoutes(
  {
    name: NOVA_API,
    summary: 'Nova v2.1 (`GET /servers/detail`, `limit`/`marker` paging, `servers_links`)',
    errorResponse: (kind: SimErrorKind) =>
      ({
        throttle: novaFault(429, 'overLimit', 'This request was rate-limited.', { 'retry-after': '1' }),
        server: novaFault(
          500,
          'computeFault',
          'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.',
        ),
        unavailable: novaFault(503, 'serviceUnavailable', 'The service is unavailable at this time.'),
        auth: unauthorized(),
      })[kind],
  },
  [{ method: 'GET', path: /^\/compute\/([^/]+)\/(public|internal|admin)\/v2\.1\/([^/]+)\/servers\/detail$/, handle: listServers }],
);

/** meta_data.json of the fleet's first OpenStack server, the keys and value types of Nova's example. */
function metaData(_req: SimRequest, ctx: SimContext): SimResponse {
  const first = ctx.fleet.instances.find((i) => i.cloud === 'os');
  if (!first) return simJson(404, { message: 'Not Found' });
  const name = first.name ?? first.id;
  return simJson(200, {
    random_seed: randomBytes(16).toString('base64'),
    uuid: serverId(first),
    availability_zone: first.zone ?? 'nova',
    keys: [],
    hostname: `${name}.novalocal`,
    launch_index: 0,
    meta: { ...(first.tags ?? {}) },
    devices: [],
    project_id: identity(ctx).projectId,
    public_keys: {},
    name,
  });
}

const metadataService: SimApi = simRoutes(
  {
    name: METADATA_API,
    summary: 'OpenStack metadata service (`GET /openstack/latest/meta_data.json`, the project of the first server)',
    errorResponse: (kind: SimErrorKind) =>
      ({
        throttle: simJson(429, { message: 'Too Many Requests' }),
        server: simJson(500, { message: 'An unknown error has occurred. Please try your request again.' }),
        unavailable: simJson(503, { message: 'Service Unavailable' }),
        auth: simJson(403, { message: 'Forbidden' }),
      })[kind],
  },
  [{ method: 'GET', path: /^\/openstack\/latest\/meta_data\.json$/, handle: metaData }],
);

const osSim: SimModule = {
  provider: 'os',
  apis: [keystone, nova, metadataService],
  fleet: osFleet,
  connect: {
    config: '`auth_url=http://127.0.0.1:PORT/identity/v3` (or `OS_AUTH_URL`)',
    env: '`OS_USERNAME`, `OS_PASSWORD`, `OS_PROJECT_NAME`, `OS_USER_DOMAIN_NAME`, `OS_PROJECT_DOMAIN_NAME`',
    why: "the catalog Keystone returns points at the sim's own Nova",
  },
  paste(ctx) {
    const tagged = ctx.fleet.instances.find((i) => i.cloud === 'os' && Object.keys(i.tags ?? {}).length > 0);
    const id = identity(ctx);
    if (!tagged || !id.userName || !id.password) return undefined;
    const [key, value] = Object.entries(tagged.tags ?? {})[0] as [string, string];
    const quote = (v: string) => (/^[^\s"=\\]+$/.test(v) ? v : JSON.stringify(v));
    return {
      provider: 'os',
      config: `provider=os tag_key=${quote(key)} tag_value=${quote(value)}`,
      env: {
        OS_AUTH_URL: `${ctx.httpUrl}/identity/v3`,
        OS_USERNAME: id.userName,
        OS_PASSWORD: id.password,
        OS_PROJECT_NAME: id.projectName,
        OS_USER_DOMAIN_NAME: id.domainName,
        OS_PROJECT_DOMAIN_NAME: id.domainName,
        OS_REGION_NAME: 'RegionOne',
      },
    };
  },
};

export default osSim;
