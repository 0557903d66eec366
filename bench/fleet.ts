// Claim (issue 9; coverage from issues 11 and 13): each provider lists a 10,000-instance fleet behind
// its API's real paging in at most 6x a bare node's time and 150 MB, and finds every instance.
//
// Which providers: every simulator module whose fleet spec has a `bench(i)` hook
// (providers/<name>/sim-fleet.ts): the hook makes the i-th instance, the module's own paste block
// gives the config string. A new provider is measured with no change here; a module with a paste
// but no hook is printed as not measured.
//
// How: per provider, the simulator runs in a process of its own (`discover --format json sim
// --fleet <file>`, that cloud's instances only), so rendering pages never shares this process or
// the lookup's. Each lookup runs as `discover -q addrs <config>`, as a user runs it, with a warm
// code cache. Measured: wall time, the lookup's own CPU time (user + system: what other jobs on a
// busy machine do not inflate), its peak RSS, the simulator's CPU time for the same lookup, and the
// API requests. Baseline: a bare `node -e 0` measured the same way, interleaved with that provider's
// runs. Medians of BENCH_FLEET_RUNS (default 3). Every run must return every instance's address.
//
// The floor: the same lookup repeated in one process (bench/fleet-warm-child.mjs, the library's
// `discover()`), once to load, then BENCH_FLEET_RUNS times with everything loaded and compiled. Its
// CPU time is what no loading or compiling can take off: the requests, the official SDK's or our own
// parsing of every page, the checks, garbage collection (in a heap already grown, so it is a low
// estimate). A whole process pays at least a bare node's start-up on top, so 1 + warm / bare CPU is
// the lowest ratio loading less could reach: above 6x, the goal is out of reach that way.
//
// BENCH_FLEET_SIZE (default 10000), BENCH_FLEET_ONLY=aws,gce (some providers), BENCH_FLEET_BEFORE=
// <another build's command: its bin/discover.cjs, or bin/discover.js before> adds a row per provider
// for that build, its simulator and its lookup (before/after in one run).
import '../entry/compose.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { FleetInstance, SimModule } from '../src/sim/index.js';
import { demoFleet, loadBuiltinSims } from '../src/sim/index.js';
import { CLI, type MeasuredRun, median, runMeasured, verdict } from './lib.js';
import { foundOf, startSimProcess } from './sim-process.js';

const SIZE = Number(process.env.BENCH_FLEET_SIZE ?? 10_000);
const RUNS = Number(process.env.BENCH_FLEET_RUNS ?? 3);
const ONLY = process.env.BENCH_FLEET_ONLY?.split(',');
const BEFORE = process.env.BENCH_FLEET_BEFORE;
const RATIO_GOAL = 6;
const RSS_GOAL_MB = 150;

interface Row {
  label: string;
  provider: string;
  lookups: MeasuredRun[];
  baseline: MeasuredRun[];
  requests: number[];
  simCpuMs: number[];
  found: number[];
  /** CPU time of a lookup in a process that has already run it (the floor), ms; only for this build. */
  warmCpuMs: number[];
}

const modules = await loadBuiltinSims();
const demo = demoFleet(modules);
const cloudOf = (m: SimModule) => (m.fleet?.cloud === false ? undefined : (m.fleet?.cloud ?? m.provider));
const benched = modules.filter((m) => m.fleet?.bench && (!ONLY || ONLY.includes(m.provider)));
const unmeasured = modules.filter((m) => m.paste && !m.fleet?.bench).map((m) => m.provider);

const work = mkdtempSync(path.join(tmpdir(), 'autojoin-bench-fleet-'));
const env: Record<string, string | undefined> = { ...process.env, XDG_CACHE_HOME: path.join(work, 'cache') };
delete env.AUTOJOIN_BUNDLES;
const rows: Row[] = [];
const loadBefore = loadavg();
let failed = false;
try {
  for (const module of benched) {
    const bench = module.fleet?.bench as (i: number) => FleetInstance;
    const instances = Array.from({ length: SIZE }, (_, i) => bench(i));
    const expected = new Set(instances.flatMap((i) => [i.private_ipv4, i.public_ipv4, i.private_ipv6, i.public_ipv6].filter((a) => a !== undefined)));
    const stray = instances.find((i) => i.cloud !== cloudOf(module));
    if (stray) throw new Error(`${module.provider}: bench(i) made an instance of cloud ${stray.cloud}`);
    const fleetPath = path.join(work, `${module.provider}.json`);
    writeFileSync(fleetPath, JSON.stringify({ ...demo, instances, services: [] }));
    const builds = [{ label: module.provider, cli: CLI }, ...(BEFORE ? [{ label: `${module.provider} (before)`, cli: BEFORE }] : [])];
    for (const build of builds) {
      const row: Row = { label: build.label, provider: module.provider, lookups: [], baseline: [], requests: [], simCpuMs: [], found: [], warmCpuMs: [] };
      rows.push(row);
      // Each build's own simulator, so a faster simulator shows in its row, not in both.
      const sim = await startSimProcess(build.cli, fleetPath, env);
      try {
        const block = sim.paste.blocks.find((b) => b.provider === module.provider);
        if (!block) throw new Error(`${module.provider}: the simulator printed no paste block for a fleet of bench(i) instances`);
        const runEnv = { ...env, ...sim.paste.env, ...block.env };
        // `--timeout`: a lookup of one request per instance (vsphere's guest calls) outlasts the default 60 s here.
        const args = [build.cli, '-q', '--timeout', '10m', 'addrs', block.config];
        await runMeasured(args, runEnv); // warms the file and code caches
        for (let run = 0; run < RUNS; run++) {
          row.baseline.push(await runMeasured(['-e', '0'], env));
          await sim.control('DELETE', '/_sim/counts');
          const simCpuBefore = sim.cpuMs();
          const lookup = await runMeasured(args, runEnv);
          row.simCpuMs.push(sim.cpuMs() - simCpuBefore);
          row.requests.push(Object.values((await sim.control('GET', '/_sim/counts')) as Record<string, number>).reduce((a, b) => a + b, 0));
          row.lookups.push(lookup);
          const found = foundOf(lookup.stdout, expected);
          row.found.push(found);
          if (lookup.code !== 0 || found !== SIZE) {
            failed = true;
            console.log(`  ${row.label}: found ${found} of ${SIZE} (exit ${lookup.code}) ${lookup.stderr.trim().split('\n')[0] ?? ''}`);
          }
        }
        if (build.cli === CLI) {
          const warm = await runMeasured(['bench/fleet-warm-child.mjs', block.config, String(RUNS)], runEnv);
          let answer: { cpuMs?: number[]; found?: number[] } = {};
          try {
            if (warm.code === 0) answer = JSON.parse(warm.stdout.trim().split('\n').at(-1) ?? '{}') as typeof answer;
          } catch {
            // reported below, as a run that found nothing
          }
          row.warmCpuMs = answer.cpuMs ?? [];
          if (row.warmCpuMs.length !== RUNS || answer.found?.some((n) => n !== SIZE)) {
            failed = true;
            console.log(
              `  ${row.label}: the in-process lookups found ${answer.found?.join(', ') ?? 'nothing'} of ${SIZE} (exit ${warm.code}) ${warm.stderr.trim().split('\n')[0] ?? ''}`,
            );
          }
        }
      } finally {
        await sim.stop();
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const loadAfter = loadavg();
const all = rows.flatMap((r) => r.baseline);
const ms = (n: number) => `${n.toFixed(0)} ms`;
console.log(
  `fleet: ${SIZE.toLocaleString('en')} instances per provider, every page, \`discover -q addrs\` as a whole process against a simulator in its own process, warm code cache, medians of ${RUNS}`,
);
console.log(
  `  load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} at start, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} at end; bare \`node -e 0\` over the whole run: ${ms(median(all.map((s) => s.ms)))} wall, ${ms(median(all.map((s) => s.cpuMs)))} CPU, ${median(all.map((s) => s.rssMB)).toFixed(0)} MB`,
);
const header = ['provider', 'requests', 'found', 'wall', 'bare wall', 'ratio', 'CPU', 'bare CPU', 'ratio', 'peak RSS', 'sim CPU', 'warm CPU', 'floor'];
const widths = [24, 9, 7, 9, 10, 7, 9, 9, 7, 9, 9, 9, 7];
const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' ')}`;
console.log(line(header));
const verdicts: string[] = [];
for (const row of rows) {
  const wall = median(row.lookups.map((s) => s.ms));
  const cpu = median(row.lookups.map((s) => s.cpuMs));
  const bareWall = median(row.baseline.map((s) => s.ms));
  const bareCpu = median(row.baseline.map((s) => s.cpuMs));
  const rss = median(row.lookups.map((s) => s.rssMB));
  const warm = row.warmCpuMs.length > 0 ? median(row.warmCpuMs) : undefined;
  console.log(
    line([
      row.label,
      String(median(row.requests)),
      String(Math.min(...row.found)),
      ms(wall),
      ms(bareWall),
      `${(wall / bareWall).toFixed(2)}x`,
      ms(cpu),
      ms(bareCpu),
      `${(cpu / bareCpu).toFixed(2)}x`,
      `${rss.toFixed(0)} MB`,
      ms(median(row.simCpuMs)),
      warm === undefined ? '-' : ms(warm),
      warm === undefined ? '-' : `${(1 + warm / bareCpu).toFixed(2)}x`,
    ]),
  );
  if (!row.label.endsWith('(before)')) {
    const all = Math.min(...row.found) === SIZE;
    const memory = rss <= RSS_GOAL_MB;
    verdicts.push(
      `  ${row.label}: wall ${(wall / bareWall).toFixed(2)}x ${verdict(wall / bareWall <= RATIO_GOAL && memory && all)}; CPU ${(cpu / bareCpu).toFixed(2)}x ${verdict(cpu / bareCpu <= RATIO_GOAL && memory && all)}; ${rss.toFixed(0)} MB${all ? '' : `; found ${Math.min(...row.found)} of ${SIZE}`}${
        warm !== undefined && 1 + warm / bareCpu > RATIO_GOAL ? `; floor ${(1 + warm / bareCpu).toFixed(2)}x: out of reach by loading less` : ''
      }`,
    );
  }
}
console.log(
  '  warm CPU: the same lookup in a process that already ran it (nothing left to load or compile); floor: 1 + warm CPU / bare CPU, the lowest CPU ratio loading less can reach',
);
console.log(
  `goals: at most ${RATIO_GOAL}x a bare node and ${RSS_GOAL_MB} MB, every instance (wall; and by CPU time, what other jobs on the machine do not inflate):`,
);
for (const v of verdicts) console.log(v);
if (unmeasured.length > 0) console.log(`not measured (no bench hook in their sim-fleet.ts): ${unmeasured.join(', ')}`);
if (failed) console.log('FAILED: some runs did not list every instance');
process.exitCode = failed ? 1 : 0;
