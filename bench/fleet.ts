// Claim: each cloud provider lists 10,000 instances behind real paging in under 2 s and 300 MB.
// Each provider runs in its own process (bench/fleet/<cloud>.ts) so peak RSS is its own; the
// baseline row is a bare node process's peak RSS, measured in the same run.
import { spawnSync } from 'node:child_process';
import { ROOT } from './lib.js';

interface FleetResult {
  provider: string;
  instances: number;
  found: number;
  wallMs: number;
  peakRssMB: number;
  requests?: number;
}

const bare = spawnSync(process.execPath, ['-e', 'console.log(process.resourceUsage().maxRSS)'], { encoding: 'utf8' });
const bareRssMB = Number(bare.stdout.trim()) / 1024;
console.log('fleet: 10,000 instances per cloud, every page, one process each');
console.log(`  ${'provider'.padEnd(8)} ${'found'.padStart(7)} ${'requests'.padStart(9)} ${'wall'.padStart(10)} ${'peak RSS'.padStart(10)}   goal: < 2000 ms, < 300 MB`);
let failed = false;
for (const cloud of ['aws', 'azure', 'gce']) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', `bench/fleet/${cloud}.ts`], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: `${ROOT}/.sim/ca.pem`, AUTOJOIN_LOOPBACK_ONLY: '1', AWS_EC2_METADATA_DISABLED: 'true', METADATA_SERVER_DETECTION: 'none' },
  });
  const line = run.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (run.status !== 0 || !line) {
    console.log(`  ${cloud.padEnd(8)} FAILED: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    failed = true;
    continue;
  }
  const r = JSON.parse(line) as FleetResult;
  console.log(
    `  ${r.provider.padEnd(8)} ${String(r.found).padStart(7)} ${String(r.requests ?? '').padStart(9)} ${`${r.wallMs.toFixed(0)} ms`.padStart(10)} ${`${r.peakRssMB.toFixed(0)} MB`.padStart(10)}`,
  );
}
console.log(`  ${'baseline: bare node peak RSS'.padEnd(38)} ${`${bareRssMB.toFixed(0)} MB`.padStart(10)}`);
process.exitCode = failed ? 1 : 0;
