/**
 * Host/port formatting shared by every caller: providers' output, the join loop, the CLI.
 * IPv6 literals are bracketed only when a port follows (`[2001:db8::1]:4648`), as Go's
 * `net.JoinHostPort` does.
 */
import { BlockList, isIP } from 'node:net';

/** `host:port`, bracketing IPv6; the bare host when `port` is undefined. */
export function formatHostPort(host: string, port?: number | string): string {
  const bare = stripBrackets(host);
  if (port === undefined || port === '') return bare;
  return isIP(withoutZone(bare)) === 6 || bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/** Removes one pair of surrounding brackets: `[::1]` -> `::1`. */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `fe80::1%eth0` -> `fe80::1` (the zone is kept by callers that need it). */
export function withoutZone(host: string): string {
  const i = host.indexOf('%');
  return i < 0 ? host : host.slice(0, i);
}

/** 4, 6, or 0 for a host name; an IPv6 zone (`%eth0`) is allowed. */
export function ipVersion(host: string): 0 | 4 | 6 {
  return isIP(withoutZone(stripBrackets(host))) as 0 | 4 | 6;
}

/** The result of splitting `host[:port]`. */
export interface HostPort {
  host: string;
  port: number | undefined;
}

/**
 * Splits `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal.
 * Returns undefined when the text is malformed (empty host, bad port, unbalanced brackets).
 * A trailing `host:` yields port undefined, like Nomad's client rules.
 */
export function splitHostPort(text: string): HostPort | undefined {
  const parsed = parseHostPort(text);
  if ('error' in parsed || parsed.host === '') return undefined;
  // A bracketed host must be an IPv6 literal.
  if (parsed.bracketed && ipVersion(parsed.host) !== 6) return undefined;
  return { host: parsed.host, port: parsed.port };
}

/**
 * THE host:port parser (Go's `net.SplitHostPort`, with a bare IPv6 literal read as a host, as
 * Nomad does): `host`, `host:port`, `[v6]`, `[v6]:port`, `v6`; an empty port is no port. On
 * failure, Go's reason (`too many colons in address`, `missing ']' in address`...). Callers add
 * their own rules for the host (splitHostPort, parseJoinAddress).
 */
export function parseHostPort(input: string): { host: string; port: number | undefined; bracketed: boolean } | { error: string } {
  const text = input.trim();
  if (text === '') return { error: 'missing address' };
  // A bare IPv6 literal fails SplitHostPort with "too many colons"; Nomad then brackets it, so
  // `2001:db8::1:4647` is the host `2001:db8::1:4647`, not a port (Nomad's own test says so).
  if (!text.startsWith('[') && ipVersion(text) === 6) return { host: text, port: undefined, bracketed: false };
  const colon = text.lastIndexOf(':');
  let host: string;
  let afterHost: number;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return { error: "missing ']' in address" };
    if (text.indexOf('[', 1) >= 0) return { error: "unexpected '[' in address" };
    if (end + 1 === text.length) return { host: text.slice(1, end), port: undefined, bracketed: true };
    if (end + 1 !== colon) return { error: text[end + 1] === ':' ? 'too many colons in address' : 'missing port in address' };
    host = text.slice(1, end);
    afterHost = end + 1;
  } else {
    if (colon < 0) return { host: text, port: undefined, bracketed: false };
    host = text.slice(0, colon);
    afterHost = colon;
    if (host.includes(':')) return { error: 'too many colons in address' };
    if (text.includes('[')) return { error: "unexpected '[' in address" };
  }
  if (text.indexOf(']', afterHost) >= 0) return { error: "unexpected ']' in address" };
  const portText = text.slice(colon + 1);
  if (portText === '') return { host, port: undefined, bracketed: text.startsWith('[') };
  const port = parsePort(portText);
  if (port === undefined) return { error: 'invalid port' };
  return { host, port, bracketed: text.startsWith('[') };
}

/** A decimal port 0-65535, or undefined. */
export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

let loopback: BlockList | undefined;

/** 127.0.0.0/8 and ::1, built on first use: only the loopback guard asks, and `check` never does. */
function loopbackAddresses(): BlockList {
  if (!loopback) {
    loopback = new BlockList();
    loopback.addSubnet('127.0.0.0', 8, 'ipv4');
    loopback.addAddress('::1', 'ipv6');
  }
  return loopback;
}

/**
 * True for `localhost`, 127.0.0.0/8 and ::1 (with or without brackets, and IPv4-mapped
 * `::ffff:127.x.y.z`). Names other than `localhost` are not resolved: they are refused.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = stripBrackets(host).toLowerCase();
  if (bare === 'localhost' || bare === 'localhost.') return true;
  const family = isIP(bare);
  if (family === 4) return loopbackAddresses().check(bare, 'ipv4');
  if (family === 6) {
    const mapped = bare.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
    if (mapped?.[1]) return loopbackAddresses().check(mapped[1], 'ipv4');
    return loopbackAddresses().check(bare, 'ipv6');
  }
  return false;
}

// RFC 1123 host names (letters, digits, hyphens; underscores too, as DNS service labels use them).
const DNS_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/** True for a DNS name: dot-separated labels of 1-63 characters, 253 in all, an optional final dot. */
export function isDnsName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name === '' || name.length > 253) return false;
  const labels = name.split('.');
  // An all-numeric dotted name is a malformed IPv4 address (`010.0.0.1`, `1.2.3`), not a name.
  if (labels.every((label) => /^\d+$/.test(label))) return false;
  return labels.every((label) => DNS_LABEL.test(label));
}

/**
 * Why an address and port cannot be a target, or undefined when they can: the address must be
 * an IP (IPv6 with an optional zone) or a DNS name, the port an integer in 1-65535 or absent.
 * @example targetProblem('10.0.0.1 -rf /etc', undefined) === 'not an IP address or DNS name'
 */
export function targetProblem(address: unknown, port: unknown): string | undefined {
  if (typeof address !== 'string') return `the address is a ${address === null ? 'null' : typeof address}, not a string`;
  if (ipVersion(address) === 0 && !isDnsName(address)) return 'not an IP address or DNS name';
  if (ipVersion(address) === 4 && address.includes('%')) return 'an IPv4 address cannot carry a zone';
  if (port !== undefined && !(typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535)) {
    return `port ${typeof port === 'string' ? JSON.stringify(port) : String(port)} is not in 1-65535`;
  }
  return undefined;
}
