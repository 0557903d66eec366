/** What the Equinix Metal (Packet) simulator adds to the fleet file: project, token, the demo slice. */
import { benchAddress, type FleetInstance, type FleetModuleSpec } from '../../src/kit/index.js';

/** A device as the simulator reads it. */
export interface PacketInstance extends FleetInstance {
  /** The project UUID. @default the credential block's project */
  project?: string;
}

export const DEFAULT_PROJECT = '3b5ad8a4-1f6e-4d7a-9c1b-2f0e6a7d8c90';

export const packetFleet: FleetModuleSpec = {
  summary:
    'Equinix Metal (Packet) devices: `zone` is the facility code (`ewr1`, `ams1`, `sv15`...), `state` as Metal names it (`active` by default, `inactive`, `provisioning`...), each `tags` entry becomes the tag `key=value` (or `key` when the value is empty), `private_ipv4`, `public_ipv4`, `public_ipv6` (and each of `extra_nics`) become `ip_addresses`; no `private_ipv6`.',
  instanceFields: {
    project: { help: "The project UUID. @default the credential block's project", check: (value, where, check) => check.string(value, where) },
  },
  validateInstance(instance, where, check) {
    if (instance.private_ipv6 !== undefined || (instance.extra_nics ?? []).some((nic) => nic.private_ipv6 !== undefined)) {
      check.problems.push(`${where}.private_ipv6: Equinix Metal gives devices no private IPv6`);
    }
  },
  credentials: {
    token: { help: 'The API token requests must present (`X-Auth-Token`).', required: true },
    project: { help: `The project of devices that name none. @default ${DEFAULT_PROJECT}` },
  },
  demo: {
    credentials: { packet: { token: 'simulator-packet-token-not-real', project: DEFAULT_PROJECT } },
    instances: [
      {
        id: '7c2e0000-0000-4000-8000-000000000001',
        cloud: 'packet',
        name: 'nomad-metal-1',
        zone: 'ewr1',
        tags: { 'nomad-server': '' },
        private_ipv4: '10.14.0.11',
        public_ipv4: '203.0.113.81',
        public_ipv6: '2001:db8:8::11',
      },
      {
        id: '7c2e0000-0000-4000-8000-000000000002',
        cloud: 'packet',
        name: 'nomad-metal-2',
        zone: 'ams1',
        tags: { 'nomad-server': '' },
        private_ipv4: '10.14.0.12',
        public_ipv4: '203.0.113.82',
      },
      {
        id: '7c2e0000-0000-4000-8000-000000000003',
        cloud: 'packet',
        name: 'nomad-metal-3',
        zone: 'ewr1',
        state: 'inactive',
        tags: { 'nomad-server': '' },
        private_ipv4: '10.14.0.13',
      },
    ],
  },
  bench: (i) => ({ id: `metal-${i}`, cloud: 'packet', name: `metal-${i}`, zone: 'ewr1', tags: { 'nomad-server': '' }, private_ipv4: benchAddress(15, i) }),
};
