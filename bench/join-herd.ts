// Claim: 2,000 joiners in one process, each with one aws entry, against a simulated EC2 rate
// limit of 100 requests/s (burst 200), all join and none gives up, with few API requests each
// (goal: under 3, retries included, as the simulator counts them).
// Baseline, same run: the same herd with a single attempt each (no retry loop): how many join.
// The built-in providers and simulator modules (the entry points import this first; a bench must too).
import '../entry/compose.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import awsSim from '../providers/aws/sim.js';
import { discover } from '../src/discover.js';
import { retryJoin } from '../src/join/index.js';
import type { Fleet } from '../src/sim/fleet.js';
import { startSim } from '../src/sim/server.js';
import { percentile, ROOT } from './lib.js';

const JOINERS = Number(process.env.HERD_JOINERS ?? 2000);
const RATE = { rps: 100, burst: 200 };

const fleet: Fleet = {
  credentials: { aws: { access_key_id: 'AKIDBENCHHERD000001', secret_access_key: 'bench-secret' } },
  instances: [1, 2, 3].map((i) => ({ id: `i-srv${i}`, cloud: 'aws', region: 'eu-west-1', tags: { role: 'nomad-server' }, private_ipv4: `10.0.1.${i}` })),
  faults: { 'aws-ec2': { rate_limit: RATE } },
};
const env = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' };

interface HerdResult {
  times: number[];
  /** Discovery calls made (retry-join attempts, or one per joiner for the baseline). */
  calls: number;
  failed: number;
  requests: number;
  wallMs: number;
}

/** Runs the herd: `loop` with retryJoin (backoff, retry forever), `once` with one discovery each. */
async function herd(mode: 'loop' | 'once'): Promise<HerdResult> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'autojoin-bench-'));
  const sim = await startSim({ fleet, modules: [awsSim], stateDir, caDir: path.join(ROOT, '.sim') });
  try {
    const creds = fleet.credentials.aws;
    const entry = `provider=aws region=eu-west-1 tag_key=role tag_value=nomad-server access_key_id=${creds?.access_key_id} secret_access_key=${creds?.secret_access_key} endpoint=${sim.httpUrl}`;
    const started = performance.now();
    const times: number[] = [];
    let failed = 0;
    let calls = 0;
    await Promise.all(
      Array.from({ length: JOINERS }, async () => {
        try {
          if (mode === 'loop') {
            await retryJoin({
              entries: [entry],
              backoff: true,
              timeout: '20s',
              env,
              join: (addrs) => addrs.length,
              onAttempt: () => {
                calls++;
              },
            });
          } else {
            calls++;
            const targets = await discover(entry, { env, timeout: '20s' });
            if (targets.length === 0) throw new Error('no addresses');
          }
          times.push(performance.now() - started);
        } catch {
          failed++;
        }
      }),
    );
    return { times, calls, failed, requests: sim.counts()['aws-ec2'] ?? 0, wallMs: performance.now() - started };
  } finally {
    await sim.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

// Load the SDK before any clock starts.
await import('../providers/aws/client.js');
const once = await herd('once');
const loop = await herd('loop');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const row = (label: string, r: HerdResult) =>
  console.log(
    `  ${label.padEnd(36)} ${`${r.times.length}/${JOINERS}`.padStart(10)} ${String(r.failed).padStart(7)} ${(r.times.length ? seconds(percentile(r.times, 50)) : '-').padStart(8)} ${(r.times.length ? seconds(percentile(r.times, 99)) : '-').padStart(8)} ${(r.requests / JOINERS).toFixed(2).padStart(12)} ${(r.calls / JOINERS).toFixed(2).padStart(13)} ${(r.requests / r.calls).toFixed(2).padStart(14)}`,
  );
console.log(`join-herd: ${JOINERS} joiners, one aws entry each, EC2 rate limit ${RATE.rps} req/s burst ${RATE.burst}`);
console.log(
  `  ${''.padEnd(36)} ${'joined'.padStart(10)} ${'gave up'.padStart(7)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'req/joiner'.padStart(12)} ${'calls/joiner'.padStart(13)} ${'req/call'.padStart(14)}`,
);
row('retryJoin, backoff + throttle stretch', loop);
row('baseline: one discovery, no loop', once);
console.log(`  wall: ${seconds(loop.wallMs)} (loop), ${seconds(once.wallMs)} (baseline); goal: all join, < 3 requests per joiner`);
// req/call above 1 is the provider's own retries inside one discovery (aws: up to 4 attempts per
// call, THE shared retry policy); the join loop cannot see or stop them.
console.log("  req/call > 1: retries inside one discovery call (the provider's retryCall), beneath the join loop");
