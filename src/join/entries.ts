/**
 * Entry routing: what one `retry_join` entry is, and how it turns into addresses.
 *
 * - `exec=...` (prefix, Nomad's rule): a go-netaddrs command.
 * - anything containing `provider=` (Consul's rule, which accepts everything Nomad's prefix rule
 *   accepts, and also `" provider=aws"` or `"tag_key=x provider=aws"` that Nomad would treat as a host name):
 *   a go-discover config string.
 * - anything else: a literal address (IPv4, IPv6 bare or bracketed, host name; port optional).
 */
import { formatHostPort, ipVersion } from '../address.js';
import type { Logger } from '../log.js';
import { REDACTED } from '../redact.js';
import type { Target } from '../provider.js';
import { parseJoinAddress } from './address.js';
import { JoinConfigError } from './errors.js';
import { checkExecEntry, execAddrs, redactExecEntry } from './netaddrs.js';
import type { ResolveHost } from './resolve.js';

export type EntryKind = 'exec' | 'provider' | 'address';

/** Routes an entry. `exec=` wins over `provider=`: a command line may well mention a provider. */
export function classifyEntry(entry: string): EntryKind {
  if (entry.startsWith('exec=')) return 'exec';
  if (entry.includes('provider=')) return 'provider';
  return 'address';
}

/** Discovers a go-discover entry's addresses; `discover.ts`'s `addrs` by default, injectable for tests. */
export type DiscoverAddrs = (
  cfg: string,
  options: {
    signal: AbortSignal;
    timeout: number;
    deadline?: number;
    logger: Logger;
    env: Record<string, string | undefined>;
    userAgent?: string;
  },
) => Promise<ReadonlyArray<string | Target>>;

/**
 * Validates a go-discover entry without any network call; `discover.ts`'s `checkConfig` by default.
 * Returns the entry with its secrets redacted, for logs. Throws the engine's config errors.
 */
export type CheckEntry = (cfg: string, options: { env: Record<string, string | undefined> }) => Promise<{ redacted: string }>;

/** An entry that passed the checks run before the first attempt. */
export interface PreparedEntry {
  entry: string;
  kind: EntryKind;
  /** What logs and errors show: the entry with secret values as `***`. */
  label: string;
}

/**
 * Checks every entry before the first attempt: config errors cannot heal by waiting.
 * @throws the engine's ConfigParseError / NoProviderError / UnknownProviderError / ProviderArgsError,
 *   JoinConfigError (empty `exec=`), InvalidAddressError (malformed literal)
 */
export async function prepareEntries(entries: readonly string[], check: CheckEntry, env: Record<string, string | undefined>): Promise<PreparedEntry[]> {
  const prepared: PreparedEntry[] = [];
  for (const entry of entries) {
    const kind = classifyEntry(entry);
    if (kind === 'exec') {
      const label = redactExecEntry(entry);
      try {
        checkExecEntry(entry);
      } catch {
        throw new JoinConfigError(label, `${label.trim()}: no executable given after "exec="`);
      }
      prepared.push({ entry, kind, label });
    } else if (kind === 'provider') {
      const { redacted } = await check(entry, { env });
      prepared.push({ entry, kind, label: redacted });
    } else {
      // Consul expands these at config build; Nomad passes them on and fails to resolve them (nomad#8169).
      if (entry.includes('{{')) throw new JoinConfigError(entry, `${entry.trim()}: go-sockaddr templates are not supported in join entries`);
      const pair = /^\s*([^\s=]+)=/.exec(entry);
      if (pair) {
        // A provider entry missing its provider=, or a key=value pasted as an entry: never a host name to ask DNS for.
        const shown = `${pair[1]}=${REDACTED}`;
        throw new JoinConfigError(shown, `${shown}: a join entry with "=" is not an address; a provider entry needs provider=NAME`);
      }
      parseJoinAddress(entry);
      prepared.push({ entry, kind, label: entry.trim() });
    }
  }
  return prepared;
}

/** What {@link entryAddresses} needs besides the entry. */
export interface EntryContext {
  signal: AbortSignal;
  timeoutMs: number;
  /** Epoch ms (real time) when the entry's timeout passes; provider retries do not wait past it. */
  deadline: number | undefined;
  defaultPort: number | undefined;
  discoverAddrs: DiscoverAddrs;
  resolveHost: ResolveHost;
  logger: Logger;
  env: Record<string, string | undefined>;
  userAgent?: string;
}

/**
 * One entry's join addresses for one attempt: discovered (provider, exec) or taken literally,
 * host names resolved to every A/AAAA record, each normalised to `host:port` (port added when
 * `defaultPort` is set). Order is the entry's own; duplicates are left to the caller.
 */
export async function entryAddresses(prepared: PreparedEntry, ctx: EntryContext): Promise<string[]> {
  let raw: string[];
  if (prepared.kind === 'exec') {
    raw = await execAddrs(prepared.entry, { signal: ctx.signal, env: ctx.env });
  } else if (prepared.kind === 'provider') {
    const found = await ctx.discoverAddrs(prepared.entry, {
      signal: ctx.signal,
      // The attempt's own timer (on the loop's clock) aborts `signal`: one timer per entry and call.
      timeout: 0,
      deadline: ctx.deadline,
      logger: ctx.logger,
      env: ctx.env,
      userAgent: ctx.userAgent,
    });
    raw = found.map((target) => (typeof target === 'string' ? target : formatHostPort(target.address, target.port)));
  } else {
    raw = [prepared.entry];
  }
  const resolved = await Promise.all(
    raw.map(async (address) => {
      const { host, port } = parseJoinAddress(address);
      const ips = ipVersion(host) === 0 ? await ctx.resolveHost(host, { signal: ctx.signal }) : [host];
      return ips.map((ip) => formatHostPort(ip, port ?? ctx.defaultPort));
    }),
  );
  return resolved.flat();
}
