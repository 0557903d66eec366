/** What the Consul simulator adds to the fleet file: the ACL token, and the demo catalog. */
import type { FleetModuleSpec } from '../../src/kit/index.js';

export const consulFleet: FleetModuleSpec = {
  summary: "The catalog comes from the fleet's `services` (node, address, service, port, tags, datacenter, health); consul has no instances.",
  credentials: {
    token: { help: 'When set, requests must present it (`X-Consul-Token`, bearer or `?token=`).' },
  },
  demo: {
    credentials: {
      consul: {
        token: 'simulator-consul-token-not-real',
      },
    },
    services: [
      {
        node: 'consul-node-1',
        node_address: '10.3.0.11',
        service: 'nomad',
        port: 4647,
        tags: ['rpc', 'serf'],
        datacenter: 'dc1',
      },
      {
        node: 'consul-node-2',
        node_address: '10.3.0.12',
        service: 'nomad',
        port: 4647,
        tags: ['rpc', 'serf'],
        datacenter: 'dc1',
      },
      {
        node: 'consul-node-3',
        node_address: '10.3.0.13',
        service: 'nomad',
        port: 4647,
        tags: ['rpc', 'serf'],
        datacenter: 'dc1',
        health: 'critical',
      },
    ],
  },
};
