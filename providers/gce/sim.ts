/**
 * GCE as the simulator serves it: compute v1 REST (`zones.list`, `instances.list`,
 * `instances.aggregatedList` with `filter`, `maxResults`, `pageToken`, partial responses), plus
 * the metadata server and the OAuth2 token endpoint (sim-identity.ts) for the service-account key
 * the simulator writes out. Compute calls need a token the simulator issued; faults apply to
 * compute calls only.
 */
import { createHash } from 'node:crypto';
import { type SimApi, type SimContext, type SimErrorKind, type SimModule, type SimRequest, type SimResponse, visibleInstances } from '../../src/kit/index.js';
import { type GceInstance as FleetInstance, gceFleet } from './sim-fleet.js';
import { COMPUTE_READ_SCOPES, serviceAccountPath, simProject, tokenProblem, writeServiceAccount } from './sim-auth.js';
import { type FieldTree, FieldSelectionError, parseFields, renderJson } from './sim-fields.js';
import { type FieldLookup, FilterSyntaxError, type FilterPredicate, parseFilter } from './sim-filter.js';
import { metadataApi, tokenApi } from './sim-identity.js';
import {
  API_BASE,
  googleError,
  instancesRaw,
  invalidField,
  nameOf,
  noResultsScope,
  STANDARD_ZONES,
  statusOf,
  insufficientScopes,
  unauthenticated,
  zoneOf,
  zoneResource,
} from './sim-wire.js';

/** Compute's own maximum for `maxResults`. */
const MAX_PAGE = 500;
const COMPUTE_PREFIX = '/compute/v1/';

function rawJson(body: string, status = 200): SimResponse {
  return { status, headers: { 'content-type': 'application/json; charset=UTF-8' }, body };
}

function instancesOf(ctx: SimContext, project: string): FleetInstance[] {
  const defaultProject = simProject(ctx);
  return visibleInstances<FleetInstance>(ctx, 'gce').filter((i) => (i.project ?? defaultProject) === project);
}

function projectKnown(ctx: SimContext, project: string): boolean {
  const defaultProject = simProject(ctx);
  return project === defaultProject || ctx.fleet.instances.some((i) => i.cloud === 'gce' && i.project === project);
}

function zonesOf(ctx: SimContext, project: string): string[] {
  const zones = new Set<string>(STANDARD_ZONES);
  for (const i of instancesOf(ctx, project)) zones.add(zoneOf(i));
  return [...zones].sort();
}

function instanceLookup(instance: FleetInstance): FieldLookup {
  return (field) => {
    if (field === 'name') return nameOf(instance);
    if (field === 'status') return statusOf(instance);
    if (field === 'zone') return zoneOf(instance);
    if (field === 'tags.items') return instance.network_tags ?? [];
    if (field.startsWith('labels.')) return instance.labels?.[field.slice('labels.'.length)];
    return undefined;
  };
}

/** Page size: the client's maxResults, else the fleet's `page_size['gce-compute']`, else 500; never above 500. */
function pageSize(ctx: SimContext, query: URLSearchParams): number | SimResponse {
  const raw = query.get('maxResults');
  const fleetSize = ctx.fleet.page_size?.['gce-compute'];
  if (raw === null) return Math.min(fleetSize ?? MAX_PAGE, MAX_PAGE);
  if (!/^[0-9]+$/.test(raw)) return invalidField('maxResults', raw, 'Must be an integer.');
  const n = Number(raw);
  if (n > MAX_PAGE) return invalidField('maxResults', raw, `Must be less than or equal to ${MAX_PAGE}`);
  const size = n === 0 ? MAX_PAGE : n;
  return Math.min(size, fleetSize ?? MAX_PAGE);
}

/** Opaque page tokens bound to the listing (path + filter) they came from, like the real ones. */
function pageKey(path: string, filter: string): string {
  return createHash('sha256').update(`${path}\n${filter}`).digest('base64url').slice(0, 12);
}

function encodeToken(key: string, offset: number): string {
  return Buffer.from(JSON.stringify({ k: key, o: offset })).toString('base64url');
}

function decodeToken(key: string, token: string): number | undefined {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown; o?: unknown };
    return t.k === key && typeof t.o === 'number' && Number.isInteger(t.o) && t.o >= 0 ? t.o : undefined;
  } catch {
    return undefined;
  }
}

interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

function paginate<T>(all: T[], key: string, ctx: SimContext, query: URLSearchParams): Page<T> | SimResponse {
  const size = pageSize(ctx, query);
  if (typeof size !== 'number') return size;
  const token = query.get('pageToken');
  let offset = 0;
  if (token) {
    const decoded = decodeToken(key, token);
    if (decoded === undefined) return invalidField('pageToken', token, 'The page token is not valid for this request.');
    offset = decoded;
  }
  const items = all.slice(offset, offset + size);
  const next = offset + size;
  return next < all.length ? { items, nextPageToken: encodeToken(key, next) } : { items };
}

function compileFilter(query: URLSearchParams): FilterPredicate | SimResponse {
  const filter = query.get('filter');
  try {
    return parseFilter(filter);
  } catch (err) {
    if (err instanceof FilterSyntaxError) return invalidField('filter', filter ?? '', 'Invalid list filter expression.');
    throw err;
  }
}

function notFound(what: string): SimResponse {
  return googleError(404, 'NOT_FOUND', `The resource '${what}' was not found`, 'notFound');
}

function listZones(ctx: SimContext, project: string, query: URLSearchParams, path: string, fields: FieldTree | undefined): SimResponse {
  const predicate = compileFilter(query);
  if (typeof predicate !== 'function') return predicate;
  const zones = zonesOf(ctx, project).filter((z) => predicate((f) => (f === 'name' ? z : f === 'status' ? 'UP' : undefined)));
  const page = paginate(zones, pageKey(path, query.get('filter') ?? ''), ctx, query);
  if (!('items' in page)) return page;
  return rawJson(
    renderJson(
      {
        kind: 'compute#zoneList',
        id: `projects/${project}/zones`,
        items: page.items.map((z) => zoneResource(project, z)),
        nextPageToken: page.nextPageToken,
        selfLink: `${API_BASE}/projects/${project}/zones`,
      },
      fields,
    ),
  );
}

function listInstances(ctx: SimContext, project: string, zone: string, query: URLSearchParams, path: string, fields: FieldTree | undefined): SimResponse {
  if (!zonesOf(ctx, project).includes(zone)) return notFound(`projects/${project}/zones/${zone}`);
  const predicate = compileFilter(query);
  if (typeof predicate !== 'function') return predicate;
  const matching = instancesOf(ctx, project).filter((i) => zoneOf(i) === zone && predicate(instanceLookup(i)));
  const page = paginate(matching, pageKey(path, query.get('filter') ?? ''), ctx, query);
  if (!('items' in page)) return page;
  return rawJson(
    renderJson(
      {
        kind: 'compute#instanceList',
        id: `projects/${project}/zones/${zone}/instances`,
        items: page.items.length > 0 ? instancesRaw(project, page.items) : undefined,
        nextPageToken: page.nextPageToken,
        selfLink: `${API_BASE}/projects/${project}/zones/${zone}/instances`,
      },
      fields,
    ),
  );
}

function aggregatedInstances(ctx: SimContext, project: string, query: URLSearchParams, path: string, fields: FieldTree | undefined): SimResponse {
  const predicate = compileFilter(query);
  if (typeof predicate !== 'function') return predicate;
  const zones = zonesOf(ctx, project);
  const order = new Map(zones.map((z, i) => [z, i]));
  // Real aggregated pages walk the scopes in order: sort by zone, keep fleet order within a zone.
  const matching = instancesOf(ctx, project)
    .filter((i) => predicate(instanceLookup(i)))
    .map((instance, index) => ({ instance, index }))
    .sort((a, b) => (order.get(zoneOf(a.instance)) ?? 0) - (order.get(zoneOf(b.instance)) ?? 0) || a.index - b.index)
    .map((x) => x.instance);
  const page = paginate(matching, pageKey(path, query.get('filter') ?? ''), ctx, query);
  if (!('items' in page)) return page;
  const byScope = new Map<string, FleetInstance[]>();
  for (const i of page.items) {
    const scope = `zones/${zoneOf(i)}`;
    const list = byScope.get(scope) ?? [];
    list.push(i);
    byScope.set(scope, list);
  }
  const items: Record<string, unknown> = {};
  for (const zone of zones) {
    const scope = `zones/${zone}`;
    const instances = byScope.get(scope);
    items[scope] = instances ? { instances: instancesRaw(project, instances) } : noResultsScope(scope);
  }
  return rawJson(
    renderJson(
      {
        kind: 'compute#instanceAggregatedList',
        id: `projects/${project}/aggregated/instances`,
        items,
        nextPageToken: page.nextPageToken,
        selfLink: `${API_BASE}/projects/${project}/aggregated/instances`,
      },
      fields,
    ),
  );
}

/** The partial-response selection: `fields` / `$fields` query parameter or `X-Goog-FieldMask` header. */
function fieldSelection(req: SimRequest): FieldTree | undefined | FieldSelectionError {
  const header = req.headers['x-goog-fieldmask'];
  const text = req.url.searchParams.get('fields') ?? req.url.searchParams.get('$fields') ?? (Array.isArray(header) ? header[0] : header);
  if (text === undefined || text === '') return undefined;
  try {
    return parseFields(text);
  } catch (err) {
    if (err instanceof FieldSelectionError) return err;
    throw err;
  }
}

const computeApi: SimApi = {
  name: 'gce-compute',
  summary: 'Compute Engine (instances, aggregated lists, zones)',
  match: (req) => req.url.pathname.startsWith(COMPUTE_PREFIX),
  handle(req, ctx) {
    const refused = tokenProblem(ctx, req.headers.authorization, COMPUTE_READ_SCOPES);
    if (refused) return refused === 'scope' ? insufficientScopes() : unauthenticated(refused === 'missing');
    const path = req.url.pathname;
    const segments = path.slice(COMPUTE_PREFIX.length).split('/').map(decodeURIComponent);
    if (req.method !== 'GET') {
      return googleError(405, 'UNIMPLEMENTED', `Method ${req.method} is not supported by the simulator.`, 'httpMethodNotAllowed');
    }
    if (segments[0] !== 'projects' || !segments[1]) return notFound(path);
    const project = segments[1];
    if (!projectKnown(ctx, project)) return notFound(`projects/${project}`);
    const rest = segments.slice(2).join('/');
    const query = req.url.searchParams;
    const fields = fieldSelection(req);
    if (fields instanceof FieldSelectionError) return googleError(400, 'INVALID_ARGUMENT', fields.message, 'invalidParameter');
    if (rest === 'zones') return listZones(ctx, project, query, path, fields);
    if (rest === 'aggregated/instances') return aggregatedInstances(ctx, project, query, path, fields);
    const zoneList = /^zones\/([^/]+)\/instances$/.exec(rest);
    if (zoneList) return listInstances(ctx, project, zoneList[1]!, query, path, fields);
    return notFound(path.slice(COMPUTE_PREFIX.length));
  },
  errorResponse(kind: SimErrorKind): SimResponse {
    switch (kind) {
      case 'throttle':
        // Compute's classic per-project limit answer: a 403 whose reason says rate limit.
        return googleError(403, 'PERMISSION_DENIED', 'Rate Limit Exceeded', 'rateLimitExceeded', {
          domain: 'usageLimits',
          headers: { 'retry-after': '1' },
        });
      case 'server':
        return googleError(500, 'INTERNAL', 'Internal error. Please try again or contact Google Support.', 'backendError');
      case 'unavailable':
        return googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'backendError');
      case 'auth':
        return unauthenticated(false);
    }
  },
};

const gceSim: SimModule = {
  provider: 'gce',
  apis: [computeApi, metadataApi, tokenApi],
  fleet: gceFleet,
  connect: {
    config: "`endpoint=http://127.0.0.1:PORT`, `credentials_file=<the sim's temporary folder>/gce-service-account.json`",
    env: '`GCE_METADATA_HOST=127.0.0.1:PORT`',
    why: "the service-account key is the sim's own; its `token_uri` points at the sim's OAuth endpoint",
  },
  setup: (ctx) => writeServiceAccount(ctx),
  paste(ctx) {
    const project = simProject(ctx);
    const mine = (ctx.fleet.instances as FleetInstance[]).filter((i) => i.cloud === 'gce' && (i.project ?? project) === project);
    if (mine.length === 0) return undefined;
    // A condition the fleet's first instance meets: the provider needs a label or a network tag.
    const first = mine.find((i) => Object.keys(i.labels ?? {}).length > 0) ?? mine.find((i) => (i.network_tags ?? []).length > 0);
    const [labelKey, labelValue] = Object.entries(first?.labels ?? {})[0] ?? [];
    const tag = first?.network_tags?.[0];
    const condition =
      labelKey !== undefined ? ` label_key=${labelKey} label_value=${quoteConfigValue(labelValue ?? '')}` : tag ? ` tag_value=${quoteConfigValue(tag)}` : '';
    return {
      provider: 'gce',
      config: `provider=gce project_name=${project} credentials_file=${serviceAccountPath(ctx)} endpoint=${ctx.httpUrl}${condition}`,
      // For configs without credentials_file: the simulator is the metadata server too.
      env: { GCE_METADATA_HOST: new URL(ctx.httpUrl).host },
    };
  },
};

/** A config-string value: bare when it can be, else double-quoted. */
function quoteConfigValue(value: string): string {
  return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
}

export default gceSim;
