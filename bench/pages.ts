// Claim: for a list API with numbered pages, reading the pages after the first a few at a time
// (the kit's readNumberedPages) makes a many-page lookup's wall time about the API's round trip
// times the pages divided by 4, where reading them one after another costs the round trip times
// every page. On loopback a round trip is free, so bench/fleet cannot show it: here the simulator
// holds every answer for BENCH_PAGES_LATENCY_MS (default 100 ms, a cross-region round trip to a
// cloud API) with its `latency_ms` fault.
//
// Per provider, `discover -q addrs` against BENCH_PAGES_SIZE (default 10,000) `bench(i)` instances,
// the simulator in a process of its own. Baseline: BENCH_PAGES_BEFORE=<another build's command,
// e.g. its bin/discover.cjs> (one that reads pages one after another), run by the same harness in
// the same run, interleaved; without it, the sequential floor (pages x latency) is printed instead.
// Medians of BENCH_PAGES_RUNS (default 3). Every run must return every instance's address.
// BENCH_PAGES_ONLY=hetzner,softlayer (default hetzner,digitalocean,softlayer).
import '../entry/compose.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { FleetInstance } from '../src/sim/index.js';
import { demoFleet, loadBuiltinSims } from '../src/sim/index.js';
import { CLI, type MeasuredRun, median, runMeasured } from './lib.js';
import { foundOf, startSimProcess } from './sim-process.js';

const SIZE = Number(process.env.BENCH_PAGES_SIZE ?? 10_000);
const RUNS = Number(process.env.BENCH_PAGES_RUNS ?? 3);
const LATENCY_MS = Number(process.env.BENCH_PAGES_LATENCY_MS ?? 100);
const ONLY = (process.env.BENCH_PAGES_ONLY ?? 'hetzner,digitalocean,softlayer').split(',');
const BEFORE = process.env.BENCH_PAGES_BEFORE;

const modules = (await loadBuiltinSims()).filter((m) => m.fleet?.bench && ONLY.includes(m.provider));
const demo = demoFleet(await loadBuiltinSims());
const work = mkdtempSync(path.join(tmpdir(), 'autojoin-bench-pages-'));
const env: Record<string, string | undefined> = { ...process.env, XDG_CACHE_HOME: path.join(work, 'cache') };
delete env.AUTOJOIN_BUNDLES;
const loadBefore = loadavg();
let failed = false;
const lines: string[] = [];

try {
  for (const module of modules) {
    const bench = module.fleet?.bench as (i: number) => FleetInstance;
    const instances = Array.from({ length: SIZE }, (_, i) => bench(i));
    const expected = new Set(instances.flatMap((i) => [i.private_ipv4, i.public_ipv4, i.private_ipv6, i.public_ipv6].filter((a) => a !== undefined)));
    const faults = Object.fromEntries(module.apis.map((api) => [api.name, { latency_ms: LATENCY_MS }]));
    const fleetPath = path.join(work, `${module.provider}.json`);
    writeFileSync(fleetPath, JSON.stringify({ ...demo, instances, services: [], faults }));
    const builds = [{ label: module.provider, cli: CLI }, ...(BEFORE ? [{ label: `${module.provider} (before)`, cli: BEFORE }] : [])];
    const sims = await Promise.all(builds.map((build) => startSimProcess(build.cli, fleetPath, env)));
    try {
      const runs = builds.map(() => [] as Array<MeasuredRun & { requests: number }>);
      for (let run = -1; run < RUNS; run++) {
        for (const [index, build] of builds.entries()) {
          const sim = sims[index] as Awaited<ReturnType<typeof startSimProcess>>;
          const block = sim.paste.blocks.find((b) => b.provider === module.provider);
          if (!block) throw new Error(`${module.provider}: the simulator printed no paste block`);
          await sim.control('DELETE', '/_sim/counts');
          const lookup = await runMeasured([build.cli, '-q', '--timeout', '10m', 'addrs', block.config], { ...env, ...sim.paste.env, ...block.env });
          const requests = Object.values((await sim.control('GET', '/_sim/counts')) as Record<string, number>).reduce((a, b) => a + b, 0);
          const found = foundOf(lookup.stdout, expected);
          if (lookup.code !== 0 || found !== SIZE) {
            failed = true;
            console.log(`  ${build.label}: found ${found} of ${SIZE} (exit ${lookup.code}) ${lookup.stderr.trim().split('\n')[0] ?? ''}`);
          }
          // The first round warms the file and code caches.
          if (run >= 0) (runs[index] as Array<MeasuredRun & { requests: number }>).push({ ...lookup, requests });
        }
      }
      for (const [index, build] of builds.entries()) {
        const measured = runs[index] as Array<MeasuredRun & { requests: number }>;
        const requests = median(measured.map((r) => r.requests));
        const wall = median(measured.map((r) => r.ms));
        lines.push(
          `  ${build.label.padEnd(24)} ${String(requests).padStart(8)} ${`${(requests * LATENCY_MS).toLocaleString('en')} ms`.padStart(16)} ${`${wall.toFixed(0)} ms`.padStart(9)} ${`${median(measured.map((r) => r.cpuMs)).toFixed(0)} ms`.padStart(9)} ${`${median(measured.map((r) => r.rssMB)).toFixed(0)} MB`.padStart(9)}`,
        );
      }
    } finally {
      await Promise.all(sims.map((sim) => sim.stop()));
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(
  `pages: ${SIZE.toLocaleString('en')} instances, every answer held ${LATENCY_MS} ms by the simulator (its own process), \`discover -q addrs\`, medians of ${RUNS}`,
);
console.log(
  `  load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} at start, ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at end`,
);
console.log(
  `  ${'provider'.padEnd(24)} ${'requests'.padStart(8)} ${'one at a time'.padStart(16)} ${'wall'.padStart(9)} ${'CPU'.padStart(9)} ${'peak RSS'.padStart(9)}`,
);
for (const line of lines) console.log(line);
console.log('  ("one at a time": the requests times the latency, the least a reader of one page after another waits)');
if (failed) console.log('FAILED: some runs did not list every instance');
process.exitCode = failed ? 1 : 0;
