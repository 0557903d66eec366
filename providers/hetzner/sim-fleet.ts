/** What the Hetzner simulator adds to the fleet file: the private network id, the token, the demo slice. */
import { benchAddress, type FleetInstance, type FleetModuleSpec } from '../../src/kit/index.js';

/** An instance as the Hetzner simulator reads it. */
export interface HetznerInstance extends FleetInstance {
  /** The id of the network `private_ipv4` is in; extra NICs take the next ids. */
  network_id?: number;
}

/** The network of `private_ipv4` when the instance names none (the id in Hetzner's API examples). */
export const DEFAULT_NETWORK = 4711;

export const hetznerFleet: FleetModuleSpec = {
  summary:
    'Hetzner Cloud servers: `zone` is the location (`fsn1`, `nbg1`, `hel1`, `ash`, `hil`, `sin`), `tags` are the labels, `state` the status (`running`, `off`...), `private_ipv4` the address in `network_id` (each of `extra_nics` in the next network id), `public_ipv6` the `::1` of the /64 the API shows; no `private_ipv6`.',
  instanceFields: {
    network_id: {
      help: `The private network id of \`private_ipv4\` (extra NICs: the next ids). @default ${DEFAULT_NETWORK}`,
      check: (value, where, check) => check.int(value, where, 1),
    },
  },
  validateInstance(instance, where, check) {
    if (instance.private_ipv6 !== undefined || (instance.extra_nics ?? []).some((nic) => nic.private_ipv6 !== undefined)) {
      check.problems.push(`${where}.private_ipv6: Hetzner private networks are IPv4 only`);
    }
    if (instance.public_ipv6 !== undefined && !instance.public_ipv6.endsWith('::1')) {
      check.problems.push(`${where}.public_ipv6: must be the ::1 address of the server's /64 (e.g. 2001:db8:0:1::1), as Hetzner configures it`);
    }
  },
  credentials: {
    token: { help: 'The API token requests must present (`Authorization: Bearer`).', required: true },
  },
  demo: {
    credentials: { hetzner: { token: 'simulator-hetzner-token-not-real' } },
    instances: [
      {
        id: '5100001',
        cloud: 'hetzner',
        name: 'nomad-hetzner-1',
        zone: 'fsn1',
        tags: { role: 'nomad-server' },
        network_id: 4711,
        private_ipv4: '10.6.0.11',
        public_ipv4: '203.0.113.61',
        public_ipv6: '2001:db8:6:1::1',
      },
      {
        id: '5100002',
        cloud: 'hetzner',
        name: 'nomad-hetzner-2',
        zone: 'nbg1',
        tags: { role: 'nomad-server' },
        network_id: 4711,
        private_ipv4: '10.6.0.12',
        public_ipv4: '203.0.113.62',
      },
      {
        id: '5100003',
        cloud: 'hetzner',
        name: 'nomad-hetzner-3',
        zone: 'hel1',
        state: 'off',
        tags: { role: 'nomad-server' },
        network_id: 4711,
        private_ipv4: '10.6.0.13',
      },
    ],
  },
  bench: (i) => ({
    id: String(2_000_000 + i),
    cloud: 'hetzner',
    name: `hz-${i}`,
    zone: 'fsn1',
    tags: { role: 'nomad-server' },
    private_ipv4: benchAddress(13, i),
  }),
};
