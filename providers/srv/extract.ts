/**
 * Pure parts of the `srv` provider: the query name, RFC 2782 ordering, records -> targets,
 * the `nameserver` argument, and DNS error codes -> readable reasons. No I/O.
 */
import { formatHostPort, ipVersion, isLoopbackHost, splitHostPort, type Target } from '../../src/kit/index.js';

/** One SRV record as `node:dns` returns it (`name` is the target host, without a trailing dot). */
export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/**
 * The name Go's `net.LookupSRV(service, proto, domain)` queries: `_service._proto.domain`.
 * @example srvQueryName('consul', 'tcp', 'example.com') // '_consul._tcp.example.com'
 */
export function srvQueryName(service: string, proto: string, domain: string): string {
  // Go queries the bare domain when both service and proto are empty; the schema requires service.
  if (service === '' && proto === '') return domain;
  return `_${service}._${proto}.${domain}`;
}

/** Appends the root dot Go's resolver keeps on every name (`node1.example.com.`). */
export function fullyQualified(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/**
 * Orders records as Go's `net.LookupSRV` does (RFC 2782): ascending priority, and within one
 * priority a weighted random order where a record of weight w comes first with probability
 * w / (sum of weights). c-ares returns the records in wire order, so this is done here.
 * @param random a function returning [0, 1), injectable for tests
 */
export function orderSrvRecords(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  // Go sorts by (priority, weight) first, so zero weights sit at the front of their group.
  const sorted = [...records].sort((a, b) => a.priority - b.priority || a.weight - b.weight);
  const ordered: SrvRecord[] = [];
  let start = 0;
  while (start < sorted.length) {
    let end = start + 1;
    while (end < sorted.length && sorted[end]!.priority === sorted[start]!.priority) end++;
    ordered.push(...shuffleByWeight(sorted.slice(start, end), random));
    start = end;
  }
  return ordered;
}

/** Go's `byPriorityWeight.shuffleByWeight`, one priority group. */
function shuffleByWeight(group: SrvRecord[], random: () => number): SrvRecord[] {
  const out: SrvRecord[] = [];
  let rest = group;
  let sum = rest.reduce((total, r) => total + r.weight, 0);
  while (sum > 0 && rest.length > 1) {
    const pick = Math.floor(random() * sum);
    let running = 0;
    let chosen = 0;
    for (let i = 0; i < rest.length; i++) {
      running += rest[i]!.weight;
      if (running > pick) {
        chosen = i;
        break;
      }
    }
    // Go swaps the chosen record with the first one, which changes the order of the others.
    const swapped = [...rest];
    [swapped[0], swapped[chosen]] = [swapped[chosen]!, swapped[0]!];
    out.push(swapped[0]!);
    sum -= swapped[0]!.weight;
    rest = swapped.slice(1);
  }
  return [...out, ...rest];
}

/**
 * Records -> targets, in the order given. The address keeps the trailing dot, so the engine
 * prints `node1.example.com.:4648` exactly as go-discover does. A record whose target is the root
 * (`.`, which c-ares reports as an empty name) says "decidedly not available here" (RFC 2782) and
 * is dropped; go-discover would print it as `.:<port>`.
 */
export function srvTargets(records: readonly SrvRecord[]): Target[] {
  return records.filter((r) => r.name !== '' && r.name !== '.').map((r) => ({ address: fullyQualified(r.name), port: r.port }));
}

/** The default DNS port, used when `nameserver` has none. */
export const DNS_PORT = 53;

/**
 * Normalises the `nameserver` argument to the form `Resolver.setServers` takes:
 * `1.2.3.4` -> `1.2.3.4:53`, `[::1]:5353` stays, a bare `::1` -> `[::1]:53`.
 * @returns undefined when the text is not an IP literal with an optional port
 */
export function parseNameserver(text: string): string | undefined {
  const parsed = splitHostPort(text);
  if (parsed === undefined || ipVersion(parsed.host) === 0) return undefined;
  if (parsed.host.includes('%')) return undefined; // c-ares takes no IPv6 zone here
  if (parsed.port === 0) return undefined;
  return formatHostPort(parsed.host, parsed.port ?? DNS_PORT);
}

/** True for an `IP:port` server string whose IP is a loopback address. */
export function isLoopbackServer(server: string): boolean {
  const parsed = splitHostPort(server);
  return parsed !== undefined && ipVersion(parsed.host) !== 0 && isLoopbackHost(parsed.host);
}

/** Reasons for the `node:dns` (c-ares) error codes, worded like Go's resolver errors where it has one. */
const DNS_REASONS: Record<string, string> = {
  ENOTFOUND: 'no such host (NXDOMAIN)',
  ENODATA: 'no SRV records for this name',
  ESERVFAIL: 'server failure (SERVFAIL)',
  EREFUSED: 'query refused by the name server (REFUSED)',
  ETIMEOUT: 'the name server did not answer in time',
  ECONNREFUSED: 'connection to the name server refused',
  EFORMERR: 'the name server rejected the query as malformed (FORMERR)',
  EBADRESP: 'malformed answer from the name server',
  ENOTIMP: 'the name server does not implement this query (NOTIMP)',
  EBADNAME: 'not a valid DNS name',
  ECANCELLED: 'the query was cancelled',
};

/** `ENOTFOUND` -> `no such host (NXDOMAIN)`; unknown codes are returned as they are. */
export function describeDnsError(code: string | undefined): string {
  if (code === undefined) return 'lookup failed';
  return DNS_REASONS[code] ?? code;
}
