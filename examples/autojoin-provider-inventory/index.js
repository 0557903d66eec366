// `provider=inventory url=https://inventory.example group=nomad-servers token=...`: the hosts of a
// group from an inventory service's REST API (GET /v1/hosts?group=G&page=N), every page.
// Only the public provider kit is used: what a built-in provider can do, a plugin can do.
import { classifyHttpError, defineProvider, MalformedResponseError, ProviderError, retryCall } from 'autojoin/provider';
import inventorySim from './sim.js';

/** The plugin's simulated API, served by `discover --plugin autojoin-provider-inventory sim`. */
export const simModules = [inventorySim];

const PER_PAGE = 100;

export default defineProvider({
  name: 'inventory',
  summary: 'Hosts of a group in an inventory service (example plugin with a simulated API).',
  args: {
    url: { type: 'url', required: true, env: ['INVENTORY_URL'], help: 'The inventory service, e.g. `https://inventory.example`.' },
    token: { type: 'string', required: true, secret: true, env: ['INVENTORY_TOKEN'], help: 'API token, sent as a bearer token.' },
    group: { type: 'string', required: true, help: 'The host group to list.' },
    addr_type: { type: 'enum', values: ['private_v4', 'public_v4'], default: 'private_v4', help: 'Which address of each host.' },
    port: { type: 'int', min: 1, max: 65535, help: 'Port appended to every address.' },
  },
  examples: ['provider=inventory url=https://inventory.example group=nomad-servers token=TOKEN'],
  async discover(args, ctx) {
    const targets = [];
    for (let page = 1; ; page++) {
      const url = new URL('/v1/hosts', args.url);
      url.search = new URLSearchParams({ group: args.group, page: String(page), per_page: String(PER_PAGE) }).toString();
      const response = await retryCall(
        () => ctx.http.request(url, { headers: { authorization: `Bearer ${args.token}`, accept: 'application/json' }, signal: ctx.signal }),
        { classify: classifyHttpError, maxAttempts: ctx.maxAttempts, signal: ctx.signal, deadline: ctx.deadline },
      ).catch((error) => {
        if (error?.status === 401) throw new ProviderError('inventory', 'the token was refused (HTTP 401)', { operation: 'ListHosts', status: 401, cause: error });
        throw error;
      });
      const body = response.json();
      if (!body || !Array.isArray(body.hosts)) throw new MalformedResponseError('discover-inventory: ListHosts: no "hosts" list in the answer', url.origin);
      for (const host of body.hosts) {
        const address = args.addr_type === 'public_v4' ? host.public_ipv4 : host.private_ipv4;
        if (address) targets.push({ address, port: args.port, id: host.id, name: host.name });
        else ctx.log.debug(`discover-inventory: host ${host.id} has no ${args.addr_type} address, skipped`);
      }
      if (!body.next_page) break;
    }
    ctx.log.debug(`discover-inventory: ${targets.length} hosts in group ${args.group}`);
    return targets;
  },
});
