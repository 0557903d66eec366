// Claim: the secret scan behind a config parse error (`secretFragment` in src/discover.ts) is
// linear in the config's length. Times it on words of growing length beside the end-anchored
// regex it replaced (the baseline, measured in the same run), which grows with the square of the
// length. Asserts nothing.
import { secretFragment } from '../src/discover.js';
import { isSecretName } from '../src/redact.js';

function regexScan(cfg: string, key: string): boolean {
  const at = cfg.lastIndexOf(key);
  const before = /([^\s=]+)\s*=\s*\S+\s+$/.exec(cfg.slice(0, at));
  return before !== null && isSecretName(before[1] as string);
}

function time(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

console.log('word length   secretFragment   old regex (baseline)');
for (const length of [5_000, 10_000, 20_000, 40_000]) {
  // A long unquoted word before the fragment: what a pasted blob in a config looks like.
  const cfg = `provider=aws ${'x'.repeat(length)} tail`;
  const linear = time(() => secretFragment(cfg, 'tail'));
  const baseline = time(() => regexScan(cfg, 'tail'));
  console.log(`${String(length).padStart(11)}   ${linear.toFixed(2).padStart(11)} ms   ${baseline.toFixed(1).padStart(11)} ms`);
}
