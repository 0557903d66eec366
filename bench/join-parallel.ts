// Claim: one retry-join attempt over 4 slow entries takes about the slowest entry, not the sum.
// Goal (issue 4): at most 1.2x the slowest entry. Baseline, same run: each entry alone (the
// slowest of them is the floor) and their sum (what Nomad's sequential loop takes).
// Entries: four provider entries, two Consul catalog lookups and two AWS DescribeInstances, each
// behind 300 ms of simulated API latency. Prints medians; asserts nothing about time.
// The built-in providers and simulator modules (the entry points import this first; a bench must too).
import '../entry/compose.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import awsSim from '../providers/aws/sim.js';
import consulSim from '../providers/consul/sim.js';
import { retryJoin } from '../src/join/index.js';
import type { Fleet } from '../src/sim/fleet.js';
import { startSim } from '../src/sim/server.js';
import { fmt, median, ROOT } from './lib.js';

const LATENCY_MS = 300;
const ROUNDS = 5;

const fleet: Fleet = {
  credentials: { aws: { access_key_id: 'AKIDBENCHPARALLEL01', secret_access_key: 'bench-secret' } },
  instances: [
    ...[1, 2, 3].map((i) => ({ id: `i-srv${i}`, cloud: 'aws', region: 'eu-west-1', tags: { role: 'nomad-server' }, private_ipv4: `10.0.1.${i}` })),
    ...[1, 2].map((i) => ({ id: `i-consul${i}`, cloud: 'aws', region: 'eu-west-1', tags: { role: 'consul-server' }, private_ipv4: `10.0.4.${i}` })),
  ],
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
    ...['nomad-server', 'consul-server'].map(
      (role) =>
        `provider=aws region=eu-west-1 tag_key=role tag_value=${role} access_key_id=${creds?.access_key_id} secret_access_key=${creds?.secret_access_key} endpoint=${sim.httpUrl}`,
    ),
  ];
  const env = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' };
  const attempt = async (list: string[]) => {
    const started = performance.now();
    const result = await retryJoin({ entries: list, retryMax: 1, retryInterval: 0, env, join: (addrs) => addrs.length });
    return { ms: performance.now() - started, found: result.addresses.length };
  };

  await attempt(entries); // warm: loads the AWS SDK and the engine
  const parallel: number[] = [];
  const alone: number[][] = entries.map(() => []);
  let found = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, entry] of entries.entries()) alone[i]?.push((await attempt([entry])).ms);
    const run = await attempt(entries);
    parallel.push(run.ms);
    found = run.found;
  }
  const aloneMedians = alone.map(median);
  const slowest = Math.max(...aloneMedians);
  const sum = aloneMedians.reduce((a, b) => a + b, 0);
  const wall = median(parallel);
  console.log(`join-parallel: one attempt over ${entries.length} provider entries, each behind ${LATENCY_MS} ms of API latency (median of ${ROUNDS})`);
  const label = (entry: string) =>
    entry
      .split(' ')
      .filter((word) => !/^(address|access_key_id|secret_access_key|endpoint|region)=/.test(word))
      .join(' ');
  for (const [i, ms] of aloneMedians.entries()) console.log(`  ${`entry ${i + 1} alone: ${label(entries[i] ?? '')}`.padEnd(66)} ${fmt(ms).padStart(10)}`);
  console.log(`  ${'retryJoin, one attempt, entries concurrent'.padEnd(66)} ${fmt(wall).padStart(10)}   (${found} addresses)`);
  console.log(`  ${'baseline: sequential loop (sum of the four)'.padEnd(66)} ${fmt(sum).padStart(10)}`);
  console.log(`  ${'attempt / slowest entry (goal: at most 1.2x)'.padEnd(66)} ${`${(wall / slowest).toFixed(2)}x`.padStart(10)}`);
  console.log(`  ${'sum / attempt (speed-up over sequential)'.padEnd(66)} ${`${(sum / wall).toFixed(2)}x`.padStart(10)}`);
} finally {
  await sim.close();
  await rm(stateDir, { recursive: true, force: true });
}
