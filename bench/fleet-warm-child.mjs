// Child of bench/fleet.ts: the same lookup as `discover -q addrs <config>`, run in one process
// through the built package's entry (dist/entry/autojoin.js), 1 + RUNS times. The first run loads
// and compiles the provider; each later one pays only what a lookup costs once everything is loaded:
// the requests, the SDK's or our own parsing of every page, the checks, garbage collection. Prints
// one JSON line: the CPU time (user + system) of each later run, in ms, and how many addresses
// each run returned.
import { discover } from '../dist/entry/autojoin.js';

const [config, runsArg] = process.argv.slice(2);
const runs = Number(runsArg);
const cpuMs = [];
const found = [];
for (let i = 0; i <= runs; i++) {
  const before = process.cpuUsage();
  const targets = await discover(config, { timeout: 600_000 });
  const used = process.cpuUsage(before);
  found.push(targets.length);
  if (i > 0) cpuMs.push((used.user + used.system) / 1000);
}
console.log(JSON.stringify({ cpuMs, found }));
