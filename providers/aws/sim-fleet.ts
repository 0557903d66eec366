/**
 * What the AWS simulator adds to the fleet file: ECS tasks, the credential block, and the AWS
 * part of the demo fleet (a Nomad server cluster in eu-west-1).
 */
import { benchAddress, type FleetInstance, type FleetModuleSpec } from '../../src/kit/index.js';

/** An instance as the AWS simulator reads it. */
export interface AwsInstance extends FleetInstance {
  /** Run as an ECS task in this cluster and family instead of an EC2 instance. */
  ecs?: { cluster: string; family: string };
}

export const awsFleet: FleetModuleSpec = {
  summary: 'EC2 instances (`region`, `zone`, `state` as EC2 names it, `tags`, every address field, `extra_nics`) and ECS tasks.',
  instanceFields: {
    ecs: {
      help: 'Makes the instance an ECS task: `{ cluster, family }` (its `private_ipv4` is the task ENI address).',
      check(value, where, check) {
        const ecs = check.object(value, where);
        if (!ecs) return undefined;
        check.knownKeys(ecs, ['cluster', 'family'], `${where}.`);
        const cluster = check.requiredString(ecs.cluster, `${where}.cluster`);
        const family = check.requiredString(ecs.family, `${where}.family`);
        return cluster !== undefined && family !== undefined ? { cluster, family } : undefined;
      },
    },
  },
  credentials: {
    access_key_id: { help: 'The access key id requests must be signed with (SigV4).', required: true },
    secret_access_key: { help: 'Its secret key.', required: true },
    session_token: { help: 'When set, requests must carry it (`X-Amz-Security-Token`).' },
    account_id: { help: 'The owner id in answers. @default 000000000000' },
  },
  demo: {
    credentials: {
      aws: {
        access_key_id: 'AKIDSIMULATOR0000000',
        secret_access_key: 'simulator-secret-key-not-real',
        account_id: '000000000000',
      },
    },
    instances: [
      {
        id: 'i-0a5e0000000000001',
        cloud: 'aws',
        name: 'nomad-server-1',
        region: 'eu-west-1',
        zone: 'eu-west-1a',
        tags: {
          role: 'nomad-server',
          Name: 'nomad-server-1',
        },
        private_ipv4: '10.0.1.11',
        public_ipv4: '203.0.113.11',
      },
      {
        id: 'i-0a5e0000000000002',
        cloud: 'aws',
        name: 'nomad-server-2',
        region: 'eu-west-1',
        zone: 'eu-west-1b',
        tags: {
          role: 'nomad-server',
          Name: 'nomad-server-2',
        },
        private_ipv4: '10.0.2.12',
        public_ipv4: '203.0.113.12',
        public_ipv6: '2001:db8:a::12',
      },
      {
        id: 'i-0a5e0000000000003',
        cloud: 'aws',
        name: 'nomad-server-3',
        region: 'eu-west-1',
        zone: 'eu-west-1c',
        tags: {
          role: 'nomad-server',
          Name: 'nomad-server-3',
        },
        private_ipv4: '10.0.3.13',
      },
      {
        id: 'i-0a5e0000000000004',
        cloud: 'aws',
        name: 'nomad-server-old',
        region: 'eu-west-1',
        zone: 'eu-west-1a',
        state: 'stopped',
        tags: {
          role: 'nomad-server',
          Name: 'nomad-server-old',
        },
        private_ipv4: '10.0.1.14',
      },
      {
        id: '0a5e00000000000000000000000000e1',
        cloud: 'aws',
        region: 'eu-west-1',
        zone: 'eu-west-1a',
        ecs: {
          cluster: 'nomad',
          family: 'nomad-server',
        },
        tags: {
          role: 'nomad-server',
        },
        private_ipv4: '10.0.4.21',
      },
      {
        id: '0a5e00000000000000000000000000e2',
        cloud: 'aws',
        region: 'eu-west-1',
        zone: 'eu-west-1b',
        ecs: {
          cluster: 'nomad',
          family: 'nomad-server',
        },
        tags: {
          role: 'nomad-server',
        },
        private_ipv4: '10.0.4.22',
      },
    ],
  },
  bench: (i) => ({
    id: `i-${i.toString(16).padStart(17, '0')}`,
    cloud: 'aws',
    region: 'eu-west-1',
    zone: 'eu-west-1a',
    tags: { role: 'nomad-server', Name: `node-${i}` },
    private_ipv4: benchAddress(10, i),
  }),
};
