/**
 * `provider=digitalocean`: droplets by tag, through DigitalOcean's REST API
 * (`GET /v2/droplets?tag_name=`), every page, as go-discover's godo client reads it.
 */
import { defineProvider } from '../../src/kit/index.js';
import { DO_ADDR_TYPES, dropletTargets } from './extract.js';

/** DigitalOcean's API, as godo and doctl call it. */
export const DEFAULT_API_URL = 'https://api.digitalocean.com';

export default defineProvider({
  name: 'digitalocean',
  summary: 'DigitalOcean droplets by tag (private IPv4, or public IPv4/IPv6).',
  args: {
    tag_name: { type: 'string', required: true, help: 'The tag name to filter on (`GET /v2/droplets?tag_name=`).' },
    region: { type: 'string', help: 'The DigitalOcean region to filter on (a slug such as `nyc3`); every region when absent.' },
    api_token: {
      type: 'string',
      required: true,
      secret: true,
      env: ['DIGITALOCEAN_TOKEN', 'DIGITALOCEAN_ACCESS_TOKEN'],
      help: 'The DigitalOcean API token to use (read scope on droplets is enough).',
    },
    addr_type: {
      type: 'enum',
      values: DO_ADDR_TYPES,
      default: 'private_v4',
      help: "The address to return: `private_v4` (go-discover's only choice), `public_v4` or `public_v6`.",
    },
    url: {
      type: 'url',
      default: DEFAULT_API_URL,
      env: ['DIGITALOCEAN_API_URL'],
      help: "The API base URL (doctl's `--api-url`); for an API-compatible endpoint such as `discover sim`.",
    },
  },
  notes: [
    'Plain REST through the shared HTTP client, not an SDK: the official `@digitalocean/dots` client cannot ' +
      "deserialize a droplet's `features` array (sdk-notes.md §9), and one paged GET needs no more.",
    "Every page is read with `per_page=200` (the API maximum): page 1's `links.pages.last` says how many, and the rest are read up to 4 at a time " +
      '(a list that grew meanwhile is followed by `links.pages.next`). A droplet without an ' +
      'address of `addr_type` (or whose `networks` are not defined yet) is skipped and counted in the `-v` log.',
    'The token comes from `api_token`, else `DIGITALOCEAN_TOKEN` (godo and the Terraform provider) or ' +
      '`DIGITALOCEAN_ACCESS_TOKEN` (doctl). Throttling (429, `retry-after` or `ratelimit-reset`) is waited out within the timeout.',
  ],
  examples: ['provider=digitalocean region=nyc3 tag_name=consul-server api_token=dop_v1_xxx', 'provider=digitalocean tag_name=nomad addr_type=public_v6'],
  async discover(args, ctx) {
    const { listDroplets } = await import('./client.js');
    // Each page is reduced to its targets as it arrives: only those outlive the page.
    const pages = await listDroplets(ctx, { baseUrl: args.url, token: args.api_token, tagName: args.tag_name }, (droplets) =>
      dropletTargets(droplets, args.addr_type, args.region ?? ''),
    );
    const targets = pages.flatMap((page) => page.targets);
    const skipped = pages.flatMap((page) => page.skipped);
    for (const skip of skipped) ctx.log.debug(`discover-digitalocean: skipped droplet ${skip.droplet}: ${skip.reason}`);
    ctx.log.debug(
      `discover-digitalocean: ${targets.length} droplet(s) with tag ${args.tag_name}${args.region ? ` in ${args.region}` : ''}` +
        (skipped.length ? `, ${skipped.length} skipped` : ''),
    );
    return targets;
  },
});
