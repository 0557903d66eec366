// Claim: provider=aws lists 10,000 EC2 instances behind real paging (1,000 a page, as
// DescribeInstances allows at most) in under 2 s and 300 MB.
// Standalone: `npx tsx bench/fleet/aws.ts`. Prints one JSON line. `wallMs` is a warm call (the
// SDK already loaded); `coldWallMs` is the first call, SDK load included. Peak RSS covers the
// whole process: the simulator serving the XML as well as the provider.
import path from 'node:path';
import aws from '../../providers/aws/index.js';
import awsSim from '../../providers/aws/sim.js';
import { Discover } from '../../src/discover.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import { startSim } from '../../src/sim/server.js';

const INSTANCES = 10_000;
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const credentials = { access_key_id: 'AKIDBENCH0000000001', secret_access_key: 'bench-secret' };

const instances: FleetInstance[] = [];
for (let i = 0; i < INSTANCES; i++) {
  instances.push({
    id: `i-${i.toString(16).padStart(17, '0')}`,
    cloud: 'aws',
    region: 'eu-west-1',
    zone: `eu-west-1${'abc'[i % 3]}`,
    tags: { role: 'nomad-server', Name: `node-${i}` },
    private_ipv4: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    public_ipv4: `54.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  });
}
const fleet: Fleet = { credentials: { aws: credentials }, instances, page_size: { 'aws-ec2': 1000 } };

const sim = await startSim({ fleet, modules: [awsSim], stateDir: path.join(ROOT, '.sim') });
try {
  const engine = new Discover({ builtins: false, providers: [aws] });
  const env = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' };
  const cfg = `provider=aws region=eu-west-1 tag_key=role tag_value=nomad-server access_key_id=${credentials.access_key_id} secret_access_key=${credentials.secret_access_key} endpoint=${sim.httpUrl}`;

  let started = performance.now();
  const cold = await engine.addrs(cfg, { env, timeout: 60_000 });
  const coldWallMs = performance.now() - started;

  sim.resetCounts();
  started = performance.now();
  const found = await engine.addrs(cfg, { env, timeout: 60_000 });
  const wallMs = performance.now() - started;
  if (cold.length !== found.length) throw new Error(`cold and warm runs disagree: ${cold.length} vs ${found.length}`);

  console.log(
    JSON.stringify({
      provider: 'aws',
      instances: INSTANCES,
      found: found.length,
      wallMs: Math.round(wallMs),
      coldWallMs: Math.round(coldWallMs),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      requests: sim.counts()['aws-ec2'] ?? 0,
    }),
  );
} finally {
  await sim.close();
}
