/**
 * What the Linode simulator adds to the fleet file: the API token, the VPC address field, and
 * the demo instances. An instance's tags are its `tags` map, each written `key` (empty value) or
 * `key:value`; `private_ipv6` is its link-local address (go-discover's `private_v6`).
 */
import type { FleetInstance, FleetModuleSpec } from '../../src/kit/index.js';

/** An instance as the Linode simulator reads it. */
export interface LinodeFleetInstance extends FleetInstance {
  /** The instance's address in a VPC subnet (`ipv4.vpc[0].address` of the IPs call). */
  vpc_ipv4?: string;
}

export const linodeFleet: FleetModuleSpec = {
  summary:
    'Linodes: `region` (`us-east`), `state` `running` or `offline`, `tags` become Linode tags (`key` or `key:value`), `private_ipv4` (192.168.128.0/17 on Linode), `public_ipv4`, `public_ipv6` (SLAAC), `private_ipv6` (link-local), `vpc_ipv4`; a numeric `id` is the Linode id.',
  instanceFields: {
    vpc_ipv4: {
      help: 'The address in a VPC subnet, served only by the per-instance IPs call (`ipv4.vpc[].address`).',
      check: (value, where, check) => check.string(value, where),
    },
  },
  credentials: {
    token: { help: 'The API token requests must carry (`Authorization: Bearer`); others get 401 `Invalid Token`.', required: true },
  },
  demo: {
    credentials: { linode: { token: 'simulator-linode-token-not-real-0000000000000000000000000000000' } },
    instances: [
      {
        id: '51000001',
        cloud: 'linode',
        name: 'consul-1',
        region: 'us-east',
        tags: { 'consul-server': '' },
        private_ipv4: '192.168.140.11',
        public_ipv4: '198.51.100.11',
        public_ipv6: '2001:db8:5::11',
        vpc_ipv4: '10.5.0.11',
      },
      {
        id: '51000002',
        cloud: 'linode',
        name: 'consul-2',
        region: 'us-east',
        tags: { 'consul-server': '' },
        private_ipv4: '192.168.140.12',
        public_ipv4: '198.51.100.12',
        public_ipv6: '2001:db8:5::12',
        vpc_ipv4: '10.5.0.12',
      },
      {
        id: '51000003',
        cloud: 'linode',
        name: 'consul-3',
        region: 'eu-west',
        tags: { 'consul-server': '' },
        private_ipv4: '192.168.140.13',
        public_ipv4: '198.51.100.13',
      },
    ],
  },
  // The linode private range is 192.168.128.0/17: unique up to i = 32,767.
  bench: (i) => ({
    id: String(200_000 + i),
    cloud: 'linode',
    name: `linode-${i}`,
    region: 'us-east',
    tags: { 'nomad-server': '' },
    private_ipv4: `192.168.${128 + ((i >> 8) & 127)}.${i & 255}`,
  }),
};
