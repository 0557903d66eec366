// Claim: `discover help`, `providers`, `check` and `version` start like a bare node (goal: at most
// 1.5x `node -e 0`), because no cloud SDK loads until its provider runs and the CLI itself runs
// from its code-cached bundle. Wall time and CPU time (user + system), each beside the bare node
// measured the same way in the same run, interleaved. BENCH_BEFORE=<a built checkout> (e.g. of the
// base commit) adds the same commands run by that checkout's `discover` command (its package.json
// bin), for before/after figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, cliOf, fmt, interleavedCpu, verdict } from './lib.js';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const GOAL = 1.5;
const CHECK = ['check', 'provider=aws', 'region=eu-west-1', 'tag_key=role', 'tag_value=nomad', 'secret_access_key=x', 'access_key_id=y'];
const COMMANDS: Record<string, string[]> = { help: ['help'], providers: ['providers'], check: CHECK, version: ['version'] };

const commands: Record<string, string[]> = { 'node -e 0 (baseline)': ['-e', '0'] };
for (const [name, args] of Object.entries(COMMANDS)) commands[`discover ${name}`] = [CLI, ...args];
const before = process.env.BENCH_BEFORE;
if (before) {
  for (const [name, args] of Object.entries(COMMANDS)) commands[`before: discover ${name}`] = [cliOf(before), ...args];
}
// A code cache folder of this run's own (the first run of each command fills it).
const cacheHome = mkdtempSync(path.join(tmpdir(), 'autojoin-bench-cold-start-'));
let medians: ReturnType<typeof interleavedCpu>;
try {
  medians = interleavedCpu(commands, runs, { ...process.env, XDG_CACHE_HOME: cacheHome });
} finally {
  rmSync(cacheHome, { recursive: true, force: true });
}
const baseline = medians['node -e 0 (baseline)'] as { ms: number; cpuMs: number };
console.log(`cold-start (median of ${runs} runs, whole process; wall, then CPU user + system)`);
for (const [label, { ms, cpuMs }] of Object.entries(medians)) {
  console.log(
    `  ${label.padEnd(28)} ${fmt(ms).padStart(10)} ${`${(ms / baseline.ms).toFixed(2)}x`.padStart(6)}   cpu ${fmt(cpuMs).padStart(10)} ${`${(cpuMs / baseline.cpuMs).toFixed(2)}x`.padStart(6)} bare node`,
  );
}
console.log(`goal: at most ${GOAL}x a bare node (wall):`);
for (const name of Object.keys(COMMANDS)) {
  const figure = medians[`discover ${name}`] as { ms: number; cpuMs: number };
  const ratio = figure.ms / baseline.ms;
  console.log(`  ${name}: ${verdict(ratio <= GOAL)} (${ratio.toFixed(2)}x wall, ${(figure.cpuMs / baseline.cpuMs).toFixed(2)}x cpu)`);
}
