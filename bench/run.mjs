// `npm run bench`: every benchmark, one after another, each printing its figures beside its baseline.
// Needs a built dist/ (npm ci does it) and the simulator's CA (.sim/ca.pem, made by `npm run sim:ca`).
import { spawnSync } from 'node:child_process';

const only = process.argv.slice(2);
const benches = [
  'parse',
  'secret-scan',
  'cold-start',
  'e2e',
  'fleet',
  'pages',
  'vsphere-pages',
  'join-attempts',
  'join-parallel',
  'join-converge',
  'join-herd',
  'install-footprint',
];
spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sim-ca.ts'], { stdio: 'inherit' });
let failed = 0;
for (const name of benches.filter((b) => only.length === 0 || only.includes(b))) {
  console.log(`\n=== bench/${name} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], {
    stdio: 'inherit',
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: '.sim/ca.pem',
      AUTOJOIN_SIM_DIR: '.sim',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      METADATA_SERVER_DETECTION: 'none',
      AUTOJOIN_LOOPBACK_ONLY: '1',
    },
  });
  if (result.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
