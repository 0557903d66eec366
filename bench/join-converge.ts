// Claim: a node that boots before its peers joins within seconds of them appearing with the
// opt-in backoff policy, where Nomad's fixed 30 s interval leaves it waiting for most of an interval.
// Both policies run at the same time against the same simulated Consul catalog, whose servers
// appear PEERS_AT_MS after the start; figures are time-after-appearance and requests per joiner.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import consulSim from '../providers/consul/sim.js';
import { type RetryJoinOptions, retryJoin } from '../src/join/index.js';
import type { Fleet } from '../src/sim/fleet.js';
import { startSim } from '../src/sim/server.js';
import { fmt, median, ROOT } from './lib.js';

const PEERS_AT_MS = 4000;
const JOINERS = 10;

const fleet: Fleet = {
  credentials: {},
  instances: [],
  services: [1, 2, 3].map((i) => ({ node: `srv-${i}`, node_address: `10.0.0.${i}`, service: 'nomad', port: 4648, tags: ['serf'], appear_after_ms: PEERS_AT_MS })),
};

const stateDir = await mkdtemp(path.join(tmpdir(), 'autojoin-bench-'));
const sim = await startSim({ fleet, modules: [consulSim], stateDir, caDir: path.join(ROOT, '.sim') });
try {
  const entry = `provider=consul service=nomad tag=serf address=${sim.httpUrl}`;
  const started = performance.now();
  const joiner = async (policy: Pick<RetryJoinOptions, 'retryInterval' | 'backoff'>) => {
    const result = await retryJoin({ entries: [entry], ...policy, join: (addrs) => addrs.length });
    return { afterMs: performance.now() - started - PEERS_AT_MS, attempts: result.attempts };
  };
  const fixed = Array.from({ length: JOINERS }, () => joiner({ retryInterval: '30s' }));
  const backoff = Array.from({ length: JOINERS }, () => joiner({ backoff: true }));
  const fixedRuns = await Promise.all(fixed);
  const backoffRuns = await Promise.all(backoff);
  const row = (label: string, runs: Array<{ afterMs: number; attempts: number }>) => {
    const after = runs.map((r) => r.afterMs);
    const attempts = runs.reduce((sum, r) => sum + r.attempts, 0) / runs.length;
    console.log(`  ${label.padEnd(34)} ${fmt(median(after)).padStart(11)} ${fmt(Math.max(...after)).padStart(11)} ${attempts.toFixed(1).padStart(9)}`);
  };
  console.log(`join-converge: ${JOINERS} joiners per policy start together; peers register ${PEERS_AT_MS} ms later`);
  console.log(`  ${'policy'.padEnd(34)} ${'median'.padStart(11)} ${'max'.padStart(11)} ${'requests'.padStart(9)}   (time after peers appear)`);
  row('backoff (500ms x1.5 to 5s, ±50%)', backoffRuns);
  row('baseline: Nomad fixed 30s', fixedRuns);
  console.log(`  consul requests served: ${sim.counts().consul ?? 0}`);
} finally {
  await sim.close();
  await rm(stateDir, { recursive: true, force: true });
}
