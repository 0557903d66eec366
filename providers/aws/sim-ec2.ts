/**
 * EC2 as the simulator serves it: the Query protocol (`POST /`, form body, `Action=DescribeInstances`)
 * answered in EC2's XML, with `Filter.N`, `MaxResults` / `NextToken` paging and EC2's error
 * bodies (`<Response><Errors><Error><Code>…`).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AwsInstance as FleetInstance } from './sim-fleet.js';
import type { SimResponse } from '../../src/kit/index.js';

/** EC2's bounds for `MaxResults`. */
export const EC2_MIN_RESULTS = 5;
export const EC2_MAX_RESULTS = 1000;
const XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** The parsed parameters of a `DescribeInstances` call. */
export interface DescribeInstancesParams {
  filters: Array<{ name: string; values: string[] }>;
  instanceIds: string[];
  maxResults?: number;
  nextToken?: string;
}

/** Parses the form body's `Filter.N.Name`, `Filter.N.Value.M`, `InstanceId.N`, `MaxResults`, `NextToken`. */
export function parseDescribeInstances(form: URLSearchParams): DescribeInstancesParams {
  const filters = new Map<number, { name: string; values: Map<number, string> }>();
  const instanceIds: string[] = [];
  for (const [key, value] of form) {
    let m = /^Filter\.(\d+)\.Name$/.exec(key);
    if (m) {
      const n = Number(m[1]);
      const f = filters.get(n) ?? { name: '', values: new Map() };
      f.name = value;
      filters.set(n, f);
      continue;
    }
    m = /^Filter\.(\d+)\.Value\.(\d+)$/.exec(key);
    if (m) {
      const n = Number(m[1]);
      const f = filters.get(n) ?? { name: '', values: new Map() };
      f.values.set(Number(m[2]), value);
      filters.set(n, f);
      continue;
    }
    if (/^InstanceId\.\d+$/.test(key)) instanceIds.push(value);
  }
  const byIndex = <T>(map: Map<number, T>) => [...map.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  const maxText = form.get('MaxResults');
  return {
    filters: byIndex(filters).map((f) => ({ name: f.name, values: byIndex(f.values) })),
    instanceIds,
    ...(maxText !== null ? { maxResults: Number(maxText) } : {}),
    ...(form.get('NextToken') ? { nextToken: form.get('NextToken') as string } : {}),
  };
}

/** EC2 filter values take `*` and `?` wildcards. */
export function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return re.test(text);
}

/** The filters the sim understands; any other name is EC2's `InvalidParameterValue`. */
export function instanceMatches(instance: FleetInstance, filter: { name: string; values: string[] }): boolean | undefined {
  const any = (text: string | undefined) => text !== undefined && filter.values.some((v) => globMatch(v, text));
  const tags = instance.tags ?? {};
  if (filter.name.startsWith('tag:')) {
    const key = filter.name.slice(4);
    return Object.hasOwn(tags, key) && any(tags[key]);
  }
  switch (filter.name) {
    case 'tag-key':
      return Object.keys(tags).some((k) => any(k));
    case 'tag-value':
      return Object.values(tags).some((v) => any(v));
    case 'instance-state-name':
      return any(stateOf(instance));
    case 'instance-id':
      return any(instance.id);
    case 'availability-zone':
      return any(zoneOf(instance));
    case 'private-ip-address':
      return any(instance.private_ipv4);
    default:
      return undefined;
  }
}

/** The result of one `DescribeInstances` call. */
export type DescribeResult = { ok: true; instances: FleetInstance[]; nextToken?: string } | { ok: false; status: number; code: string; message: string };

/**
 * Filters then pages `instances` (already narrowed to the request's region). Without `MaxResults`
 * every match comes in one answer, as EC2 gives it; with it the page size is the smaller of
 * `MaxResults` and the fleet's `page_size['aws-ec2']`.
 */
export function describeInstances(instances: readonly FleetInstance[], params: DescribeInstancesParams, fleetPageSize: number | undefined): DescribeResult {
  if (params.maxResults !== undefined) {
    if (params.instanceIds.length > 0) {
      return invalid('The parameter instancesSet cannot be used with the parameter maxResults');
    }
    if (!Number.isInteger(params.maxResults) || params.maxResults < EC2_MIN_RESULTS || params.maxResults > EC2_MAX_RESULTS) {
      return invalid(`Value ( ${params.maxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
    }
  }
  for (const filter of params.filters) {
    if (instanceMatches({ id: '', cloud: 'aws' }, filter) === undefined) {
      return invalid(`The filter '${filter.name}' is invalid`);
    }
  }
  const ids = new Set(params.instanceIds);
  const matching = instances.filter((i) => (ids.size === 0 || ids.has(i.id)) && params.filters.every((f) => instanceMatches(i, f) === true));
  // Without MaxResults EC2 answers every match at once (documented as slow and throttle-prone, never
  // truncated), so the fleet's page size only caps the pages of a paginated call.
  if (params.maxResults === undefined && params.nextToken === undefined) return { ok: true, instances: matching };
  const pageSize = Math.min(params.maxResults ?? EC2_MAX_RESULTS, fleetPageSize ?? EC2_MAX_RESULTS);
  let offset = 0;
  if (params.nextToken !== undefined) {
    const decoded = decodeToken(params.nextToken);
    if (decoded === undefined) {
      return { ok: false, status: 400, code: 'InvalidParameterValue', message: `Invalid value '${params.nextToken}' for nextToken` };
    }
    offset = decoded;
  }
  const page = matching.slice(offset, offset + pageSize);
  const next = offset + pageSize < matching.length ? encodeToken(offset + pageSize) : undefined;
  return next === undefined ? { ok: true, instances: page } : { ok: true, instances: page, nextToken: next };
}

function invalid(message: string): DescribeResult {
  return { ok: false, status: 400, code: 'InvalidParameterValue', message };
}

/** NextToken: opaque to clients, an offset with a checksum here. */
function encodeToken(offset: number): string {
  const body = `o${offset}`;
  return Buffer.from(`${body}.${createHash('sha256').update(body).digest('hex').slice(0, 8)}`).toString('base64url');
}

function decodeToken(token: string): number | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const m = /^o(\d+)\.([0-9a-f]{8})$/.exec(text);
  if (!m || createHash('sha256').update(`o${m[1]}`).digest('hex').slice(0, 8) !== m[2]) return undefined;
  return Number(m[1]);
}

const STATE_CODES: Record<string, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** Lower-case EC2 state name; the fleet default is `running`. */
export function stateOf(instance: FleetInstance): string {
  return (instance.state ?? 'running').toLowerCase();
}

/** The instance's zone, or its region + `a`. */
export function zoneOf(instance: FleetInstance): string | undefined {
  return instance.zone ?? (instance.region ? `${instance.region}a` : undefined);
}

/** The instance's region, or its zone without the trailing letter. */
export function regionOf(instance: FleetInstance): string | undefined {
  return instance.region ?? instance.zone?.replace(/[a-z]$/, '');
}

/** XML text-node escaping (no attributes are ever written from data). */
export function xml(text: string): string {
  return text.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] as string);
}

function el(name: string, value: string | number | undefined): string {
  return value === undefined || value === '' ? '' : `<${name}>${xml(String(value))}</${name}>`;
}

function shortHash(text: string, length = 17): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

interface Nic {
  private_ipv4?: string;
  public_ipv4?: string;
  private_ipv6?: string;
  public_ipv6?: string;
}

function nicXml(instance: FleetInstance, nic: Nic, index: number): string {
  // AWS has no private IPv6: every IPv6 it assigns is global unicast, so both fleet fields land here.
  const ipv6 = [nic.public_ipv6, nic.private_ipv6].filter((a): a is string => Boolean(a));
  return [
    '<item>',
    el('networkInterfaceId', `eni-${shortHash(`${instance.id}/${index}`)}`),
    el('status', 'in-use'),
    el('privateIpAddress', nic.private_ipv4),
    nic.public_ipv4 ? `<association>${el('publicIp', nic.public_ipv4)}${el('ipOwnerId', 'amazon')}</association>` : '',
    `<attachment>${el('attachmentId', `eni-attach-${shortHash(`${instance.id}/${index}/a`)}`)}${el('deviceIndex', index)}${el('status', 'attached')}</attachment>`,
    nic.private_ipv4
      ? `<privateIpAddressesSet><item>${el('privateIpAddress', nic.private_ipv4)}<primary>true</primary>${
          nic.public_ipv4 ? `<association>${el('publicIp', nic.public_ipv4)}</association>` : ''
        }</item></privateIpAddressesSet>`
      : '',
    ipv6.length ? `<ipv6AddressesSet>${ipv6.map((a) => `<item>${el('ipv6Address', a)}</item>`).join('')}</ipv6AddressesSet>` : '',
    '</item>',
  ].join('');
}

/** One reservation (one instance each, as `RunInstances` with count 1 makes). */
export function reservationXml(instance: FleetInstance, accountId: string): string {
  const state = stateOf(instance);
  const tags = Object.entries(instance.tags ?? {});
  const nics: Nic[] = [instance, ...(instance.extra_nics ?? [])];
  const primaryV6 = instance.public_ipv6 ?? instance.private_ipv6;
  const privateDns = instance.private_ipv4 ? `ip-${instance.private_ipv4.replaceAll('.', '-')}.ec2.internal` : undefined;
  return [
    '<item>',
    el('reservationId', `r-${shortHash(instance.id)}`),
    el('ownerId', accountId),
    '<groupSet/>',
    '<instancesSet><item>',
    el('instanceId', instance.id),
    el('imageId', 'ami-0a1b2c3d4e5f60718'),
    `<instanceState>${el('code', STATE_CODES[state] ?? 16)}${el('name', state)}</instanceState>`,
    el('privateDnsName', privateDns),
    el('instanceType', 't3.micro'),
    el('launchTime', '2026-01-01T00:00:00.000Z'),
    `<placement>${el('availabilityZone', zoneOf(instance))}${el('tenancy', 'default')}</placement>`,
    el('privateIpAddress', instance.private_ipv4),
    el('ipAddress', instance.public_ipv4),
    el('ipv6Address', primaryV6),
    tags.length ? `<tagSet>${tags.map(([k, v]) => `<item>${el('key', k)}<value>${xml(v)}</value></item>`).join('')}</tagSet>` : '',
    `<networkInterfaceSet>${nics.map((nic, index) => nicXml(instance, nic, index)).join('')}</networkInterfaceSet>`,
    '</item></instancesSet>',
    '</item>',
  ].join('');
}

/** The whole `DescribeInstancesResponse` document. */
export function describeInstancesXml(instances: readonly FleetInstance[], nextToken: string | undefined, accountId: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<DescribeInstancesResponse xmlns="${XMLNS}">`,
    el('requestId', randomUUID()),
    `<reservationSet>${instances.map((i) => reservationXml(i, accountId)).join('')}</reservationSet>`,
    el('nextToken', nextToken),
    '</DescribeInstancesResponse>',
  ].join('');
}

/** EC2's error document and status. */
export function ec2Error(status: number, code: string, message: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xml(code)}</Code><Message>${xml(message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`,
  };
}
