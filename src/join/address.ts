/**
 * `joinAddress`: one discovered or configured address to the `host:port` a join dials, with
 * Nomad's client rules (`client/rpc.go` `resolveServer`, fixed for IPv6 in 1.9.4):
 * a missing port gets the default, a bare IPv6 literal is bracketed, `host:` gets the default.
 */
import { formatHostPort, ipVersion, isDnsName, parseHostPort } from '../address.js';
import { InvalidAddressError } from './errors.js';

/** The parts of an address; `port` undefined when it had none (or an empty one, `host:`). */
export interface AddressParts {
  host: string;
  port: number | undefined;
}

/**
 * Splits an address with Go's `net.SplitHostPort` rules and Nomad's fallbacks, without
 * resolving anything. IPv6 zones (`fe80::1%eth0`) are kept.
 * @throws InvalidAddressError with Go's texts (`too many colons in address`, `unexpected ']' in address`...)
 */
export function parseJoinAddress(input: string): AddressParts {
  const parsed = parseHostPort(input);
  if ('error' in parsed) throw new InvalidAddressError(input, parsed.error);
  return checkedHost(input, parsed.host, parsed.port, input.trim());
}

function checkedHost(input: string, host: string, port: number | undefined, text: string): AddressParts {
  if (host === '') throw new InvalidAddressError(input, 'missing host');
  if (text.startsWith('[') && ipVersion(host) !== 6) throw new InvalidAddressError(input, 'brackets around a non-IPv6 host');
  if (/[\s/[\]]/.test(host)) throw new InvalidAddressError(input, 'invalid host');
  if (ipVersion(host) === 0 && !isDnsName(host)) {
    // getaddrinfo would read `010.0.0.1` as octal (8.0.0.1) and `10.1` as 10.0.0.1.
    const reason = /^[\d.]+$/.test(host) ? 'not a valid IPv4 address (no leading zeros, four parts)' : 'not an IP address or DNS name';
    throw new InvalidAddressError(input, reason);
  }
  return { host, port };
}

/**
 * Normalises one address for a join: `host:port`, IPv6 bracketed, the port added when missing.
 * Without `defaultPort`, an address without a port stays without one (IPv6 then unbracketed,
 * as go-discover prints it).
 *
 * @example
 * joinAddress('10.0.0.1', 4647)        // '10.0.0.1:4647'
 * joinAddress('2001:db8::1', 4647)     // '[2001:db8::1]:4647'
 * joinAddress('[2001:db8::1]:', 4647)  // '[2001:db8::1]:4647'
 * joinAddress('nomad.local:6647')      // 'nomad.local:6647'
 * @throws InvalidAddressError when the text is malformed
 */
export function joinAddress(address: string, defaultPort?: number): string {
  if (defaultPort !== undefined && (!Number.isInteger(defaultPort) || defaultPort < 0 || defaultPort > 65535)) {
    throw new InvalidAddressError(address, `default port ${defaultPort} is not in 0-65535`);
  }
  const { host, port } = parseJoinAddress(address);
  return formatHostPort(host, port ?? defaultPort);
}
