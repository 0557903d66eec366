/**
 * What the DigitalOcean simulator adds to the fleet file: the API token, and the demo droplets.
 * A droplet's tags are the instance's `tags` map, each written `key` (empty value) or `key:value`,
 * the form DigitalOcean users give namespaced tags (`env:prod`).
 */
import { benchAddress, type FleetModuleSpec } from '../../src/kit/index.js';

export const digitaloceanFleet: FleetModuleSpec = {
  summary:
    'Droplets: `region` is the region slug (`nyc3`), `state` `running` is `active` (`stopped` is `off`), `tags` become droplet tags (`key` or `key:value`), `private_ipv4`, `public_ipv4`, `public_ipv6`; a numeric `id` is the droplet id.',
  credentials: {
    token: { help: 'The API token requests must carry (`Authorization: Bearer`); others get 401 `unauthorized`.', required: true },
  },
  demo: {
    credentials: { digitalocean: { token: 'dop_v1_simulator0000000000000000000000000000000000000000000000000000' } },
    instances: [
      {
        id: '3164001',
        cloud: 'digitalocean',
        name: 'consul-nyc3-1',
        region: 'nyc3',
        tags: { 'consul-server': '' },
        private_ipv4: '10.4.0.11',
        public_ipv4: '203.0.113.41',
        public_ipv6: '2001:db8:4::11',
      },
      {
        id: '3164002',
        cloud: 'digitalocean',
        name: 'consul-nyc3-2',
        region: 'nyc3',
        tags: { 'consul-server': '' },
        private_ipv4: '10.4.0.12',
        public_ipv4: '203.0.113.42',
      },
      {
        id: '3164003',
        cloud: 'digitalocean',
        name: 'consul-fra1-1',
        region: 'fra1',
        tags: { 'consul-server': '' },
        private_ipv4: '10.4.1.11',
        public_ipv4: '203.0.113.43',
      },
    ],
  },
  bench: (i) => ({
    id: String(100_000 + i),
    cloud: 'digitalocean',
    name: `do-${i}`,
    region: 'nyc3',
    tags: { 'nomad-server': '' },
    private_ipv4: benchAddress(17, i),
  }),
};
