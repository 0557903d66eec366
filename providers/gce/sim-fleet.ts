/**
 * What the GCE simulator adds to the fleet file: labels, network tags, projects, the
 * service-account credential block, and the GCE part of the demo fleet.
 */
import { benchAddress, type FleetInstance, type FleetModuleSpec } from '../../src/kit/index.js';

/** An instance as the GCE simulator reads it. */
export interface GceInstance extends FleetInstance {
  labels?: Record<string, string>;
  network_tags?: string[];
  project?: string;
}

export const gceFleet: FleetModuleSpec = {
  summary: 'Compute Engine instances (`zone` gives the region, `state` as GCE names it: RUNNING, TERMINATED...; `tags` are not used: see `labels`).',
  instanceFields: {
    labels: { help: 'GCE labels (`labels.<key>` in filters).', check: (value, where, check) => check.stringMap(value, where) },
    network_tags: { help: 'GCE network tags (`tags.items`).', check: (value, where, check) => check.stringList(value, where) },
    project: { help: "The project. @default the credential block's project", check: (value, where, check) => check.string(value, where) },
  },
  credentials: {
    project: { help: 'The default project (metadata server, service-account key). @default sim-project' },
    client_email: { help: 'The service account the sim issues a key file for.' },
  },
  demo: {
    credentials: {
      gce: {
        project: 'autojoin-sim',
        client_email: 'autojoin-sim@autojoin-sim.iam.gserviceaccount.com',
      },
    },
    instances: [
      {
        id: 'nomad-gce-1',
        cloud: 'gce',
        name: 'nomad-gce-1',
        zone: 'us-central1-a',
        state: 'RUNNING',
        labels: {
          role: 'nomad-server',
        },
        network_tags: ['nomad'],
        private_ipv4: '10.2.0.11',
        public_ipv4: '192.0.2.11',
      },
      {
        id: 'nomad-gce-2',
        cloud: 'gce',
        name: 'nomad-gce-2',
        zone: 'us-central1-b',
        state: 'RUNNING',
        labels: {
          role: 'nomad-server',
        },
        network_tags: ['nomad'],
        private_ipv4: '10.2.0.12',
      },
      {
        id: 'nomad-gce-3',
        cloud: 'gce',
        name: 'nomad-gce-3',
        zone: 'us-central1-b',
        state: 'TERMINATED',
        labels: {
          role: 'nomad-server',
        },
        network_tags: ['nomad'],
        private_ipv4: '10.2.0.13',
      },
    ],
  },
  bench: (i) => ({
    id: `gce-${i}`,
    cloud: 'gce',
    name: `gce-${i}`,
    zone: i % 2 ? 'us-central1-a' : 'us-central1-b',
    labels: { role: 'nomad-server' },
    network_tags: ['nomad'],
    private_ipv4: benchAddress(12, i),
  }),
};
