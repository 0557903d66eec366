/**
 * compute v1 resources and error bodies in their real JSON wire format, built from the fleet.
 * Shapes follow https://cloud.google.com/compute/docs/reference/rest/v1/instances and .../zones.
 */
import { createHash } from 'node:crypto';
import type { GceInstance as FleetInstance } from './sim-fleet.js';
import type { SimResponse } from '../../src/kit/index.js';
import { type FieldTree, RawJson, renderJson } from './sim-fields.js';

export const API_BASE = 'https://www.googleapis.com/compute/v1';
const CREATED = '2026-01-05T08:12:41.118-08:00';

/** Zones every simulated project has, besides the ones its instances live in. */
export const STANDARD_ZONES = [
  'asia-east1-a',
  'asia-east1-b',
  'asia-east1-c',
  'europe-west1-b',
  'europe-west1-c',
  'europe-west1-d',
  'europe-west4-a',
  'europe-west4-b',
  'europe-west4-c',
  'us-central1-a',
  'us-central1-b',
  'us-central1-c',
  'us-central1-f',
  'us-east1-b',
  'us-east1-c',
  'us-east1-d',
  'us-west1-a',
  'us-west1-b',
  'us-west1-c',
] as const;

export const DEFAULT_ZONE = 'us-central1-a';

/** A stable uint64 id as compute sends it (a decimal string). */
export function numericId(seed: string): string {
  if (/^[0-9]{1,19}$/.test(seed)) return seed;
  const digest = createHash('sha256').update(seed).digest();
  return (digest.readBigUInt64BE(0) & 0x7fffffffffffffffn).toString();
}

function fingerprint(seed: string): string {
  return createHash('sha1').update(seed).digest().subarray(0, 8).toString('base64');
}

/** `us-central1-a` -> `us-central1`. */
export function regionOf(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

/** Compute's status for a fleet `state`: upper case; `stopped` is TERMINATED in GCE. */
export function statusOf(instance: FleetInstance): string {
  const state = (instance.state ?? 'RUNNING').toUpperCase();
  return state === 'STOPPED' ? 'TERMINATED' : state;
}

export function zoneOf(instance: FleetInstance): string {
  return instance.zone ?? DEFAULT_ZONE;
}

export function nameOf(instance: FleetInstance): string {
  return instance.name ?? instance.id;
}

interface NicSource {
  private_ipv4?: string;
  public_ipv4?: string;
  private_ipv6?: string;
  public_ipv6?: string;
}

function nic(project: string, zone: string, index: number, src: NicSource): Record<string, unknown> {
  const region = regionOf(zone);
  const hasV6 = Boolean(src.private_ipv6 || src.public_ipv6);
  const out: Record<string, unknown> = {
    kind: 'compute#networkInterface',
    network: `${API_BASE}/projects/${project}/global/networks/${index === 0 ? 'default' : `net-${index}`}`,
    subnetwork: `${API_BASE}/projects/${project}/regions/${region}/subnetworks/${index === 0 ? 'default' : `net-${index}`}`,
    name: `nic${index}`,
    fingerprint: fingerprint(`${zone}/${index}/${JSON.stringify(src)}`),
    stackType: hasV6 ? (src.private_ipv4 ? 'IPV4_IPV6' : 'IPV6_ONLY') : 'IPV4_ONLY',
  };
  if (src.private_ipv4) out.networkIP = src.private_ipv4;
  if (src.public_ipv4) {
    out.accessConfigs = [{ kind: 'compute#accessConfig', type: 'ONE_TO_ONE_NAT', name: 'External NAT', natIP: src.public_ipv4, networkTier: 'PREMIUM' }];
  }
  if (src.private_ipv6) {
    out.ipv6Address = src.private_ipv6;
    out.internalIpv6PrefixLength = 96;
  }
  if (src.public_ipv6) {
    out.ipv6AccessConfigs = [
      {
        kind: 'compute#accessConfig',
        type: 'DIRECT_IPV6',
        name: 'external-ipv6',
        externalIpv6: src.public_ipv6,
        externalIpv6PrefixLength: 96,
        networkTier: 'PREMIUM',
      },
    ];
  }
  return out;
}

/** A compute#instance for a fleet instance. */
export function instanceResource(project: string, instance: FleetInstance): Record<string, unknown> {
  const zone = zoneOf(instance);
  const name = nameOf(instance);
  const zoneUrl = `${API_BASE}/projects/${project}/zones/${zone}`;
  const labels = instance.labels ?? {};
  const resource: Record<string, unknown> = {
    kind: 'compute#instance',
    id: numericId(instance.id),
    creationTimestamp: CREATED,
    name,
    tags: { items: instance.network_tags ?? [], fingerprint: fingerprint(JSON.stringify(instance.network_tags ?? [])) },
    machineType: `${zoneUrl}/machineTypes/e2-medium`,
    status: statusOf(instance),
    zone: zoneUrl,
    canIpForward: false,
    networkInterfaces: [instance, ...(instance.extra_nics ?? [])].map((src, i) => nic(project, zone, i, src)),
    disks: [
      {
        kind: 'compute#attachedDisk',
        type: 'PERSISTENT',
        mode: 'READ_WRITE',
        source: `${zoneUrl}/disks/${name}`,
        deviceName: 'persistent-disk-0',
        index: 0,
        boot: true,
        autoDelete: true,
        interface: 'SCSI',
        diskSizeGb: '10',
        architecture: 'X86_64',
      },
    ],
    metadata: { kind: 'compute#metadata', fingerprint: fingerprint(`meta/${name}`) },
    selfLink: `${zoneUrl}/instances/${name}`,
    scheduling: { onHostMaintenance: 'MIGRATE', automaticRestart: true, preemptible: false, provisioningModel: 'STANDARD' },
    cpuPlatform: 'AMD Rome',
    labelFingerprint: fingerprint(JSON.stringify(labels)),
    startRestricted: false,
    deletionProtection: false,
    fingerprint: fingerprint(`instance/${instance.id}`),
    lastStartTimestamp: CREATED,
  };
  if (Object.keys(labels).length > 0) resource.labels = labels;
  return resource;
}

/** Serialised instances, per fleet object and field selection: a 10,000-instance fleet is served 20 pages at a time, over and over. */
const instanceJsonCache = new WeakMap<FleetInstance, { project: string; bySelection: Map<string, string> }>();

function selectionKey(tree: FieldTree | undefined): string {
  if (tree === undefined) return '';
  return [...tree].map(([k, v]) => (v === true ? k : `${k}(${selectionKey(v)})`)).join(',');
}

/** {@link instanceResource} as JSON text restricted to `tree`, cached while the fleet object lives. */
export function instanceJson(project: string, instance: FleetInstance, tree?: FieldTree): string {
  let cached = instanceJsonCache.get(instance);
  if (!cached || cached.project !== project) {
    cached = { project, bySelection: new Map() };
    instanceJsonCache.set(instance, cached);
  }
  const key = selectionKey(tree);
  let json = cached.bySelection.get(key);
  if (json === undefined) {
    json = renderJson(instanceResource(project, instance), tree);
    cached.bySelection.set(key, json);
  }
  return json;
}

/** The instances of a page, rendered from the cache under whatever selection applies to them. */
export function instancesRaw(project: string, instances: readonly FleetInstance[]): RawJson {
  return new RawJson((tree) => `[${instances.map((i) => instanceJson(project, i, tree)).join(',')}]`);
}

/** A compute#zone. */
export function zoneResource(project: string, zone: string): Record<string, unknown> {
  const region = regionOf(zone);
  return {
    kind: 'compute#zone',
    id: numericId(`zone/${zone}`).slice(0, 4),
    creationTimestamp: '1969-12-31T16:00:00.000-08:00',
    name: zone,
    description: zone,
    status: 'UP',
    region: `${API_BASE}/projects/${project}/regions/${region}`,
    selfLink: `${API_BASE}/projects/${project}/zones/${zone}`,
    availableCpuPlatforms: ['Intel Broadwell', 'Intel Cascade Lake', 'AMD Rome', 'AMD Milan'],
    supportsPzs: false,
  };
}

/** The aggregated list's entry for a scope with nothing on this page. */
export function noResultsScope(scope: string): Record<string, unknown> {
  return {
    warning: {
      code: 'NO_RESULTS_ON_PAGE',
      message: `There are no results for scope '${scope}' on this page.`,
      data: [{ key: 'scope', value: scope }],
    },
  };
}

/** A response with compute's JSON error body. */
export function googleError(
  code: number,
  status: string,
  message: string,
  reason: string,
  extra: { domain?: string; headers?: Record<string, string>; location?: string } = {},
): SimResponse {
  const detail: Record<string, string> = { message, domain: extra.domain ?? 'global', reason };
  if (extra.location) {
    detail.location = extra.location;
    detail.locationType = 'header';
  }
  return {
    status: code,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...extra.headers },
    body: JSON.stringify({ error: { code, message, errors: [detail], status } }, null, 2),
  };
}

export function invalidField(field: string, value: string, why: string): SimResponse {
  return googleError(400, 'INVALID_ARGUMENT', `Invalid value for field '${field}': '${value}'. ${why}`, 'invalid');
}

export function unauthenticated(missing: boolean): SimResponse {
  return googleError(
    401,
    'UNAUTHENTICATED',
    missing
      ? 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'
      : 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    missing ? 'required' : 'authError',
    {
      location: 'Authorization',
      headers: {
        'www-authenticate': missing ? 'Bearer realm="https://accounts.google.com/"' : 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
      },
    },
  );
}

/**
 * Compute's answer to a live token without a Compute scope (a token asked for another API):
 * 403 `ACCESS_TOKEN_SCOPE_INSUFFICIENT`, as Google sends it.
 */
export function insufficientScopes(): SimResponse {
  const response = googleError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', 'insufficientPermissions', {
    headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="https://www.googleapis.com/auth/compute"' },
  });
  const body = JSON.parse(response.body as string) as { error: Record<string, unknown> };
  body.error.errors = [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }];
  body.error.details = [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
      domain: 'googleapis.com',
      metadata: { service: 'compute.googleapis.com' },
    },
  ];
  return { ...response, body: JSON.stringify(body, null, 2) };
}
