/**
 * Consul's catalog and health HTTP API as the simulator serves it, in Consul's JSON
 * (provider-apis.md §13), from the fleet's `services`:
 * - `GET /v1/catalog/service/:name?dc=&tag=` — every registered instance, no health filter;
 * - `GET /v1/health/service/:name?dc=&tag=&passing` — instances with their checks;
 * - `GET /v1/catalog/datacenters` — the agent's own (`dc1`) first, then the others by name.
 * `stale` and `near` are accepted (no coordinates: the order stays by node name).
 * With `credentials.consul.token` set, requests must present it (`X-Consul-Token`,
 * `Authorization: Bearer` or `?token=`), else 403 `ACL not found`.
 */
import { createHash } from 'node:crypto';
import {
  type FleetService,
  type SimApi,
  type SimContext,
  type SimErrorKind,
  type SimModule,
  type SimRequest,
  type SimResponse,
  visibleServices,
} from '../../src/kit/index.js';
import { consulFleet } from './sim-fleet.js';

/** The datacenter of services that name none, and the agent's own. */
export const DEFAULT_DC = 'dc1';

const ERRORS: Record<SimErrorKind, [number, string]> = {
  throttle: [429, 'rate limit exceeded, try again later or against a different server'],
  server: [500, 'rpc error making call: internal error'],
  unavailable: [503, 'No cluster leader'],
  auth: [403, 'ACL not found'],
};

function text(status: number, body: string, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}

function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function presentedToken(req: SimRequest): string | undefined {
  const bearer = header(req, 'authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
  return header(req, 'x-consul-token') ?? bearer ?? req.url.searchParams.get('token') ?? undefined;
}

/** A stable UUID-shaped id from a name, like the node IDs Consul agents generate. */
function stableId(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Every datacenter the fleet names, as `/v1/catalog/datacenters` lists them: by round-trip time
 * from the agent, so its own (`dc1`) comes first; the sim has no coordinates, so the rest follow
 * by name.
 */
function datacenters(ctx: SimContext): string[] {
  const others = new Set((ctx.fleet.services ?? []).map((s) => s.datacenter ?? DEFAULT_DC));
  others.delete(DEFAULT_DC);
  return [DEFAULT_DC, ...[...others].sort()];
}

/** The index Consul would report: it moves whenever the visible catalog changes. */
function catalogIndex(services: readonly FleetService[]): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(services.map((s) => [s.node, s.service, s.port, s.health ?? 'passing'])))
    .digest();
  return String(digest.readUInt32BE(0) + 1);
}

function catalogEntry(s: FleetService, dc: string): Record<string, unknown> {
  return {
    ID: stableId(s.node),
    Node: s.node,
    Address: s.node_address,
    Datacenter: dc,
    TaggedAddresses: { lan: s.node_address, lan_ipv4: s.node_address, wan: s.node_address, wan_ipv4: s.node_address },
    NodeMeta: { 'consul-network-segment': '' },
    ServiceKind: '',
    ServiceID: `${s.service}-${s.node}`,
    ServiceName: s.service,
    ServiceTags: s.tags ?? [],
    ServiceAddress: s.service_address ?? '',
    ServiceTaggedAddresses: s.service_address
      ? { lan_ipv4: { Address: s.service_address, Port: s.port }, wan_ipv4: { Address: s.service_address, Port: s.port } }
      : {},
    ServiceWeights: { Passing: 1, Warning: 1 },
    ServiceMeta: {},
    ServicePort: s.port,
    ServiceSocketPath: '',
    ServiceEnableTagOverride: false,
    ServiceProxy: { Mode: '', MeshGateway: {}, Expose: {} },
    ServiceConnect: {},
    CreateIndex: 10,
    ModifyIndex: 10,
  };
}

function healthEntry(s: FleetService, dc: string): Record<string, unknown> {
  const status = s.health ?? 'passing';
  const serviceId = `${s.service}-${s.node}`;
  return {
    Node: {
      ID: stableId(s.node),
      Node: s.node,
      Address: s.node_address,
      Datacenter: dc,
      TaggedAddresses: { lan: s.node_address, wan: s.node_address },
      Meta: { 'consul-network-segment': '' },
      CreateIndex: 9,
      ModifyIndex: 9,
    },
    Service: {
      ID: serviceId,
      Service: s.service,
      Tags: s.tags ?? [],
      Address: s.service_address ?? '',
      Meta: {},
      Port: s.port,
      Weights: { Passing: 1, Warning: 1 },
      EnableTagOverride: false,
      CreateIndex: 10,
      ModifyIndex: 10,
    },
    Checks: [
      {
        Node: s.node,
        CheckID: 'serfHealth',
        Name: 'Serf Health Status',
        Status: 'passing',
        Notes: '',
        Output: 'Agent alive and reachable',
        ServiceID: '',
        ServiceName: '',
        ServiceTags: [],
      },
      {
        Node: s.node,
        CheckID: `service:${serviceId}`,
        Name: `Service '${s.service}' check`,
        Status: status,
        Notes: '',
        Output: status === 'passing' ? 'TCP connect: Success' : 'dial tcp: connection refused',
        ServiceID: serviceId,
        ServiceName: s.service,
        ServiceTags: s.tags ?? [],
      },
    ],
  };
}

const flag = (value: string | null): boolean => value !== null && value !== 'false' && value !== '0';

function handle(req: SimRequest, ctx: SimContext): SimResponse {
  const expected = ctx.fleet.credentials.consul?.token;
  if (expected !== undefined && expected !== '' && presentedToken(req) !== expected) return text(403, 'ACL not found');
  if (req.method !== 'GET') return text(405, 'method not allowed');
  const path = req.url.pathname;
  const params = req.url.searchParams;
  const json = (body: unknown, index: string) => ({
    status: 200,
    headers: {
      'content-type': 'application/json',
      'x-consul-index': index,
      'x-consul-knownleader': 'true',
      'x-consul-lastcontact': '0',
      'x-consul-effective-consistency': params.has('stale') ? 'stale' : 'leader',
    },
    body: JSON.stringify(body),
  });

  if (path === '/v1/catalog/datacenters') return json(datacenters(ctx), '1');
  const match = /^\/v1\/(catalog|health)\/service\/([^/]+)$/.exec(path);
  if (!match) return text(404, `Invalid URL path: not a recognized HTTP API endpoint: ${path}`);
  const [, kind, encodedName] = match as unknown as [string, 'catalog' | 'health', string];
  const name = decodeURIComponent(encodedName);
  const dc = params.get('dc') || DEFAULT_DC;
  if (!datacenters(ctx).includes(dc)) return text(404, `No path to datacenter`);
  const tags = params.getAll('tag');
  const visible = visibleServices(ctx);
  const matching = visible.filter((s) => s.service === name && (s.datacenter ?? DEFAULT_DC) === dc && tags.every((tag) => (s.tags ?? []).includes(tag)));
  // Consul sorts by node name (without `near`).
  matching.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const index = catalogIndex(visible);
  if (kind === 'catalog')
    return json(
      matching.map((s) => catalogEntry(s, dc)),
      index,
    );
  const passingOnly = flag(params.get('passing'));
  return json(
    matching.filter((s) => !passingOnly || (s.health ?? 'passing') === 'passing').map((s) => healthEntry(s, dc)),
    index,
  );
}

const api: SimApi = {
  name: 'consul',
  summary: "Consul catalog and health API, from the fleet's `services`",
  match: (req) => req.url.pathname.startsWith('/v1/catalog/') || req.url.pathname.startsWith('/v1/health/'),
  handle,
  errorResponse(kind) {
    const [status, body] = ERRORS[kind];
    return text(status, body, kind === 'throttle' ? { 'retry-after': '1' } : {});
  },
};

const consulSim: SimModule = {
  provider: 'consul',
  apis: [api],
  fleet: consulFleet,
  connect: {
    config: '`address=http://127.0.0.1:PORT`',
    env: '`CONSUL_HTTP_TOKEN` when the fleet sets a token',
    why: 'the catalog and health API are plain HTTP, as a local agent serves them',
  },
  paste(ctx) {
    const first = visibleServices(ctx)[0] ?? ctx.fleet.services?.[0];
    if (first === undefined) return undefined;
    const token = ctx.fleet.credentials.consul?.token;
    const env: Record<string, string> = token ? { CONSUL_HTTP_TOKEN: token } : {};
    return {
      provider: 'consul',
      config: `provider=consul service=${first.service} address=${ctx.httpUrl}`,
      env,
    };
  },
};

export default consulSim;
