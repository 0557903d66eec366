/** What the Triton simulator adds to the fleet file: the account and its public key, and the demo slice. */
import { benchAddress, type FleetModuleSpec } from '../../src/kit/index.js';

export const tritonFleet: FleetModuleSpec = {
  summary:
    'Machines: `state` (`running`), `tags`, `private_ipv4` (the `primaryIp` and first of `ips`), `public_ipv4` (also in `ips`), `zone` (the compute node).',
  credentials: {
    account: { help: 'The account name requests must name (path and keyId).', required: true },
    public_key: {
      help: "The account key, an OpenSSH public key line (`ssh-rsa AAAA...`); signatures must verify with it. When absent, the sim makes an RSA key at start and writes its private half to `<the sim's temporary folder>/triton_id_rsa` for the paste block.",
    },
  },
  demo: {
    credentials: { triton: { account: 'sim-account' } },
    instances: [
      {
        id: '3d51f2d5-46f2-4da5-bb04-3238f2f6f001',
        cloud: 'triton',
        name: 'nomad-server-1',
        zone: 'cn-node-1',
        tags: { role: 'nomad-server' },
        private_ipv4: '10.9.0.11',
      },
      {
        id: '3d51f2d5-46f2-4da5-bb04-3238f2f6f002',
        cloud: 'triton',
        name: 'nomad-server-2',
        zone: 'cn-node-2',
        tags: { role: 'nomad-server' },
        private_ipv4: '10.9.0.12',
        public_ipv4: '203.0.113.92',
      },
      {
        id: '3d51f2d5-46f2-4da5-bb04-3238f2f6f003',
        cloud: 'triton',
        name: 'nomad-server-3',
        zone: 'cn-node-3',
        tags: { role: 'nomad-server' },
        private_ipv4: '10.9.0.13',
      },
    ],
  },
  bench: (i) => ({
    id: `3d51f2d5-46f2-4da5-bb04-${i.toString(16).padStart(12, '0')}`,
    cloud: 'triton',
    name: `tr-${i}`,
    zone: 'cn-node-1',
    tags: { role: 'nomad-server' },
    private_ipv4: benchAddress(23, i),
  }),
};
