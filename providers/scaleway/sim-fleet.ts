/** What the Scaleway simulator adds to the fleet file: organization, the secret key, the demo slice. */
import { benchAddress, type FleetInstance, type FleetModuleSpec } from '../../src/kit/index.js';

/** An instance as the Scaleway simulator reads it. */
export interface ScalewayInstance extends FleetInstance {
  /** The organization (and project) ID. @default the credential block's organization */
  organization?: string;
}

/** The organization of instances and credentials that name none. */
export const DEFAULT_ORGANIZATION = '105bdce1-64c0-48ab-899d-868455867ecf';

export const scalewayFleet: FleetModuleSpec = {
  summary:
    'Scaleway Instances: `zone` is the Instance API zone (`fr-par-1`...; default `fr-par-1`), `state` as Scaleway names it (`running`, `stopped`...), each `tags` entry becomes the tag `key=value` (or `key` when the value is empty), `private_ipv4` the legacy `private_ip` (a server without it is routed-IP), public addresses go to `public_ips`; each `extra_nics` entry is a private NIC in a Private Network whose `private_ipv4` / `private_ipv6` IPAM serves.',
  instanceFields: {
    organization: {
      help: "The organization (and project) ID. @default the credential block's organization",
      check: (value, where, check) => check.string(value, where),
    },
  },
  validateInstance(instance, where, check) {
    if (instance.private_ipv6 !== undefined)
      check.problems.push(`${where}.private_ipv6: a Scaleway private IPv6 belongs to a private NIC: put it on an extra_nics entry`);
  },
  credentials: {
    secret_key: { help: 'The secret key requests must present (`X-Auth-Token`).', required: true },
    organization: { help: `The default organization ID of instances. @default ${DEFAULT_ORGANIZATION}` },
  },
  demo: {
    credentials: { scaleway: { secret_key: '5f3c1d2e-0000-4000-8000-simulator000', organization: DEFAULT_ORGANIZATION } },
    instances: [
      {
        id: '6a1c0000-0000-4000-8000-000000000001',
        cloud: 'scaleway',
        name: 'nomad-scw-1',
        zone: 'fr-par-1',
        tags: { 'nomad-server': '' },
        private_ipv4: '10.7.0.11',
        public_ipv4: '203.0.113.71',
        public_ipv6: '2001:db8:7::11',
      },
      {
        id: '6a1c0000-0000-4000-8000-000000000002',
        cloud: 'scaleway',
        name: 'nomad-scw-2',
        zone: 'fr-par-1',
        tags: { 'nomad-server': '' },
        private_ipv4: '10.7.0.12',
        public_ipv4: '203.0.113.72',
      },
      {
        id: '6a1c0000-0000-4000-8000-000000000003',
        cloud: 'scaleway',
        name: 'nomad-scw-3',
        zone: 'nl-ams-1',
        tags: { 'nomad-server': '' },
        private_ipv4: '10.7.1.13',
      },
    ],
  },
  bench: (i) => ({ id: `scw-${i}`, cloud: 'scaleway', name: `scw-${i}`, zone: 'fr-par-1', tags: { 'nomad-server': '' }, private_ipv4: benchAddress(14, i) }),
};
