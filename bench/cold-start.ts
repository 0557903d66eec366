// Claim: `discover help`, `discover providers` and `discover check` start like a bare node
// (goal: at most 1.5x `node -e 0`), because no cloud SDK loads until its provider runs.
import { CLI, fmt, interleaved } from './lib.js';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const medians = interleaved(
  {
    'node -e 0 (baseline)': ['-e', '0'],
    'discover help': [CLI, 'help'],
    'discover providers': [CLI, 'providers'],
    'discover check': [CLI, 'check', 'provider=aws', 'region=eu-west-1', 'tag_key=role', 'tag_value=nomad', 'secret_access_key=x', 'access_key_id=y'],
  },
  runs,
);
const baseline = medians['node -e 0 (baseline)'] as number;
console.log(`cold-start (median of ${runs} runs, whole process)`);
for (const [label, ms] of Object.entries(medians)) {
  console.log(`  ${label.padEnd(24)} ${fmt(ms).padStart(10)}   ${(ms / baseline).toFixed(2)}x bare node`);
}
