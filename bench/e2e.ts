// Claim (issue 9): a `discover addrs` lookup against the simulator, as a whole process, costs a few
// node start-ups: aws at most 2.5x a bare `node -e 0`, azure and gce at most 3x, peak RSS at most
// 70 MB. Baseline: `node -e 0`, measured the same way in the same run, interleaved.
// Each provider runs three ways: with a cold V8 code cache (a fresh, empty cache folder each run),
// a warm one (a folder an earlier run filled), and without the build's bundles
// (AUTOJOIN_BUNDLES=0: the plain module graph, what every run paid before the bundles).
// Every run must print the addresses the unbundled warm-up run found: a fast empty answer fails.
// CPU time (user + system, every thread) is printed beside wall time: it moves less when other
// jobs load the machine. BENCH_BEFORE=<a built checkout> adds each lookup with a cold and a warm
// cache run by that checkout's `discover` command (e.g. of the base commit), for before/after
// figures from one run.
// The built-in providers and simulator modules (the entry points import this first; a bench must too).
import '../entry/compose.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadFleet, startSim } from '../src/sim/index.js';
import { defaultFleetPath } from '../src/sim/run.js';
import type { SimPaste } from '../src/sim/types.js';
import { CLI, cliOf, fmt, type MeasuredRun, median, runMeasured, verdict } from './lib.js';

const runs = Number(process.env.BENCH_RUNS ?? 10);
const GOALS: Record<string, number> = { aws: 2.5, azure: 3, gce: 3 };
const RSS_GOAL_MB = 70;

const sim = await startSim({ fleet: await loadFleet(defaultFleetPath()) });
const folders: string[] = [];
const folder = (label: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), `autojoin-bench-${label}-`));
  folders.push(dir);
  return dir;
};
let failed = false;
try {
  const pastes = new Map<string, SimPaste>();
  for (const module of sim.modules) {
    const paste = module.paste?.(sim.ctx);
    if (paste) pastes.set(paste.provider, paste);
  }
  const base: Record<string, string | undefined> = { ...process.env, NODE_EXTRA_CA_CERTS: sim.caPath };
  delete base.AUTOJOIN_BUNDLES;
  delete base.AUTOJOIN_CODE_CACHE;

  interface Row {
    label: string;
    provider?: string;
    args: string[];
    env: () => Record<string, string | undefined>;
    expect?: string;
    samples: MeasuredRun[];
  }
  const rows: Row[] = [{ label: 'node -e 0 (baseline)', args: ['-e', '0'], env: () => base, samples: [] }];
  for (const provider of Object.keys(GOALS)) {
    const paste = pastes.get(provider);
    if (!paste) {
      console.log(`  no simulated ${provider} in the fleet`);
      failed = true;
      continue;
    }
    const env = { ...base, ...paste.env };
    const args = [CLI, '-q', 'addrs', paste.config];
    // The expected answer comes from the unbundled path, independent of the bundles under test.
    const reference = await runMeasured(args, { ...env, AUTOJOIN_BUNDLES: '0', XDG_CACHE_HOME: folder('ref') });
    const expect = reference.stdout.trim();
    if (reference.code !== 0 || expect === '') {
      console.log(`  ${provider}: the reference run found nothing (exit ${reference.code}): ${reference.stderr.trim().split('\n')[0]}`);
      failed = true;
      continue;
    }
    const warm = folder(`${provider}-warm`);
    await runMeasured(args, { ...env, XDG_CACHE_HOME: warm }); // fills the warm cache
    rows.push(
      { label: `${provider}: cold code cache`, provider, args, env: () => ({ ...env, XDG_CACHE_HOME: folder('cold') }), expect, samples: [] },
      { label: `${provider}: warm code cache`, provider, args, env: () => ({ ...env, XDG_CACHE_HOME: warm }), expect, samples: [] },
      { label: `${provider}: unbundled`, args, env: () => ({ ...env, AUTOJOIN_BUNDLES: '0', XDG_CACHE_HOME: warm }), expect, samples: [] },
    );
    const before = process.env.BENCH_BEFORE;
    if (before) {
      const beforeArgs = [cliOf(before), ...args.slice(1)];
      const beforeWarm = folder(`${provider}-before`);
      await runMeasured(beforeArgs, { ...env, XDG_CACHE_HOME: beforeWarm });
      rows.push(
        { label: `${provider}: before, cold cache`, args: beforeArgs, env: () => ({ ...env, XDG_CACHE_HOME: folder('before-cold') }), expect, samples: [] },
        { label: `${provider}: before, warm cache`, args: beforeArgs, env: () => ({ ...env, XDG_CACHE_HOME: beforeWarm }), expect, samples: [] },
      );
    }
  }

  for (let i = 0; i < runs; i++) {
    for (const row of rows) {
      const run = await runMeasured(row.args, row.env());
      if (row.expect !== undefined && (run.code !== 0 || run.stdout.trim() !== row.expect)) {
        console.log(`  ${row.label}: wrong answer (exit ${run.code}): ${JSON.stringify(run.stdout.trim())} ${run.stderr.trim().split('\n')[0] ?? ''}`);
        failed = true;
      }
      row.samples.push(run);
    }
  }

  const baseline = median((rows[0] as Row).samples.map((s) => s.ms));
  const baselineCpu = median((rows[0] as Row).samples.map((s) => s.cpuMs));
  console.log(`e2e: \`discover -q addrs\` as a whole process against the simulator, median of ${runs} runs (wall, peak RSS, CPU user + system)`);
  const figures = new Map<string, { ratio: number; rss: number; cpuRatio: number }>();
  for (const row of rows) {
    const ms = median(row.samples.map((s) => s.ms));
    const rss = median(row.samples.map((s) => s.rssMB));
    const cpu = median(row.samples.map((s) => s.cpuMs));
    figures.set(row.label, { ratio: ms / baseline, rss, cpuRatio: cpu / baselineCpu });
    console.log(
      `  ${row.label.padEnd(28)} ${fmt(ms).padStart(10)} ${`${(ms / baseline).toFixed(2)}x`.padStart(7)} bare node ${`${rss.toFixed(0)} MB`.padStart(7)}   cpu ${fmt(cpu).padStart(10)} ${`${(cpu / baselineCpu).toFixed(2)}x`.padStart(7)}`,
    );
  }
  console.log(`goals (ratio to the bare node above, peak RSS at most ${RSS_GOAL_MB} MB):`);
  for (const [provider, goal] of Object.entries(GOALS)) {
    for (const cache of ['warm', 'cold']) {
      const figure = figures.get(`${provider}: ${cache} code cache`);
      if (!figure) continue;
      const ok = figure.ratio <= goal && figure.rss <= RSS_GOAL_MB;
      console.log(
        `  ${provider}, ${cache} cache: at most ${goal}x and ${RSS_GOAL_MB} MB: ${verdict(ok)} (${figure.ratio.toFixed(2)}x, ${figure.rss.toFixed(0)} MB; cpu ${figure.cpuRatio.toFixed(2)}x)`,
      );
    }
  }
  if (failed) console.log('FAILED: some runs did not print the expected addresses');
} finally {
  await sim.close();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
