/** What the Alibaba Cloud simulator adds to the fleet file: `network_type`, the credential block, the demo slice. */
import { benchAddress, type FleetModuleSpec } from '../../src/kit/index.js';

export const aliyunFleet: FleetModuleSpec = {
  summary:
    'ECS instances: `region` (`RegionId`), `zone`, `state` (`running` is `Running`), `tags`, `private_ipv4` (the VPC or classic inner address), `public_ipv4`.',
  instanceFields: {
    network_type: {
      help: '`vpc` (default: the address is `VpcAttributes.PrivateIpAddress`) or `classic` (`InnerIpAddress`).',
      check: (value, where, check) => check.oneOf(value, where, ['vpc', 'classic'] as const),
    },
  },
  credentials: {
    access_key_id: { help: 'The AccessKeyId requests must be signed with (RPC signature, HMAC-SHA1).', required: true },
    access_key_secret: { help: 'Its AccessKeySecret.', required: true },
    security_token: { help: 'When set, requests must carry it (`SecurityToken`).' },
  },
  demo: {
    credentials: {
      aliyun: { access_key_id: 'LTAISIMULATOR000000000', access_key_secret: 'simulator-aliyun-secret-not-real' },
    },
    instances: [
      {
        id: 'i-sim0aliyun00001',
        cloud: 'aliyun',
        name: 'nomad-server-1',
        region: 'cn-hangzhou',
        zone: 'cn-hangzhou-h',
        tags: { role: 'nomad-server' },
        private_ipv4: '10.8.0.11',
        public_ipv4: '203.0.113.81',
      },
      {
        id: 'i-sim0aliyun00002',
        cloud: 'aliyun',
        name: 'nomad-server-2',
        region: 'cn-hangzhou',
        zone: 'cn-hangzhou-i',
        tags: { role: 'nomad-server' },
        private_ipv4: '10.8.0.12',
      },
      {
        id: 'i-sim0aliyun00003',
        cloud: 'aliyun',
        name: 'nomad-server-3',
        region: 'cn-hangzhou',
        zone: 'cn-hangzhou-j',
        tags: { role: 'nomad-server' },
        network_type: 'classic',
        private_ipv4: '10.8.0.13',
      },
    ],
  },
  bench: (i) => ({
    id: `i-${i.toString(16).padStart(12, '0')}`,
    cloud: 'aliyun',
    region: 'cn-hangzhou',
    tags: { role: 'nomad-server', Name: `node-${i}` },
    private_ipv4: benchAddress(22, i),
  }),
};
