// The inventory service as `discover sim` serves it: GET /v1/hosts?group=G&page=N&per_page=P with a
// bearer token, from the fleet's instances with `cloud: inventory`. Built with the simulator kit only.
import { fleetCredentials, simJson, simPage, simRoutes, tokenAccepted, visibleInstances } from 'autojoin/provider';

const ERRORS = {
  throttle: [429, 'rate limited'],
  server: [500, 'internal error'],
  unavailable: [503, 'unavailable'],
  auth: [401, 'invalid token'],
};

const hostsApi = simRoutes(
  {
    name: 'inventory',
    summary: 'Inventory REST API (GET /v1/hosts), from instances with `cloud: inventory`',
    errorResponse: (kind) => simJson(ERRORS[kind][0], { error: ERRORS[kind][1] }),
  },
  [
    {
      method: 'GET',
      path: /^\/v1\/hosts$/,
      handle(req, ctx) {
        if (!tokenAccepted(req, fleetCredentials(ctx, 'inventory')?.token)) return simJson(401, { error: 'invalid token' });
        const group = req.url.searchParams.get('group');
        const page = Number(req.url.searchParams.get('page') ?? '1');
        const perPage = Math.min(Number(req.url.searchParams.get('per_page') ?? '20'), ctx.fleet.page_size?.inventory ?? 100);
        const hosts = visibleInstances(ctx, 'inventory').filter((i) => group === null || i.group === group);
        const { items, more } = simPage(hosts, page, perPage);
        return simJson(200, {
          hosts: items.map((i) => ({ id: i.id, name: i.name ?? i.id, group: i.group, private_ipv4: i.private_ipv4, public_ipv4: i.public_ipv4 })),
          next_page: more ? page + 1 : null,
        });
      },
    },
  ],
);

export default {
  provider: 'inventory',
  apis: [hostsApi],
  fleet: {
    summary: 'Hosts of an inventory service (`name`, `private_ipv4`, `public_ipv4`).',
    instanceFields: { group: { help: 'The host group.', check: (value, where, check) => check.string(value, where) } },
    credentials: { token: { help: 'The API token requests must carry.', required: true } },
    demo: {
      credentials: { inventory: { token: 'simulator-inventory-token-not-real' } },
      instances: [
        { id: 'inv-1', cloud: 'inventory', name: 'nomad-inv-1', group: 'nomad-servers', private_ipv4: '10.9.0.11' },
        { id: 'inv-2', cloud: 'inventory', name: 'nomad-inv-2', group: 'nomad-servers', private_ipv4: '10.9.0.12' },
      ],
    },
  },
  connect: { config: '`url=http://127.0.0.1:PORT`, `token`', env: '', why: 'the inventory API is plain HTTP' },
  paste(ctx) {
    const host = visibleInstances(ctx, 'inventory').find((i) => i.group);
    const token = fleetCredentials(ctx, 'inventory')?.token;
    if (!host || !token) return undefined;
    return { provider: 'inventory', config: `provider=inventory url=${ctx.httpUrl} group=${host.group} token=${token}`, env: {} };
  },
};
