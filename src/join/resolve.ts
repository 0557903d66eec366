/**
 * Host name resolution for join addresses. Unlike Nomad's client path (`net.ResolveTCPAddr`,
 * one address) every A and AAAA record is used, and a name is resolved again at every attempt
 * so a DNS round-robin that changed since the last attempt is seen (consul#4189, consul#23239).
 */
import { lookup } from 'node:dns/promises';
import { AbortError } from '../errors.js';

/** Resolves a host name to every address it has. Injectable in `retryJoin` for tests. */
export type ResolveHost = (host: string, options: { signal: AbortSignal }) => Promise<string[]>;

/**
 * The system resolver (`getaddrinfo`, so `/etc/hosts` counts), all records, in the order the
 * resolver gives them, duplicates dropped.
 * @throws Error `failed to resolve <host>: <code>` (memberlist's wording)
 */
export const systemResolveHost: ResolveHost = async (host, { signal }) => {
  if (signal.aborted) throw new AbortError(`resolving ${host}`, { cause: signal.reason });
  let records: Array<{ address: string }>;
  try {
    records = await lookup(host, { all: true, verbatim: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`failed to resolve ${host}: ${code}`, { cause: error });
  }
  const addresses = [...new Set(records.map((r) => r.address))];
  if (addresses.length === 0) throw new Error(`failed to resolve ${host}: no addresses`);
  return addresses;
};
