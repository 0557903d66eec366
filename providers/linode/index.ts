/**
 * `provider=linode`: Linode (Akamai) instances by region and tag, through API v4
 * (`GET /v4/linode/instances` with `X-Filter`, every page), as go-discover's linodego client reads it.
 */
import { defineProvider } from '../../src/kit/index.js';
import { addressFromIps, addressFromList, instanceFilter, LINODE_ADDRESS_TYPES, type LinodeInstance, linodeTarget, needsIpsCall } from './extract.js';

/** linodego's default host; `LINODE_URL` replaces it. */
export const DEFAULT_API_URL = 'https://api.linode.com';

export default defineProvider({
  name: 'linode',
  summary: 'Linode (Akamai) instances by region and tag (private/public IPv4, VPC IPv4, public/link-local IPv6).',
  args: {
    api_token: {
      type: 'string',
      required: true,
      secret: true,
      env: ['LINODE_TOKEN', 'LINODE_CLI_TOKEN'],
      help: 'The Linode API token to use (read-only on Linodes is enough).',
    },
    region: { type: 'string', help: 'The Linode region to filter on (`us-east`); every region when absent.' },
    tag_name: { type: 'string', help: 'The tag name to filter on; every instance when absent.' },
    address_type: {
      type: 'enum',
      values: LINODE_ADDRESS_TYPES,
      default: 'private_v4',
      help: '`private_v4`, `public_v4`, `private_v6` (link-local), `public_v6` (SLAAC) or `vpc_v4`.',
    },
    url: {
      type: 'url',
      default: DEFAULT_API_URL,
      env: ['LINODE_URL'],
      help: "The API host (linodego's `LINODE_URL`); for an API-compatible endpoint such as `discover sim`.",
    },
    api_version: {
      type: 'string',
      default: 'v4',
      env: ['LINODE_API_VERSION'],
      help: "The API version path (linodego's `LINODE_API_VERSION`): `v4` or `v4beta`.",
    },
  },
  notes: [
    'Plain REST through the shared HTTP client, not an SDK: `@linode/api-v4` brings axios, a second HTTP stack that would ' +
      'bypass the shared proxy choice, timeouts and loopback guard, for two GET calls.',
    'The list is filtered by the server (`X-Filter: {"region":…,"tags":…}`, as go-discover sends it) and read to the last page ' +
      'with `page_size=500` (after page 1, which says how many `pages` there are, up to 4 pages at a time). `private_v4`, `public_v4` and `public_v6` come from the list body; only `vpc_v4` and ' +
      '`private_v6` need `GET /linode/instances/{id}/ips`, one per instance (8 at a time). An instance without an ' +
      'address of the type is skipped and counted in the `-v` log.',
    'The token comes from `api_token`, else `LINODE_TOKEN` (go-discover, linodego) or `LINODE_CLI_TOKEN` (linode-cli). ' +
      'A 429 waits for `Retry-After` (or `X-RateLimit-Reset`), a busy Linode (400 `Linode busy.`) and 5xx are retried, ' +
      'maintenance mode (503 with `X-Maintenance-Mode`) is not. For a private CA use `NODE_EXTRA_CA_CERTS` (linodego reads `LINODE_CA`).',
  ],
  examples: ['provider=linode region=us-east tag_name=consul-server api_token=xxx', 'provider=linode tag_name=nomad address_type=vpc_v4'],
  async discover(args, ctx) {
    const { instanceIps, listInstances } = await import('./client.js');
    const api = { base: `${args.url.replace(/\/+$/, '')}/${args.api_version.replace(/^\/+|\/+$/g, '')}`, token: args.api_token };
    const instances = await listInstances(ctx, api, instanceFilter(args.region, args.tag_name));
    const type = args.address_type;
    const addresses: Array<string | undefined> = needsIpsCall(type)
      ? (await instanceIps(ctx, api, instances)).map((ips) => addressFromIps(ips, type))
      : instances.map((instance) => addressFromList(instance, type));
    const targets = [];
    let skipped = 0;
    for (const [i, instance] of instances.entries()) {
      const address = addresses[i];
      if (address === undefined) {
        skipped++;
        ctx.log.debug(`discover-linode: skipped instance ${describe(instance)}: no ${type} address`);
        continue;
      }
      targets.push(linodeTarget(instance, address));
    }
    ctx.log.debug(`discover-linode: ${targets.length} instance(s)${skipped ? `, ${skipped} skipped` : ''}`);
    return targets;
  },
});

function describe(instance: LinodeInstance): string {
  return instance.label ? `${instance.label} (${instance.id})` : String(instance.id);
}
