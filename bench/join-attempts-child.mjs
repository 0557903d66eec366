// Child of bench/join-attempts.ts: one retryJoin in a fresh process, as a booting node runs it,
// through the built package (dist/, with its bundles). Prints the time each attempt's `join` was
// called, in ms since retryJoin started, and how many addresses it got, as one JSON line.
import { retryJoin } from '../dist/src/index.js';

const [config, attemptsArg, intervalMs] = process.argv.slice(2);
const attempts = Number(attemptsArg);
const marks = [];
const started = performance.now();
await retryJoin({
  entries: [config],
  retryInterval: Number(intervalMs),
  retryMax: attempts,
  join: (addresses) => {
    marks.push({ ms: performance.now() - started, found: addresses.length });
    return marks.length >= attempts ? 1 : 0;
  },
});
console.log(JSON.stringify(marks));
