/**
 * `provider=srv`: DNS SRV records (`_service._proto.domain`) -> `target.:port`.
 * The lookup goes through `node:dns` (c-ares), either to the system's name servers or to the
 * one `nameserver` names.
 */
import { Resolver } from 'node:dns/promises';
import { AbortError, AutojoinError, defineProvider, LoopbackOnlyError, ProviderError } from '../../src/kit/index.js';
import { type SrvRecord, describeDnsError, isLoopbackServer, orderSrvRecords, parseNameserver, srvQueryName, srvTargets } from './extract.js';

const OPERATION = 'SRV lookup';
/** Per-try timeout and tries, as Go's resolver defaults (resolv.conf `timeout:5 attempts:2`). */
const TRY_TIMEOUT_MS = 5000;
const TRIES = 2;

export default defineProvider({
  name: 'srv',
  summary: 'DNS SRV records: every target and port of `_<service>._<proto>.<domain>`.',
  args: {
    service: {
      type: 'string',
      required: true,
      help: 'The SRV service to look up, without its underscore: `consul` queries `_consul._<proto>.<domain>`.',
    },
    proto: { type: 'string', default: 'tcp', help: 'The protocol label of the SRV name, without its underscore.' },
    domain: { type: 'string', required: true, help: 'The domain the SRV records live under, e.g. `service.example.com`.' },
    nameserver: {
      type: 'string',
      help: 'The DNS server to ask, as `ip` or `ip:port` (IPv6 as `[::1]:53`); the system resolver configuration when absent.',
    },
  },
  notes: [
    'Each record becomes `target:port`, with the target exactly as DNS holds it, trailing dot included ' +
      '(`node1.example.com.:4648`), as go-discover prints it. Records come ordered by priority, and by a ' +
      'weighted random draw within one priority (RFC 2782), as Go orders them.',
    'A name that does not exist (NXDOMAIN) or has no SRV records is an error, not an empty list, as in ' +
      'go-discover, so a typo in `service` or `domain` is visible instead of looking like an empty cluster. ' +
      'A record whose target is `.` ("decidedly not available", RFC 2782) is left out, so such a domain gives an empty list.',
    '`nameserver` is an autojoin addition: it takes an IP address, not a host name. Without it the name servers ' +
      'of /etc/resolv.conf are used. Each server gets 5 s per try and 2 tries, within the call timeout.',
  ],
  examples: [
    'provider=srv service=consul domain=service.example.com',
    'provider=srv service=nomad proto=tcp domain=example.com nameserver=10.0.0.2',
    'provider=srv service=nomad domain=example.test nameserver=[::1]:5353',
  ],
  validate(args) {
    if (args.nameserver !== undefined && parseNameserver(args.nameserver) === undefined) {
      return [
        {
          key: 'nameserver',
          message: `nameserver "${args.nameserver}" is not an IP address with an optional port (e.g. 10.0.0.2, 10.0.0.2:5353, [::1]:53)`,
        },
      ];
    }
    return [];
  },
  async discover(args, ctx) {
    const name = srvQueryName(args.service, args.proto, args.domain);
    const resolver = new Resolver({ timeout: TRY_TIMEOUT_MS, tries: TRIES });
    if (args.nameserver !== undefined) resolver.setServers([parseNameserver(args.nameserver) ?? args.nameserver]);
    if (ctx.http.loopbackOnly) {
      const outside = resolver.getServers().find((server) => !isLoopbackServer(server));
      if (outside !== undefined) throw new LoopbackOnlyError(outside);
    }
    ctx.log.info(`discover-srv: Using service=${args.service} proto=${args.proto} domain=${args.domain}`);

    const records = await lookup(resolver, name, ctx.signal);
    const targets = srvTargets(orderSrvRecords(records));
    for (const target of targets) ctx.log.debug(`discover-srv: ${target.address}:${target.port}`);
    return targets;
  },
});

/** `resolveSrv` bound to the caller's signal: an abort cancels the query in c-ares. */
async function lookup(resolver: Resolver, name: string, signal: AbortSignal): Promise<SrvRecord[]> {
  if (signal.aborted) throw abortError(signal);
  const onAbort = () => resolver.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await resolver.resolveSrv(name);
  } catch (err) {
    if (signal.aborted) throw abortError(signal);
    const code = (err as { code?: string }).code;
    throw new ProviderError('srv', `${describeDnsError(code)}: ${name}`, { operation: OPERATION, cloudCode: code, cause: err });
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The engine aborts with its own TimeoutError or AbortError; keep it when it is one of ours. */
function abortError(signal: AbortSignal): AutojoinError {
  const reason: unknown = signal.reason;
  return reason instanceof AutojoinError ? reason : new AbortError(`discover-srv: ${OPERATION}`, { cause: reason });
}
