/**
 * The production jitter: the retry-join loop's backoff and the retried API call's backoff, each
 * with its default random source (Math.random, observed through a spy that calls the real one,
 * not replaced) and a fake clock. Every wait must come from a real draw, by the documented
 * formula, within the documented bounds (docs/retry-join.md, docs/cli-join.md, docs/http.md).
 * Serial: the spy sits on the global Math.random.
 */
import FakeTimers from '@sinonjs/fake-timers';
import test, { type ExecutionContext } from 'ava';
import { NetworkError } from '../src/errors.js';
import { classifyHttpError, DEFAULT_BASE_DELAY_MS, DEFAULT_MAX_DELAY_MS, type RetryInfo, retryCall } from '../src/http/retry.js';
import { type AttemptReport, RetryJoinExhaustedError, retryJoin } from '../src/join/index.js';
import { silentLogger } from '../src/log.js';

/** Wraps Math.random: each draw of the real source is recorded and returned unchanged. */
function spyOnRandom(t: ExecutionContext): number[] {
  const real = Math.random;
  const draws: number[] = [];
  Math.random = () => {
    const draw = real();
    draws.push(draw);
    return draw;
  };
  t.teardown(() => {
    Math.random = real;
  });
  return draws;
}

function fakeClock() {
  const clock = FakeTimers.createClock(0);
  return { clock, as: { now: () => clock.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout } };
}

test.serial('retry-join backoff with its defaults: each wait is a real draw within ±50% of min(2s, 500ms × 1.5^(n-1))', async (t) => {
  const draws = spyOnRandom(t);
  const { clock, as } = fakeClock();
  const reports: AttemptReport[] = [];
  // No `random` option: the loop's own default source.
  const run = retryJoin({
    entries: ['10.0.0.1'],
    join: () => 0,
    retryMax: 8,
    backoff: true,
    clock: as,
    logger: silentLogger,
    onAttempt: (report) => reports.push(report),
    checkEntry: async (cfg) => ({ redacted: cfg }),
    resolveHost: async () => [],
  });
  const settled = t.throwsAsync(run, { instanceOf: RetryJoinExhaustedError });
  await clock.runAllAsync();
  await settled;
  const waits = reports.map((r) => r.nextDelayMs).filter((d): d is number => d !== undefined);
  t.is(waits.length, 8);
  t.is(draws.length, waits.length, 'one draw of Math.random per wait');
  waits.forEach((wait, i) => {
    const capped = Math.min(2000, 500 * 1.5 ** i);
    t.true(wait >= capped * 0.5 && wait <= capped * 1.5, `wait ${i}: ${wait} outside [${capped * 0.5}, ${capped * 1.5}]`);
    t.is(wait, Math.round(capped * (0.5 + draws[i]!)), `wait ${i} is the draw ${draws[i]} applied`);
  });
  t.is(
    clock.now,
    waits.reduce((a, b) => a + b, 0),
    'the loop waited exactly those delays',
  );
});

test.serial('retried API call with its defaults: each wait is a real full-jitter draw in [0, min(5s, 200ms × 2^(n-1)))', async (t) => {
  const draws = spyOnRandom(t);
  const { clock, as } = fakeClock();
  const retries: RetryInfo[] = [];
  let calls = 0;
  // No `random`, no `baseDelayMs`, no `maxDelayMs`: the defaults every provider's apiCall uses.
  const call = retryCall(
    async () => {
      calls++;
      if (calls < 4) throw new NetworkError('connection reset', 'http://127.0.0.1:1/');
      return 'ok';
    },
    { classify: classifyHttpError, clock: as, onRetry: (retry) => retries.push(retry) },
  );
  await clock.runAllAsync();
  t.is(await call, 'ok');
  t.is(retries.length, 3);
  t.is(draws.length, 3, 'one draw of Math.random per wait');
  retries.forEach((retry, i) => {
    const cap = Math.min(DEFAULT_MAX_DELAY_MS, DEFAULT_BASE_DELAY_MS * 2 ** i);
    t.true(retry.delayMs >= 0 && retry.delayMs < cap, `wait ${i}: ${retry.delayMs} outside [0, ${cap})`);
    t.is(retry.delayMs, Math.floor(draws[i]! * cap), `wait ${i} is the draw ${draws[i]} applied`);
  });
  t.is(
    clock.now,
    retries.reduce((sum, r) => sum + r.delayMs, 0),
    'the call waited exactly those delays',
  );
});
