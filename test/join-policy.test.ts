import test from 'ava';
import { UsageError } from '../src/errors.js';
import { formatGoDuration, nextDelay, resolvePolicy } from '../src/join/index.js';

test('fixed policy: Nomad default interval, Go duration or ms', (t) => {
  t.deepEqual(resolvePolicy('30s', undefined), { kind: 'fixed', intervalMs: 30_000 });
  t.deepEqual(resolvePolicy(1500, false), { kind: 'fixed', intervalMs: 1500 });
  t.deepEqual(resolvePolicy('1m30s', undefined), { kind: 'fixed', intervalMs: 90_000 });
});

test('backoff policy: defaults and overrides', (t) => {
  t.deepEqual(resolvePolicy('30s', true), { kind: 'backoff', initialMs: 500, maxMs: 2000, multiplier: 1.5, jitter: 0.5 });
  t.deepEqual(resolvePolicy('30s', { initial: '1s', max: '1m', multiplier: 2, jitter: 0 }), {
    kind: 'backoff',
    initialMs: 1000,
    maxMs: 60_000,
    multiplier: 2,
    jitter: 0,
  });
});

const badPolicies: Array<{ name: string; interval: number | string; backoff?: Parameters<typeof resolvePolicy>[1]; message: RegExp }> = [
  { name: 'bad interval', interval: '30 seconds', message: /^retryInterval: invalid duration "30 seconds"/ },
  { name: 'negative interval', interval: -1, message: /^retryInterval: -1 is not a non-negative/ },
  { name: 'max below initial', interval: 0, backoff: { initial: '2s', max: '1s' }, message: /backoff.max \(1000 ms\) is below backoff.initial \(2000 ms\)/ },
  { name: 'multiplier below 1', interval: 0, backoff: { multiplier: 0.5 }, message: /backoff.multiplier: 0.5/ },
  { name: 'jitter above 1', interval: 0, backoff: { jitter: 2 }, message: /backoff.jitter: 2 is not in \[0, 1\]/ },
  { name: 'bad initial', interval: 0, backoff: { initial: 'soon' }, message: /^backoff.initial: invalid duration/ },
];
for (const c of badPolicies) {
  test(`resolvePolicy rejects ${c.name}`, (t) => {
    t.throws(() => resolvePolicy(c.interval, c.backoff), { instanceOf: UsageError, code: 'ERR_USAGE', message: c.message });
  });
}

const fixed = resolvePolicy('30s', undefined);
const backoff = resolvePolicy('30s', { initial: '1s', max: '10s', multiplier: 2, jitter: 0.5 });
const delayCases: Array<{ name: string; policy: typeof fixed; failures: number; streak?: number; retryAfterMs?: number; random: number; expect: number }> = [
  { name: 'fixed ignores failures', policy: fixed, failures: 7, random: 0.9, expect: 30_000 },
  { name: 'backoff first wait, mid jitter', policy: backoff, failures: 1, random: 0.5, expect: 1000 },
  { name: 'backoff grows', policy: backoff, failures: 3, random: 0.5, expect: 4000 },
  { name: 'backoff capped', policy: backoff, failures: 10, random: 0.5, expect: 10_000 },
  { name: 'backoff low jitter', policy: backoff, failures: 1, random: 0, expect: 500 },
  { name: 'backoff high jitter', policy: backoff, failures: 1, random: 0.999999, expect: 1500 },
  {
    name: 'throttle on a fixed interval: twice the interval, spread ±50%, never below it (low draw)',
    policy: fixed,
    failures: 1,
    streak: 1,
    random: 0,
    expect: 30_000,
  },
  { name: 'throttle on a fixed interval: mid draw is twice the interval', policy: fixed, failures: 2, streak: 2, random: 0.5, expect: 60_000 },
  { name: 'throttle on a fixed interval: high draw', policy: fixed, failures: 1, streak: 1, random: 0.999999, expect: 90_000 },
  { name: 'throttle on backoff: the 4 s floor, not a 500 ms step', policy: backoff, failures: 1, streak: 1, random: 0.5, expect: 4000 },
  { name: 'throttle streak of 3 doubles twice', policy: backoff, failures: 3, streak: 3, random: 0.5, expect: 32_000 },
  { name: 'throttle doublings capped at 60 s', policy: backoff, failures: 9, streak: 9, random: 0.5, expect: 60_000 },
  { name: 'retry-after wins when longer', policy: backoff, failures: 1, streak: 1, retryAfterMs: 20_000, random: 0.5, expect: 20_000 },
  { name: 'retry-after ignored when not throttled', policy: fixed, failures: 1, retryAfterMs: 99_000, random: 0, expect: 30_000 },
];
for (const c of delayCases) {
  test(`nextDelay: ${c.name}`, (t) => {
    t.is(nextDelay(c.policy, { failures: c.failures, throttleStreak: c.streak ?? 0, retryAfterMs: c.retryAfterMs, random: c.random }), c.expect);
  });
}

const durations: Array<[number, string]> = [
  [0, '0s'],
  [250, '250ms'],
  [1500, '1.5s'],
  [30_000, '30s'],
  [60_000, '1m0s'],
  [90_000, '1m30s'],
  [3_600_000, '1h0m0s'],
  [3_723_500, '1h2m3.5s'],
];
for (const [ms, text] of durations) {
  test(`formatGoDuration(${ms}) is Go's ${text}`, (t) => {
    t.is(formatGoDuration(ms), text);
  });
}
