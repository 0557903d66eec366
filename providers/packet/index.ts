/**
 * `provider=packet`: devices of an Equinix Metal (formerly Packet) project, as go-discover found
 * them. Equinix Metal was shut down on 30 June 2026: with its own API URL the provider fails at
 * once, without any network call; with `url=` at an API-compatible endpoint it works as before.
 */
import { defineProvider, ProviderError } from '../../src/kit/index.js';
import { extractTargets, PACKET_ADDR_TYPES } from './extract.js';

/** go-discover's (packngo's) base URL. */
export const DEFAULT_URL = 'https://api.packet.net/';
/** Hosts of the retired service: Packet's API and Equinix Metal's (`/metal/v1`). */
const RETIRED_HOSTS = new Set(['api.packet.net', 'api.equinix.com']);
const SHUTDOWN = '30 June 2026';

/** Discovery against Equinix Metal's own API, which no longer exists: the reason and what to do. */
export class ServiceRetiredError extends ProviderError {
  constructor(url: string) {
    super(
      'packet',
      `Equinix Metal (formerly Packet) was shut down on ${SHUTDOWN}, so ${url} no longer answers. ` +
        'Point this retry_join entry at where the machines run now (another provider=, or their addresses), ' +
        'or set url= to an API-compatible endpoint that still serves the project.',
      { operation: 'ListDevices', cloudCode: 'ServiceRetired' },
    );
  }
}

/** Whether a base URL is the retired service's own API. */
export function isRetiredEndpoint(base: string): boolean {
  try {
    return RETIRED_HOSTS.has(new URL(base).hostname.toLowerCase());
  } catch {
    return false;
  }
}

export default defineProvider({
  name: 'packet',
  summary: `Equinix Metal (Packet) devices of a project; the service was shut down on ${SHUTDOWN}, so it needs url= at an API-compatible endpoint.`,
  args: {
    project: {
      type: 'string',
      required: true,
      env: ['PACKET_PROJECT', 'METAL_PROJECT_ID'],
      help: 'UUID of the project. Default: PACKET_PROJECT (go-discover), then METAL_PROJECT_ID (metal-cli).',
    },
    auth_token: {
      type: 'string',
      secret: true,
      required: true,
      env: ['PACKET_AUTH_TOKEN', 'METAL_AUTH_TOKEN'],
      help: 'API token, sent as `X-Auth-Token`. Default: PACKET_AUTH_TOKEN (go-discover), then METAL_AUTH_TOKEN (metal-cli).',
    },
    url: {
      type: 'url',
      default: DEFAULT_URL,
      env: ['PACKET_URL'],
      help: `The REST API base URL. Default: PACKET_URL, then ${DEFAULT_URL} (retired with the service: discovery there fails at once with an error saying so).`,
    },
    addr_type: {
      type: 'enum',
      values: PACKET_ADDR_TYPES,
      default: 'private_v4',
      aliases: ['address_type'],
      help: 'private_v4 (non-public IPv4), public_v4 or public_v6: every address of that kind of each device. A device without one is skipped (and counted in the log).',
    },
    facility: { type: 'list', help: 'Only devices in these facilities, comma-separated (e.g. `ewr1,ams1`).' },
    tag: { type: 'list', help: 'Only devices with any of these tags, comma-separated (e.g. `tag1,tag2`).' },
  },
  notes: [
    `Equinix Metal, Packet's successor, was shut down on ${SHUTDOWN}. The arguments are kept so existing configs still parse and validate (\`discover check\`), but with the default URL (or any URL on api.packet.net or api.equinix.com) discovery fails at once with a ServiceRetiredError (ERR_PROVIDER) that says so, before any network call: no DNS lookup, no hang.`,
    'With url= at an API-compatible endpoint (the simulator, a self-hosted one): `GET {url}projects/{project}/devices?include=facility&page=1&per_page=1000` with `X-Auth-Token`, then pages 2 to `meta.last_page`, up to 4 at a time, or, without `last_page` (and past it, when the list grew), following `meta.next.href` (resolved against url=, as packngo did) to the last page. Facility and tag filters are applied to the answer; devices in any state are returned, as go-discover did.',
    'SDK or REST: plain REST through the shared HTTP client. The vendor clients (packngo, metal-go, the metal-python and metal-java SDKs) were archived with the service and there is no maintained JavaScript one.',
    '429 (with `Retry-After`, else 1 s), 5xx and connection failures are retried within the call timeout; 401/403/404 fail at once. No partial list is ever returned.',
  ],
  examples: [
    'provider=packet project=3b5ad8a4-1f6e-4d7a-9c1b-2f0e6a7d8c90 auth_token=... url=https://metal.example.internal/metal/v1/ facility=ewr1,ams1 tag=nomad-server',
    'provider=packet project=3b5ad8a4-1f6e-4d7a-9c1b-2f0e6a7d8c90 url=https://metal.example.internal/metal/v1/ address_type=public_v4',
  ],
  async discover(args, ctx) {
    if (isRetiredEndpoint(args.url)) throw new ServiceRetiredError(args.url);
    const { listDevices } = await import('./client.js');
    const pages = await listDevices(args.url, args.project, args.auth_token, ctx, (devices) => ({
      count: devices.length,
      ...extractTargets(devices, { addrType: args.addr_type, facilities: args.facility, tags: args.tag }),
    }));
    const targets = pages.flatMap((page) => page.targets);
    const skipped = pages.flatMap((page) => page.skipped);
    const devices = pages.reduce((sum, page) => sum + page.count, 0);
    if (skipped.length > 0) {
      const shown = skipped.slice(0, 5).join(', ');
      ctx.log.debug(`discover-packet: ${skipped.length} device(s) without a ${args.addr_type} address skipped: ${shown}${skipped.length > 5 ? ', …' : ''}`);
    }
    ctx.log.debug(`discover-packet: ${targets.length} address(es) from ${devices} device(s)`);
    return targets;
  },
});
