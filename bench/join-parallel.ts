// Claim: one retry-join attempt over 4 slow entries takes about the slowest entry, not the sum.
// Baseline, same run: the same entries discovered one after another (Nomad's sequential loop).
// Entries: two consul lookups and one aws DescribeInstances, each behind 400 ms of simulated API
// latency, and an exec= command that takes 400 ms. Prints medians; asserts nothing about time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import awsSim from '../providers/aws/sim.js';
import consulSim from '../providers/consul/sim.js';
import { retryJoin } from '../src/join/index.js';
import type { Fleet } from '../src/sim/fleet.js';
import { startSim } from '../src/sim/server.js';
import { fmt, median, ROOT } from './lib.js';

const LATENCY_MS = 400;
const ROUNDS = 5;

const fleet: Fleet = {
  credentials: { aws: { access_key_id: 'AKIDBENCHPARALLEL01', secret_access_key: 'bench-secret' } },
  instances: [1, 2, 3].map((i) => ({ id: `i-srv${i}`, cloud: 'aws', region: 'eu-west-1', tags: { role: 'nomad-server' }, private_ipv4: `10.0.1.${i}` })),
  services: [
    { node: 'srv-1', node_address: '10.0.2.1', service: 'nomad', port: 4648, tags: ['serf'] },
    { node: 'cli-1', node_address: '10.0.3.1', service: 'nomad-client', port: 4646 },
  ],
};

const stateDir = await mkdtemp(path.join(tmpdir(), 'autojoin-bench-'));
const sim = await startSim({ fleet, modules: [awsSim, consulSim], stateDir, caDir: path.join(ROOT, '.sim') });
try {
  sim.setFaults('consul', { latency_ms: LATENCY_MS });
  sim.setFaults('aws-ec2', { latency_ms: LATENCY_MS });
  const creds = fleet.credentials.aws;
  const entries = [
    `provider=consul service=nomad address=${sim.httpUrl}`,
    `provider=consul service=nomad-client address=${sim.httpUrl}`,
    `provider=aws region=eu-west-1 tag_key=role tag_value=nomad-server access_key_id=${creds?.access_key_id} secret_access_key=${creds?.secret_access_key} endpoint=${sim.httpUrl}`,
    // No shell and no spaces: go-netaddrs splits the command line on whitespace.
    `exec=${process.execPath} -e setTimeout(()=>console.log("10.9.9.9"),${LATENCY_MS})`,
  ];
  const env = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' };
  const attempt = async (list: string[]) => {
    const started = performance.now();
    const result = await retryJoin({ entries: list, retryMax: 1, retryInterval: 0, env, join: (addrs) => addrs.length });
    return { ms: performance.now() - started, found: result.addresses.length };
  };

  await attempt(entries); // warm: loads the AWS SDK and the engine
  const sequential: number[] = [];
  const parallel: number[] = [];
  let found = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let sum = 0;
    for (const entry of entries) sum += (await attempt([entry])).ms;
    sequential.push(sum);
    const run = await attempt(entries);
    parallel.push(run.ms);
    found = run.found;
  }
  console.log(`join-parallel: one attempt over ${entries.length} entries, each ~${LATENCY_MS} ms (median of ${ROUNDS})`);
  console.log(`  ${'retryJoin, concurrent entries'.padEnd(40)} ${fmt(median(parallel)).padStart(10)}   (${found} addresses)`);
  console.log(`  ${'baseline: sequential loop (sum)'.padEnd(40)} ${fmt(median(sequential)).padStart(10)}`);
  console.log(`  ${'speed-up'.padEnd(40)} ${`${(median(sequential) / median(parallel)).toFixed(2)}x`.padStart(10)}`);
} finally {
  await sim.close();
  await rm(stateDir, { recursive: true, force: true });
}
