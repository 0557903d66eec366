// Claim: a node that boots before its peers joins within seconds of them appearing with the
// opt-in backoff policy; Nomad's fixed 30 s interval leaves it waiting half an interval on average.
// Goal (issue 4): backoff's MEAN time from peers appearing to joined under a tenth of the fixed
// interval's. Time is scaled down 10x so the run is short: the fixed interval is 3 s (Nomad's 30 s)
// and the backoff policy is the default one divided by 10 (50 ms x1.5 up to 200 ms, ±50%).
//
// CLUSTERS Consul services ("cluster-N"), each with 3 peers that register at a random time in the
// first APPEAR_WINDOW_MS (seeded and stratified, so runs compare). For each cluster one joiner per policy starts
// at 0; both see the same appearance. Time-to-join is measured on the simulator's own clock.
// The built-in providers and simulator modules (the entry points import this first; a bench must too).
import '../entry/compose.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import consulSim from '../providers/consul/sim.js';
import { type RetryJoinOptions, retryJoin } from '../src/join/index.js';
import type { Fleet } from '../src/sim/fleet.js';
import { startSim } from '../src/sim/server.js';
import { fmt, median, percentile, ROOT } from './lib.js';

const SCALE = 10;
const CLUSTERS = 60;
const APPEAR_WINDOW_MS = 9000;
const SEED = 20_260_425;
const FIXED = { retryInterval: 30_000 / SCALE };
// The library's defaults (500ms, x1.5, 2s, ±50%) scaled down alike.
const BACKOFF = { backoff: { initial: 500 / SCALE, max: 2000 / SCALE, multiplier: 1.5, jitter: 0.5 } };

/** mulberry32: a small seeded PRNG, so every run sees the same appearance times. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const random = seeded(SEED);
// Stratified: one random time in each of CLUSTERS equal slices of the window, so a small sample
// still covers every phase of the fixed interval evenly.
const slice = (APPEAR_WINDOW_MS - 200) / CLUSTERS;
const appearAt = Array.from({ length: CLUSTERS }, (_, c) => Math.round(200 + (c + random()) * slice));
const fleet: Fleet = {
  credentials: {},
  instances: [],
  services: appearAt.flatMap((at, c) =>
    [1, 2, 3].map((i) => ({ node: `c${c}-srv-${i}`, node_address: `10.${c}.0.${i}`, service: `cluster-${c}`, port: 4648, appear_after_ms: at })),
  ),
};

const stateDir = await mkdtemp(path.join(tmpdir(), 'autojoin-bench-'));
const sim = await startSim({ fleet, modules: [consulSim], stateDir, caDir: path.join(ROOT, '.sim') });
try {
  const joiner = async (cluster: number, policy: Pick<RetryJoinOptions, 'retryInterval' | 'backoff'>) => {
    let joinedAt = 0;
    const result = await retryJoin({
      entries: [`provider=consul service=cluster-${cluster} address=${sim.httpUrl}`],
      ...policy,
      minJoined: 3,
      join: (addrs) => {
        joinedAt = sim.ctx.elapsedMs();
        return addrs.length;
      },
    });
    return { afterMs: joinedAt - (appearAt[cluster] as number), attempts: result.attempts };
  };
  const started = performance.now();
  const [fixedRuns, backoffRuns] = await Promise.all([
    Promise.all(appearAt.map((_, c) => joiner(c, FIXED))),
    Promise.all(appearAt.map((_, c) => joiner(c, BACKOFF))),
  ]);
  const wallMs = performance.now() - started;

  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const stats = (runs: Array<{ afterMs: number; attempts: number }>) => {
    const after = runs.map((r) => r.afterMs);
    return { mean: mean(after), median: median(after), p90: percentile(after, 90), max: Math.max(...after), requests: mean(runs.map((r) => r.attempts)) };
  };
  const fixed = stats(fixedRuns);
  const backoff = stats(backoffRuns);
  const row = (label: string, s: ReturnType<typeof stats>) =>
    console.log(
      `  ${label.padEnd(40)} ${fmt(s.mean).padStart(10)} ${fmt(s.median).padStart(10)} ${fmt(s.p90).padStart(10)} ${fmt(s.max).padStart(10)} ${s.requests.toFixed(1).padStart(9)}`,
    );
  console.log(
    `join-converge: ${CLUSTERS} clusters whose peers appear at seeded random times in the first ${APPEAR_WINDOW_MS} ms; one joiner per policy per cluster, time scaled 1/${SCALE}`,
  );
  console.log(
    `  ${'policy (scaled)'.padEnd(40)} ${'mean'.padStart(10)} ${'median'.padStart(10)} ${'p90'.padStart(10)} ${'max'.padStart(10)} ${'requests'.padStart(9)}   (time from peers appearing to joined)`,
  );
  row(`backoff ${BACKOFF.backoff.initial}ms x1.5 to ${BACKOFF.backoff.max}ms, ±50%`, backoff);
  row(`baseline: Nomad fixed ${FIXED.retryInterval}ms`, fixed);
  console.log(`  backoff mean / fixed mean: ${(backoff.mean / fixed.mean).toFixed(3)} (goal: under 0.1)`);
  console.log(`  at full scale: backoff mean ${((backoff.mean * SCALE) / 1000).toFixed(2)} s, fixed mean ${((fixed.mean * SCALE) / 1000).toFixed(2)} s`);
  console.log(`  consul requests served: ${sim.counts().consul ?? 0}; wall ${fmt(wallMs)}`);
} finally {
  await sim.close();
  await rm(stateDir, { recursive: true, force: true });
}
