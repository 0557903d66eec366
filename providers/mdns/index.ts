/**
 * `provider=mdns`: multicast DNS service discovery on the local link (DNS-SD over mDNS).
 * Asks `<service>.<domain>` PTR on 224.0.0.251 and ff02::fb port 5353 with the `multicast-dns`
 * package, listens for `timeout`, and returns one `ip:port` per service instance heard.
 */
import { type Socket, createSocket } from 'node:dgram';
import { readdir, stat } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { MulticastDNS, Options as MulticastDnsOptions } from 'multicast-dns';
import { AbortError, type ArgProblem, AutojoinError, defineProvider, type Logger, LoopbackOnlyError, ProviderError } from '../../src/kit/index.js';
import { type MdnsQuestion, type MdnsRecord, followUpQuestions, mdnsTargets, serviceName } from './extract.js';

const OPERATION = 'mDNS query';
const MDNS_PORT = 5353;
const GROUP_V4 = '224.0.0.251';
const GROUP_V6 = 'ff02::fb';
const DEFAULT_WINDOW_MS = 1000;

export default defineProvider({
  name: 'mdns',
  summary: 'Multicast DNS (DNS-SD) on the local link: ip:port of every instance of a service.',
  args: {
    service: {
      type: 'string',
      required: true,
      help: 'The mDNS service name to browse, e.g. `_consul._tcp`.',
    },
    domain: { type: 'string', default: 'local', help: 'The mDNS discovery domain.' },
    timeout: {
      type: 'duration',
      default: '5s',
      help: 'How long to listen for answers (a Go duration); the call returns when it passes. `0` means 1s, as in hashicorp/mdns.',
    },
    v6: {
      type: 'bool',
      default: true,
      help: 'Allow IPv6 addresses, and prefer them over IPv4 when an instance has both.',
    },
    v4: { type: 'bool', default: true, help: 'Allow IPv4 addresses.' },
    interface: {
      type: 'string',
      help: 'The network interface to query on, by name (e.g. `eth0`); the system default multicast interface when absent.',
    },
  },
  notes: [
    'One address per service instance: its IPv6 address when `v6` is true and it has one, otherwise its IPv4 ' +
      'address when `v4` is true, printed `ip:port` with IPv6 in brackets (`[fd00::1]:8301`). Both the IPv4 ' +
      'and the IPv6 multicast groups are always queried; `v4` and `v6` only choose the addresses returned. A ' +
      'link-local IPv6 address (fe80::/10) is used only when the instance has no IPv4 address, since peers ' +
      'cannot dial it without its interface.',
    'The call always listens for the whole `timeout`, so give the call itself a longer timeout. No answer ' +
      'is an empty list, not an error. The query is sent from port 5353 (shared with any local mDNS daemon ' +
      'through SO_REUSEADDR), so answers sent to the multicast group are heard.',
    '`interface` is an autojoin addition (hashicorp/mdns offers it in Go, go-discover does not expose it): on ' +
      'hosts with several interfaces it picks the link to browse. An unknown interface name is an error.',
  ],
  examples: [
    'provider=mdns service=_consul._tcp',
    'provider=mdns service=_nomad._tcp domain=local timeout=2s v6=false',
    'provider=mdns service=_consul._tcp interface=eth1',
  ],
  validate(args) {
    const problems: ArgProblem[] = [];
    if (!args.v4 && !args.v6) {
      problems.push({ key: 'v6', message: 'v4 and v6 are both false: no address could ever be returned' });
    }
    return problems;
  },
  async discover(args, ctx) {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    if (ctx.http.loopbackOnly && !(await inNamedNetworkNamespace())) {
      throw new LoopbackOnlyError(`the mDNS groups ${GROUP_V4} and ${GROUP_V6}`);
    }
    const name = serviceName(args.service, args.domain);
    const families = { v4: args.v4, v6: args.v6 };
    const sockets = await openSockets(args.interface, ctx.log);
    const records: MdnsRecord[] = [];
    const asked = new Set<string>();

    const ask = (questions: readonly MdnsQuestion[]) => {
      const fresh = questions.filter((q) => !asked.has(`${q.type} ${q.name.toLowerCase()}`));
      if (fresh.length === 0) return;
      for (const q of fresh) asked.add(`${q.type} ${q.name.toLowerCase()}`);
      for (const socket of sockets) {
        socket.query({ questions: fresh.map((q) => ({ name: q.name, type: q.type })) }, (err?: Error | null) => {
          if (err) ctx.log.debug(`discover-mdns: sending a query failed: ${err.message}`);
        });
      }
    };

    try {
      for (const socket of sockets) {
        socket.on('response', (packet) => {
          records.push(...(packet.answers ?? []), ...(packet.additionals ?? []));
          ask(followUpQuestions(records, name));
        });
      }
      // hashicorp/mdns treats a zero timeout as its default, one second.
      const window = args.timeout === 0 ? DEFAULT_WINDOW_MS : args.timeout;
      ctx.log.info(`discover-mdns: Browsing ${name} for ${window} ms`);
      if (!ctx.signal.aborted) ask([{ name, type: 'PTR' }]);
      await listen(window, ctx.signal);
    } finally {
      await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.destroy(() => resolve()))));
    }
    if (ctx.signal.aborted) throw abortError(ctx.signal);

    const targets = mdnsTargets(records, name, families);
    for (const t of targets) ctx.log.debug(`discover-mdns: ${t.name} -> ${t.address} port ${t.port}`);
    return targets;
  },
});

/**
 * Opens the IPv4 and the IPv6 mDNS sockets. One of them failing (no IPv6 on the host, no
 * multicast route) is logged and tolerated, as hashicorp/mdns does; both failing is an error.
 */
async function openSockets(interfaceName: string | undefined, log: Logger): Promise<MulticastDNS[]> {
  const { default: multicastDns } = await import('multicast-dns');
  const iface = interfaceName === undefined ? undefined : interfaceAddresses(interfaceName);
  const attempts: Array<{ family: string; options: MulticastDnsOptions; socket: () => Socket }> = [];
  // An interface without an IPv4 address gets no IPv4 query: the default would browse the other links.
  if (iface === undefined || iface.v4 !== undefined) {
    attempts.push({
      family: 'IPv4',
      // Bound to the wildcard: a socket bound to the interface's unicast address never sees the group's packets.
      options: { type: 'udp4', ip: GROUP_V4, interface: iface?.v4, bind: '0.0.0.0' },
      socket: () => createSocket({ type: 'udp4', reuseAddr: true }),
    });
  }
  attempts.push({
    family: 'IPv6',
    options: { type: 'udp6', ip: GROUP_V6, interface: iface?.v6 ?? '::', bind: '::' },
    // v6-only, or this socket would also hear the IPv4 group's packets.
    socket: () => createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true }),
  });
  const opened = await Promise.all(
    attempts.map(async ({ family, options, socket }) => {
      const mdns = multicastDns({ ...options, port: MDNS_PORT, socket: socket() });
      mdns.on('warning', (err: Error) => log.debug(`discover-mdns: ${family}: ${err.message}`));
      mdns.on('error', (err: Error) => log.debug(`discover-mdns: ${family}: ${err.message}`));
      const failure = await new Promise<Error | undefined>((resolve) => {
        mdns.once('ready', () => resolve(undefined));
        mdns.once('error', (err: Error) => resolve(err));
      });
      if (failure === undefined) return { mdns, failure };
      log.warn(`discover-mdns: cannot use ${family} multicast: ${failure.message}`);
      await new Promise<void>((resolve) => mdns.destroy(() => resolve()));
      return { mdns: undefined, failure };
    }),
  );
  const sockets = opened.flatMap((o) => (o.mdns ? [o.mdns] : []));
  if (sockets.length === 0) {
    const reasons = opened.map((o) => o.failure?.message).join('; ');
    throw new ProviderError('mdns', `no multicast socket could be opened: ${reasons}`, {
      operation: OPERATION,
      cause: opened[0]?.failure,
    });
  }
  return sockets;
}

/** `eth0` -> its first IPv4 address and `::%eth0`, the forms `multicast-dns` wants. */
function interfaceAddresses(name: string): { v4: string | undefined; v6: string } {
  const addresses = networkInterfaces()[name];
  if (addresses === undefined) {
    const known = Object.keys(networkInterfaces()).join(', ');
    throw new ProviderError('mdns', `no network interface named "${name}" (this host has: ${known})`, {
      operation: OPERATION,
    });
  }
  const v4 = addresses.find((a) => a.family === 'IPv4')?.address;
  return { v4, v6: `::%${name}` };
}

/**
 * True when this process runs in a named network namespace (`ip netns add`, entered with
 * `ip netns exec`): its links are the test's own. Multicast leaves loopback, so with
 * AUTOJOIN_LOOPBACK_ONLY (tests) it is allowed only there. Unknown (no /proc or /run/netns) is false.
 */
async function inNamedNetworkNamespace(): Promise<boolean> {
  try {
    const own = await stat('/proc/self/ns/net');
    const named = await readdir('/run/netns');
    for (const name of named) {
      const ns = await stat(`/run/netns/${name}`).catch(() => undefined);
      if (ns !== undefined && ns.ino === own.ino && ns.dev === own.dev) return true;
    }
    return false;
  } catch {
    return false;
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
function listen(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // An abort that came while the sockets were opening would never fire the listener below.
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The engine aborts with its own TimeoutError or AbortError; keep it when it is one of ours. */
function abortError(signal: AbortSignal): AutojoinError {
  const reason: unknown = signal.reason;
  return reason instanceof AutojoinError ? reason : new AbortError(`discover-mdns: ${OPERATION}`, { cause: reason });
}
