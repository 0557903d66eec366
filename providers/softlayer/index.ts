/**
 * `provider=softlayer`: IBM Cloud classic (SoftLayer) virtual guests by datacenter and tag,
 * through `SoftLayer_Account/getVirtualGuests` over REST, every page.
 */
import { defineProvider } from '../../src/kit/index.js';
import { SL_ADDR_TYPES } from './extract.js';

/** The REST endpoint softlayer-go uses today (go-discover's 2018 pin used `/rest/v3`; both serve this call). */
export const DEFAULT_ENDPOINT = 'https://api.softlayer.com/rest/v3.1';

export default defineProvider({
  name: 'softlayer',
  summary: 'IBM Cloud classic (SoftLayer) virtual guests by datacenter and tag (backend or public IPv4).',
  args: {
    datacenter: { type: 'string', help: 'The SoftLayer datacenter to filter on (its short name, e.g. `dal09`); every datacenter when absent.' },
    tag_value: { type: 'string', help: 'The tag value to filter on (a guest tag name); every guest when absent.' },
    username: {
      type: 'string',
      required: true,
      env: ['SL_USERNAME', 'SOFTLAYER_USERNAME'],
      help: 'The SoftLayer username to use (the user the API key belongs to).',
    },
    api_key: {
      type: 'string',
      required: true,
      secret: true,
      env: ['SL_API_KEY', 'SOFTLAYER_API_KEY'],
      help: 'The SoftLayer api key to use (HTTP Basic password).',
    },
    addr_type: {
      type: 'enum',
      values: SL_ADDR_TYPES,
      default: 'private_v4',
      help: "`private_v4`: `primaryBackendIpAddress` (go-discover's only choice); `public_v4`: `primaryIpAddress`.",
    },
    url: {
      type: 'url',
      default: DEFAULT_ENDPOINT,
      env: ['SL_ENDPOINT_URL', 'SOFTLAYER_ENDPOINT_URL'],
      help: "The REST endpoint (softlayer-go's `SL_ENDPOINT_URL`), e.g. the private `https://api.service.softlayer.com/rest/v3.1` or `discover sim`.",
    },
  },
  notes: [
    'Plain REST through the shared HTTP client: there is no official, maintained SoftLayer client for JavaScript ' +
      '(softlayer-go, softlayer-python and softlayer-java only), and one paged GET needs no more.',
    "The call is `GET {url}/SoftLayer_Account/getVirtualGuests.json` with go-discover's object mask (plus `primaryIpAddress`) " +
      'and object filter (`virtualGuests.datacenter.name`, `virtualGuests.tagReferences.tag.name`, each only when given), ' +
      'ordered by `id`, read with `resultLimit=<offset>,100` until `SoftLayer-Total-Items` guests are in (after page 1, which carries the total, up to 4 pages at a time).',
    'A guest without the address `addr_type` asks for is skipped and counted in the `-v` log (go-discover crashed on a guest without a backend address).',
    'A refused username or API key (401 `Access Denied`) is an authentication error naming the username, never the key, and is not retried. ' +
      '`SoftLayer_Exception_WebService_RateLimitExceeded` is throttling, waited out within the timeout.',
    'Credentials come from the arguments, else `SL_USERNAME`/`SOFTLAYER_USERNAME` and `SL_API_KEY`/`SOFTLAYER_API_KEY`. The `~/.softlayer` file and `SL_TIMEOUT` are not read (the call has its own `timeout`).',
  ],
  examples: [
    'provider=softlayer datacenter=dal09 tag_value=consul username=SL123456 api_key=xxx',
    'provider=softlayer tag_value=nomad-server addr_type=public_v4',
  ],
  async discover(args, ctx) {
    const { listGuests } = await import('./client.js');
    const { guestTargets } = await import('./extract.js');
    const pages = await listGuests(
      ctx,
      { endpoint: args.url, username: args.username, apiKey: args.api_key, datacenter: args.datacenter, tag: args.tag_value },
      (guests) => guestTargets(guests, args.addr_type),
    );
    const targets = pages.flatMap((page) => page.targets);
    const skipped = pages.flatMap((page) => page.skipped);
    for (const skip of skipped) ctx.log.debug(`discover-softlayer: skipped guest ${skip.guest}: ${skip.reason}`);
    ctx.log.debug(`discover-softlayer: ${targets.length} guest(s)${skipped.length ? `, ${skipped.length} skipped` : ''}`);
    return targets;
  },
});
