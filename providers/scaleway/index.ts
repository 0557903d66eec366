/**
 * `provider=scaleway`: Scaleway Instances by tag, go-discover's arguments on today's Instance API
 * v1 (go-discover used the retired `cp-par1`/`cp-ams1` compute API). Plain REST through the
 * shared HTTP client; the calls live in `./client.js`, loaded when discovery runs.
 */
import { defineProvider } from '../../src/kit/index.js';
import { extractTargets, LEGACY_REGIONS, type ScalewayServer, needsIpam, nicAddresses, regionOf, SCALEWAY_ADDR_TYPES, ZONES, zonesFor } from './extract.js';

export const DEFAULT_API_URL = 'https://api.scaleway.com';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default defineProvider({
  name: 'scaleway',
  summary: "Scaleway Instances by tag (Instance API v1; go-discover's legacy regions mapped to zones).",
  args: {
    organization: {
      type: 'string',
      env: ['SCW_DEFAULT_ORGANIZATION_ID'],
      help: 'The Scaleway organization ID (what the legacy console called the access key): only its servers (`?organization=`). Default: SCW_DEFAULT_ORGANIZATION_ID; without it, every server the token may list.',
    },
    token: {
      type: 'string',
      secret: true,
      required: true,
      env: ['SCW_SECRET_KEY'],
      help: 'The Scaleway API secret key, sent as `X-Auth-Token`. Default: SCW_SECRET_KEY, as the Scaleway CLI reads it.',
    },
    tag_name: { type: 'string', required: true, help: 'The tag name to filter on: only servers carrying this exact tag.' },
    region: {
      type: 'list',
      env: ['SCW_DEFAULT_ZONE'],
      default: ['par1'],
      aliases: ['zone'],
      help: `Where to look, comma-separated: go-discover's legacy regions (${Object.entries(LEGACY_REGIONS)
        .map(([k, v]) => `\`${k}\` = \`${v}\``)
        .join(
          ', ',
        )}), Instance API zones (${ZONES.map((z) => `\`${z}\``).join(', ')}), or regions (\`fr-par\`, \`nl-ams\`, \`pl-waw\`: each of their zones). Default: SCW_DEFAULT_ZONE, then \`par1\` (\`fr-par-1\`), as go-discover.`,
    },
    addr_type: {
      type: 'enum',
      values: SCALEWAY_ADDR_TYPES,
      default: 'private_v4',
      help: "private_v4 (the server's `private_ip`, as go-discover; for a routed-IP server, which has none, its Private Network address from IPAM), private_v6 (its Private Network IPv6 from IPAM), public_v4 or public_v6 (from `public_ips`, else the older `public_ip` / `ipv6`). A server without that kind of address is skipped (and counted in the log).",
    },
    api_url: {
      type: 'url',
      default: DEFAULT_API_URL,
      env: ['SCW_API_URL'],
      help: 'The Scaleway API base URL (a simulator, a proxy). Default: SCW_API_URL, then https://api.scaleway.com.',
    },
  },
  notes: [
    'Calls `GET /instance/v1/zones/{zone}/servers?tags=<tag_name>&page=N&per_page=100` with `X-Auth-Token` for each zone, 100 servers a page (the API maximum), until `X-Total-Count` servers are read (after page 1 of each zone, which carries the count, up to 4 pages at a time; IPAM listings the same way with `total_count`). Servers in any state are returned, as go-discover did.',
    "SDK or REST: plain REST through the shared HTTP client. Scaleway's official, maintained JS SDK (`@scaleway/sdk`) sends through the global `fetch` (undici), not through Node agents, so it would bypass the one HTTP stack (HTTP(S)_PROXY / NO_PROXY choice, the loopback guard), and it loads dozens of API packages; one paged GET needs none of that.",
    "Routed-IP instances (the default for new Instances) have `private_ip: null`: their Private Network addresses live in Scaleway IPAM, attached to the server's `private_nics[].id`. When a tagged server needs one (addr_type=private_v4 without `private_ip`, or private_v6), one more listing is read per region of those servers, every page: `GET /ipam/v1/regions/{region}/ips?resource_type=instance_private_nic&is_ipv6=false|true&page=N&page_size=100` (with `organization_id=` when `organization` is given), joined to the servers by NIC ID, the prefix length dropped. A server on several Private Networks gives the address of its first NIC (in `private_nics` order) that has one. Servers with a legacy `private_ip` and public address types need no IPAM call.",
    'Throttling: 429 with `Retry-After` is retried after that wait (1 s without it); 5xx and connection failures are retried; 401 `denied_authentication`, 403 and 400 fail at once. No partial list is ever returned.',
    'go-discover read `SCW_COMPUTE_API` to move the retired compute API; it is not read here (`api_url` / `SCW_API_URL` move the Instance API).',
  ],
  examples: [
    'provider=scaleway organization=105bdce1-64c0-48ab-899d-868455867ecf token=... tag_name=consul-server region=par1',
    'provider=scaleway tag_name=nomad-server region=fr-par-1,nl-ams-1 addr_type=public_v4',
    'provider=scaleway tag_name=nomad-server region=fr-par addr_type=public_v6',
    'provider=scaleway tag_name=nomad-server region=fr-par addr_type=private_v6',
  ],
  validate(args) {
    const problems = [];
    for (const value of args.region) {
      if (zonesFor(value) === undefined) {
        problems.push({
          key: 'region',
          message: `region "${value}" is not a Scaleway zone or region (legacy: ${Object.keys(LEGACY_REGIONS).join(', ')}; zones: ${ZONES.join(', ')}; regions: fr-par, nl-ams, pl-waw)`,
        });
      }
    }
    if (args.organization !== undefined && !UUID.test(args.organization)) {
      problems.push({
        key: 'organization',
        message: `organization "${args.organization}" is not an organization ID (a UUID such as 105bdce1-64c0-48ab-899d-868455867ecf)${/^SCW[A-Z0-9]{17}$/.test(args.organization) ? ': that is an IAM access key, which is not needed here' : ''}`,
      });
    }
    return problems;
  },
  async discover(args, ctx) {
    const zones = [...new Set(args.region.flatMap((value) => zonesFor(value) ?? []))];
    const { listPrivateNicIps, listServers } = await import('./client.js');
    const options = { apiUrl: args.api_url, token: args.token, tagName: args.tag_name, organization: args.organization };
    // Each page is reduced as it arrives: a tagged server's targets, or the server itself when its
    // address is in IPAM (read once the list is complete), in the list's order.
    const tagged = (server: ScalewayServer) => (server.tags ?? []).includes(args.tag_name);
    const pages = await listServers(options, zones, ctx, (page) => ({
      count: page.length,
      entries: page.filter(tagged).map((server) => (needsIpam(server, args.addr_type) ? { server } : extractTargets([server], args.tag_name, args.addr_type))),
    }));
    const entries = pages.flatMap((page) => page.entries);
    const servers = pages.reduce((sum, page) => sum + page.count, 0);
    // IPAM only for the regions of tagged servers whose address lives there, once per region.
    const ipamRegions = [...new Set(entries.flatMap((entry) => ('server' in entry ? [regionOf(entry.server.zone ?? zones[0] ?? '')] : [])))];
    const byNic =
      ipamRegions.length > 0 ? nicAddresses(await listPrivateNicIps(options, ipamRegions, args.addr_type === 'private_v6', ctx)) : new Map<string, string>();
    const found = entries.map((entry) => ('server' in entry ? extractTargets([entry.server], args.tag_name, args.addr_type, byNic) : entry));
    const targets = found.flatMap((entry) => entry.targets);
    const skipped = found.flatMap((entry) => entry.skipped);
    if (skipped.length > 0) {
      const shown = skipped.slice(0, 5).join(', ');
      ctx.log.debug(`discover-scaleway: ${skipped.length} server(s) without a ${args.addr_type} address skipped: ${shown}${skipped.length > 5 ? ', …' : ''}`);
    }
    ctx.log.debug(`discover-scaleway: ${targets.length} address(es) from ${servers} server(s) in ${zones.join(', ')}`);
    return targets;
  },
});
