/**
 * What the SoftLayer simulator adds to the fleet file: the username and API key, and the demo
 * guests. A guest's tags are the instance's `tags` map, each written `key` (empty value) or `key:value`.
 */
import { benchAddress, type FleetModuleSpec } from '../../src/kit/index.js';

export const softlayerFleet: FleetModuleSpec = {
  summary:
    'Virtual guests: `zone` (else `region`) is the datacenter name (`dal09`), `tags` become guest tags (`key` or `key:value`), `private_ipv4` is `primaryBackendIpAddress`, `public_ipv4` `primaryIpAddress`; a numeric `id` is the guest id.',
  credentials: {
    username: { help: 'The username requests must carry (HTTP Basic user).', required: true },
    api_key: { help: 'The API key requests must carry (HTTP Basic password); others get 401 `Access Denied.`.', required: true },
  },
  demo: {
    credentials: { softlayer: { username: 'SL1234567', api_key: 'simulator0softlayer0api0key0not0real00000000000000000000000000000' } },
    instances: [
      {
        id: '71200001',
        cloud: 'softlayer',
        name: 'consul-dal09-1',
        zone: 'dal09',
        tags: { consul: '' },
        private_ipv4: '10.5.0.11',
        public_ipv4: '203.0.113.51',
      },
      {
        id: '71200002',
        cloud: 'softlayer',
        name: 'consul-dal09-2',
        zone: 'dal09',
        tags: { consul: '' },
        private_ipv4: '10.5.0.12',
        public_ipv4: '203.0.113.52',
      },
      { id: '71200003', cloud: 'softlayer', name: 'consul-fra02-1', zone: 'fra02', tags: { consul: '' }, private_ipv4: '10.5.1.11' },
    ],
  },
  bench: (i) => ({
    id: String(20_000_000 + i),
    cloud: 'softlayer',
    name: `sl-${i}`,
    zone: 'dal09',
    tags: { 'nomad-server': '' },
    private_ipv4: benchAddress(20, i),
  }),
};
