/**
 * `provider=hetzner`: Hetzner Cloud servers by label selector (not in go-discover; asked for by
 * operators). Plain REST through the shared HTTP client; the calls live in `./client.js`,
 * loaded when discovery runs.
 */
import { defineProvider } from '../../src/kit/index.js';
import { extractTargets, HETZNER_ADDR_TYPES } from './extract.js';

export const DEFAULT_ENDPOINT = 'https://api.hetzner.cloud/v1';

export default defineProvider({
  name: 'hetzner',
  summary: 'Hetzner Cloud servers by label selector (private network, public IPv4 or IPv6).',
  args: {
    label_selector: {
      type: 'string',
      help: "Hetzner label selector the servers must match, e.g. `role=nomad-server,env!=dev` (`k=v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`; commas AND). Quote it when it holds spaces. Without it, every running server of the token's project.",
    },
    location: {
      type: 'list',
      help: 'Only servers in these locations, comma-separated (`fsn1`, `nbg1`, `hel1`, `ash`, `hil`, `sin`).',
    },
    network: {
      type: 'int',
      min: 1,
      help: 'With addr_type=private_v4: the id of the private network whose address to take; without it, the first network the server is attached to.',
    },
    addr_type: {
      type: 'enum',
      values: HETZNER_ADDR_TYPES,
      default: 'private_v4',
      help: "private_v4 (the private-network address), public_v4 (the primary public IPv4) or public_v6 (`::1` of the server's /64). A server without that kind of address is skipped (and counted in the log). private_v6 is refused: Hetzner private networks are IPv4 only.",
    },
    api_token: {
      type: 'string',
      secret: true,
      required: true,
      env: ['HCLOUD_TOKEN'],
      help: 'Hetzner Cloud API token (read-only is enough); it selects the project. Default: HCLOUD_TOKEN, as the hcloud CLI reads it.',
    },
    endpoint: {
      type: 'url',
      default: DEFAULT_ENDPOINT,
      env: ['HCLOUD_ENDPOINT'],
      help: 'The API base URL (a simulator, a proxy). Default: HCLOUD_ENDPOINT, then https://api.hetzner.cloud/v1.',
    },
  },
  notes: [
    'Calls `GET /v1/servers?label_selector=…&status=running` with `Authorization: Bearer`, 50 servers a page (the API maximum): page 1 says how many pages there are (`meta.pagination.last_page`), and the rest are read up to 4 at a time (a list that grew meanwhile is followed by `next_page` to its end). Only running servers are returned. The location filter is applied to the answer (the API has none).',
    'SDK or REST: plain REST through the shared HTTP client. Hetzner publishes official clients for Go (hcloud-go) and Python only; the npm packages (hcloud-js and others) are community-maintained, and none of them sends through the one HTTP stack (proxies, NO_PROXY, timeouts, the loopback guard). One paged GET needs no SDK.',
    'Throttling: the API answers 429 `rate_limit_exceeded` (and counts in `RateLimit-Limit/Remaining/Reset` headers); it is retried after `Retry-After` when sent, else after 1 s (the bucket refills one request a second), within the call timeout. 5xx and connection failures are retried; 401 `unauthorized` and 400 `invalid_input` (a bad label selector) fail at once. No partial list is ever returned.',
    "Hetzner is not a go-discover provider: the arguments follow the other providers here (`addr_type`, `api_token`) and Hetzner's own names (`label_selector`, `location`, `network`).",
  ],
  examples: [
    'provider=hetzner label_selector="role=nomad-server"',
    'provider=hetzner label_selector="role=consul-server,env=prod" location=fsn1,nbg1 network=4711',
    'provider=hetzner label_selector="role=nomad-server" addr_type=public_v6',
  ],
  validate(args) {
    if (args.network !== undefined && args.addr_type !== 'private_v4') {
      return [{ key: 'network', message: `network=${args.network} needs addr_type=private_v4 (addr_type is ${args.addr_type})` }];
    }
    return [];
  },
  async discover(args, ctx) {
    const { listServers } = await import('./client.js');
    const pages = await listServers(args.endpoint, args.api_token, args.label_selector, ctx, (servers) => ({
      count: servers.length,
      ...extractTargets(servers, { addrType: args.addr_type, network: args.network, locations: args.location }),
    }));
    const targets = pages.flatMap((page) => page.targets);
    const skipped = pages.flatMap((page) => page.skipped);
    const servers = pages.reduce((sum, page) => sum + page.count, 0);
    if (skipped.length > 0) {
      const shown = skipped.slice(0, 5).join(', ');
      ctx.log.debug(`discover-hetzner: ${skipped.length} server(s) without a ${args.addr_type} address skipped: ${shown}${skipped.length > 5 ? ', …' : ''}`);
    }
    ctx.log.debug(`discover-hetzner: ${targets.length} address(es) from ${servers} server(s)`);
    return targets;
  },
});
