// Child of bench/join-attempts.ts: one retryJoin in a fresh process, as a booting node runs it,
// through the built package's entry (dist/entry/autojoin.js: the engine with the built-in
// providers and their bundles; dist/src/ alone has no provider). Prints the time each attempt's
// `join` was called, in ms since retryJoin started, and how many addresses it got, as one JSON line.
import { retryJoin } from '../dist/entry/autojoin.js';

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
