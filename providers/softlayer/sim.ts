/**
 * SoftLayer's REST API as the simulator serves it (provider-apis.md §7):
 * `GET /rest/v3.1/SoftLayer_Account/getVirtualGuests.json` (and `/rest/v3/`) with `objectMask`
 * (relational properties only when masked), `objectFilter` (datacenter name, tag name, `orderBy`
 * on id), `resultLimit=offset,limit` and the `SoftLayer-Total-Items` header; HTTP Basic with the
 * fleet's username and API key, else 401 `{"error":"Access Denied. ","code":"SoftLayer_Exception_Public"}`.
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
  simRoutes,
  visibleInstances,
} from '../../src/kit/index.js';
import { softlayerFleet } from './sim-fleet.js';

export const API_NAME = 'softlayer';

const ERRORS: Record<SimErrorKind, [number, string, string]> = {
  throttle: [429, 'SoftLayer_Exception_WebService_RateLimitExceeded', 'Rate limit exceeded. Please wait and try again.'],
  server: [500, 'SoftLayer_Exception_Public', 'An internal error has occurred.'],
  unavailable: [503, 'SoftLayer_Exception_Public', 'The service is temporarily unavailable.'],
  // The REST API's answer to a wrong username or key (softlayer-java issue #26: 401 "Access Denied").
  auth: [401, 'SoftLayer_Exception_Public', 'Access Denied. '],
};

function error(kind: SimErrorKind): SimResponse {
  const [status, code, message] = ERRORS[kind];
  return simJson(status, { error: message, code }, kind === 'throttle' ? { 'retry-after': '1' } : {});
}

interface SlCredentials {
  username?: string;
  api_key?: string;
}

function basicAuth(req: SimRequest): { user: string; key: string } | undefined {
  const header = req.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  const encoded = /^Basic\s+(\S+)$/i.exec(value ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), key: decoded.slice(colon + 1) };
}

/** The guest id: the instance id when numeric, else a stable 8-digit number. */
export function guestId(instance: FleetInstance): number {
  if (/^\d{1,15}$/.test(instance.id)) return Number(instance.id);
  return (createHash('sha256').update(instance.id).digest().readUInt32BE(0) % 90_000_000) + 10_000_000;
}

/** The instance's tags as guest tag names. */
export function guestTags(instance: FleetInstance): string[] {
  return Object.entries(instance.tags ?? {}).map(([key, value]) => (value === '' ? key : `${key}:${value}`));
}

function datacenterOf(instance: FleetInstance): string {
  return instance.zone ?? instance.region ?? 'dal09';
}

/** A guest as getVirtualGuests renders it: local properties always, relational ones only when the mask names them. */
function guest(instance: FleetInstance, mask: string): Record<string, unknown> {
  const id = guestId(instance);
  const name = instance.name ?? instance.id;
  const out: Record<string, unknown> = {
    accountId: 1234567,
    domain: 'example.com',
    fullyQualifiedDomainName: `${name}.example.com`,
    hostname: name,
    id,
    globalIdentifier: createHash('sha256').update(instance.id).digest('hex').slice(0, 36),
    maxCpu: 2,
    maxMemory: 4096,
    startCpus: 2,
    statusId: 1001,
  };
  if (instance.private_ipv4) out.primaryBackendIpAddress = instance.private_ipv4;
  if (instance.public_ipv4) out.primaryIpAddress = instance.public_ipv4;
  if (/\bdatacenter\b/.test(mask))
    out.datacenter = { id: 1000000 + datacenterOf(instance).length, longName: datacenterOf(instance), name: datacenterOf(instance), statusId: 2 };
  if (/\btagReferences\b/.test(mask)) {
    out.tagReferences = guestTags(instance).map((tag, n) => ({
      empRecordId: null,
      id: id * 10 + n,
      resourceTableId: id,
      tagId: createHash('sha256').update(tag).digest().readUInt32BE(0) % 1_000_000,
      tagTypeId: 2,
      usrRecordId: 7654321,
      tag: { accountId: 1234567, id: createHash('sha256').update(tag).digest().readUInt32BE(0) % 1_000_000, internal: 0, name: tag },
    }));
  }
  return out;
}

/** The operation at `path` of the object filter, or undefined. */
function operationAt(filter: unknown, path: readonly string[]): unknown {
  let current: unknown = filter;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current !== null && typeof current === 'object' ? (current as { operation?: unknown }).operation : undefined;
}

function listGuests(req: SimRequest, ctx: SimContext): SimResponse {
  const expected = fleetCredentials<SlCredentials>(ctx, 'softlayer');
  const given = basicAuth(req);
  if (!expected?.username || !expected.api_key || given?.user !== expected.username || given.key !== expected.api_key) return error('auth');
  const params = req.url.searchParams;
  let filter: unknown = {};
  const filterText = params.get('objectFilter');
  if (filterText) {
    try {
      filter = JSON.parse(filterText);
    } catch {
      return simJson(500, { error: 'Unable to parse object filter.', code: 'SoftLayer_Exception_Public' });
    }
  }
  const mask = params.get('objectMask') ?? '';
  const datacenter = operationAt(filter, ['virtualGuests', 'datacenter', 'name']);
  const tag = operationAt(filter, ['virtualGuests', 'tagReferences', 'tag', 'name']);
  const matching = visibleInstances(ctx, 'softlayer')
    .filter((i) => typeof datacenter !== 'string' || datacenterOf(i) === datacenter)
    .filter((i) => typeof tag !== 'string' || guestTags(i).includes(tag))
    .sort((a, b) => guestId(a) - guestId(b));
  let offset = 0;
  let limit = matching.length;
  const resultLimit = params.get('resultLimit');
  if (resultLimit !== null) {
    const match = /^(\d+),(\d+)$/.exec(resultLimit);
    if (!match) return simJson(500, { error: `Invalid resultLimit: ${resultLimit}`, code: 'SoftLayer_Exception_Public' });
    offset = Number(match[1]);
    limit = Number(match[2]);
  }
  const cap = ctx.fleet.page_size?.[API_NAME];
  if (cap !== undefined) limit = Math.min(limit, cap);
  const page = matching.slice(offset, offset + limit).map((i) => guest(i, mask));
  return simJson(200, page, { 'softlayer-total-items': String(matching.length) });
}

const api: SimApi = simRoutes(
  { name: API_NAME, summary: 'REST API v3/v3.1 (`SoftLayer_Account/getVirtualGuests`, `resultLimit` paging)', errorResponse: (kind) => error(kind) },
  [{ method: 'GET', path: /^\/rest\/v3(?:\.1)?\/SoftLayer_Account\/getVirtualGuests(?:\.json)?$/, handle: (req, ctx) => listGuests(req, ctx) }],
);

const softlayerSim: SimModule = {
  provider: 'softlayer',
  apis: [api],
  fleet: softlayerFleet,
  connect: {
    config: '`url=http://127.0.0.1:PORT/rest/v3.1` (or `SL_ENDPOINT_URL`)',
    env: '`SL_USERNAME`, `SL_API_KEY`',
    why: "the endpoint is softlayer-go's `SL_ENDPOINT_URL`",
  },
  paste(ctx) {
    const guests = ctx.fleet.instances.filter((i) => i.cloud === 'softlayer');
    const tagged = guests.find((g) => guestTags(g).length > 0);
    const creds = fleetCredentials<SlCredentials>(ctx, 'softlayer');
    if (!tagged || !creds?.username || !creds.api_key) return undefined;
    const tag = guestTags(tagged)[0] as string;
    const quoted = /^[^\s"=\\]+$/.test(tag) ? tag : JSON.stringify(tag);
    return {
      provider: 'softlayer',
      config: `provider=softlayer tag_value=${quoted} url=${ctx.httpUrl}/rest/v3.1`,
      env: { SL_USERNAME: creds.username, SL_API_KEY: creds.api_key },
    };
  },
};

export default softlayerSim;
