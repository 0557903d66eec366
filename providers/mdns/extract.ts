/**
 * Pure parts of the `mdns` provider: the records heard during the query window -> targets, and
 * which follow-up questions to ask when a responder left records out. No I/O.
 *
 * The chain is the DNS-SD one (RFC 6763): PTR `<service>.<domain>` -> instance names; SRV of an
 * instance -> host and port; A/AAAA of the host -> addresses. DNS names compare case-insensitively.
 */
import { ipVersion, type Target } from '../../src/kit/index.js';

/** A resource record as `dns-packet` decodes it (names carry no trailing dot). */
export interface MdnsRecord {
  name: string;
  type: string;
  data?: unknown;
}

/** A DNS-SD service instance assembled from the records. */
export interface MdnsInstance {
  /** The instance name the PTR pointed to, e.g. `node1._nomad._tcp.local`. */
  name: string;
  /** SRV target host, once known. */
  host?: string;
  /** SRV port, once known. */
  port?: number;
  /** The host's addresses, in the order first heard. */
  v4: string[];
  v6: string[];
}

/** Which address families may be returned. Both true by default, as in go-discover. */
export interface FamilyChoice {
  v4: boolean;
  v6: boolean;
}

/** A question to send. */
export interface MdnsQuestion {
  name: string;
  type: 'PTR' | 'SRV' | 'A' | 'AAAA';
}

/** `trimDot(service).trimDot(domain)`, as hashicorp/mdns builds the PTR name (without the root dot). */
export function serviceName(service: string, domain: string): string {
  return `${trimDot(service)}.${trimDot(domain)}`;
}

function trimDot(name: string): string {
  return name.replace(/^\.+|\.+$/g, '');
}

const key = (name: string) => trimDot(name).toLowerCase();

/**
 * Assembles the instances of `service` from every record heard, in the order their PTRs arrived.
 * PTRs for other services are ignored: the multicast socket hears everyone's traffic.
 */
export function collectInstances(records: readonly MdnsRecord[], service: string): MdnsInstance[] {
  const wanted = key(service);
  const instances = new Map<string, MdnsInstance>();
  const srv = new Map<string, { host: string; port: number }>();
  const addresses = new Map<string, { v4: string[]; v6: string[] }>();

  for (const record of records) {
    const owner = key(record.name);
    if (record.type === 'PTR' && owner === wanted && typeof record.data === 'string') {
      const name = trimDot(record.data);
      if (!instances.has(key(name))) instances.set(key(name), { name, v4: [], v6: [] });
    } else if (record.type === 'SRV' && isSrvData(record.data)) {
      // A later SRV for the same instance replaces the earlier one (the host moved or renumbered).
      srv.set(owner, { host: trimDot(record.data.target), port: record.data.port });
    } else if ((record.type === 'A' || record.type === 'AAAA') && typeof record.data === 'string') {
      const family = ipVersion(record.data);
      if (family === 0) continue;
      const entry = addresses.get(owner) ?? { v4: [], v6: [] };
      const list = family === 4 ? entry.v4 : entry.v6;
      if (!list.includes(record.data)) list.push(record.data);
      addresses.set(owner, entry);
    }
  }

  return [...instances.values()].map((instance) => {
    const location = srv.get(key(instance.name));
    if (!location) return instance;
    const found = addresses.get(key(location.host)) ?? { v4: [], v6: [] };
    return { ...instance, host: location.host, port: location.port, v4: found.v4, v6: found.v6 };
  });
}

function isSrvData(data: unknown): data is { target: string; port: number } {
  if (typeof data !== 'object' || data === null) return false;
  const { target, port } = data as { target?: unknown; port?: unknown };
  return typeof target === 'string' && typeof port === 'number';
}

const isLinkLocalV6 = (address: string) => /^fe[89ab][0-9a-f]:/i.test(address);

/**
 * The one address go-discover reports for an instance: IPv6 when allowed and known (preferred),
 * else IPv4 when allowed. A link-local IPv6 (`fe80::/10`) comes after IPv4, because without its
 * interface zone no peer can dial it.
 */
export function pickAddress(instance: MdnsInstance, families: FamilyChoice): string | undefined {
  const routableV6 = instance.v6.filter((a) => !isLinkLocalV6(a));
  const linkLocalV6 = instance.v6.filter(isLinkLocalV6);
  if (families.v6 && routableV6[0] !== undefined) return routableV6[0];
  if (families.v4 && instance.v4[0] !== undefined) return instance.v4[0];
  if (families.v6 && linkLocalV6[0] !== undefined) return linkLocalV6[0];
  return undefined;
}

/**
 * Records -> targets: one per complete instance (port known and non-zero, an allowed address),
 * as `address` + `port` (the engine brackets IPv6: `[fd00::1]:4648`).
 */
export function mdnsTargets(records: readonly MdnsRecord[], service: string, families: FamilyChoice): Target[] {
  const targets: Target[] = [];
  for (const instance of collectInstances(records, service)) {
    if (!instance.port || instance.host === undefined) continue;
    const address = pickAddress(instance, families);
    if (address === undefined) continue;
    targets.push({ address, port: instance.port, name: instance.name });
  }
  return targets;
}

/**
 * Questions that would complete the picture: SRV for instances known only by their PTR, A and
 * AAAA for hosts whose addresses were not in the additionals. Many responders (avahi, Bonjour)
 * send them all at once; this covers the ones that do not.
 */
export function followUpQuestions(records: readonly MdnsRecord[], service: string): MdnsQuestion[] {
  const questions: MdnsQuestion[] = [];
  for (const instance of collectInstances(records, service)) {
    if (instance.host === undefined) {
      questions.push({ name: instance.name, type: 'SRV' });
    } else if (instance.v4.length === 0 && instance.v6.length === 0) {
      questions.push({ name: instance.host, type: 'A' }, { name: instance.host, type: 'AAAA' });
    }
  }
  return questions;
}
