/** What the Tencent Cloud simulator adds to the fleet file: the credential block and the demo slice. */
import { benchAddress, type FleetModuleSpec } from '../../src/kit/index.js';

export const tencentcloudFleet: FleetModuleSpec = {
  summary:
    'CVM instances: `region` (e.g. `ap-guangzhou`, the `X-TC-Region` they answer in), `zone`, `state` (`running` is `RUNNING`), `tags`, `private_ipv4`, `public_ipv4`.',
  credentials: {
    secret_id: { help: 'The SecretId requests must be signed with (TC3-HMAC-SHA256).', required: true },
    secret_key: { help: 'Its SecretKey.', required: true },
    session_token: { help: 'When set, requests must carry it (`X-TC-Token`).' },
  },
  demo: {
    credentials: {
      tencentcloud: {
        secret_id: 'AKIDSIMULATORTENCENT0000000000000000',
        secret_key: 'simulator-tencent-secret-not-real',
      },
    },
    instances: [
      {
        id: 'ins-sim00001',
        cloud: 'tencentcloud',
        name: 'nomad-server-1',
        region: 'ap-guangzhou',
        zone: 'ap-guangzhou-3',
        tags: { role: 'nomad-server' },
        private_ipv4: '10.11.0.11',
        public_ipv4: '203.0.113.71',
      },
      {
        id: 'ins-sim00002',
        cloud: 'tencentcloud',
        name: 'nomad-server-2',
        region: 'ap-guangzhou',
        zone: 'ap-guangzhou-4',
        tags: { role: 'nomad-server' },
        private_ipv4: '10.11.0.12',
      },
      {
        id: 'ins-sim00003',
        cloud: 'tencentcloud',
        name: 'nomad-server-3',
        region: 'ap-guangzhou',
        zone: 'ap-guangzhou-6',
        tags: { role: 'nomad-server' },
        private_ipv4: '10.11.0.13',
        public_ipv4: '203.0.113.73',
      },
      {
        id: 'ins-sim00004',
        cloud: 'tencentcloud',
        name: 'nomad-client-1',
        region: 'ap-guangzhou',
        zone: 'ap-guangzhou-3',
        tags: { role: 'nomad-client' },
        private_ipv4: '10.11.1.21',
      },
    ],
  },
  bench: (i) => ({
    id: `ins-${i.toString(16).padStart(8, '0')}`,
    cloud: 'tencentcloud',
    region: 'ap-guangzhou',
    tags: { role: 'nomad-server', Name: `node-${i}` },
    private_ipv4: benchAddress(21, i),
  }),
};
