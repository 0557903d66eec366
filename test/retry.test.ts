import FakeTimers from '@sinonjs/fake-timers';
import test from 'ava';
import { AbortError, HttpStatusError, NetworkError, ProviderError, TimeoutError } from '../src/errors.js';
import { backoffDelay, classifyHttpError, MAX_RETRY_AFTER_SPREAD_MS, parseRetryAfter, type RetryClock, retryAfterDelay, retryCall } from '../src/http/retry.js';
import { logRetries } from '../src/kit/index.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

/** A fake clock retryCall can use without touching the global timers other tests rely on. */
function fakeClock() {
  const clock = FakeTimers.createClock(NOW);
  const retryClock: RetryClock = {
    now: () => clock.now,
    setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle as FakeTimers.TimerId),
  };
  return { clock, retryClock };
}

const always = () => ({ retry: true });
const boom = (n: number) => new NetworkError(`failure ${n}`, 'http://127.0.0.1/');

// ---- pure pieces ----

const delays: Array<{ retry: number; random: number; expected: number }> = [
  { retry: 1, random: 0, expected: 0 },
  { retry: 1, random: 0.5, expected: 100 },
  { retry: 1, random: 0.999999, expected: 199 },
  { retry: 2, random: 0.5, expected: 200 },
  { retry: 3, random: 0.5, expected: 400 },
  { retry: 5, random: 0.5, expected: 1600 },
  { retry: 6, random: 0.999999, expected: 4999 }, // 200 * 2^5 = 6400, capped at 5000
  { retry: 40, random: 0.5, expected: 2500 },
];
for (const d of delays) {
  test(`backoffDelay(retry ${d.retry}, random ${d.random}) = ${d.expected}`, (t) =>
    t.is(
      backoffDelay(d.retry, 200, 5000, () => d.random),
      d.expected,
    ));
}

const retryAfters: Array<[string | string[] | undefined, number | undefined]> = [
  [undefined, undefined],
  ['', undefined],
  ['0', 0],
  ['3', 3000],
  [' 120 ', 120_000],
  [['7', '9'], 7000],
  ['-1', undefined],
  ['1.5', undefined],
  ['soon', undefined],
  ['Wed, 25 Nov 2026 12:00:05 GMT', 5000],
  ['Wednesday, 25-Nov-26 12:00:10 GMT', 10_000], // RFC 850, obsolete but allowed
  ['Wed Nov 25 12:00:02 2026', 2000], // asctime: no zone, means GMT whatever TZ says
  ['Wed, 25 Nov 2026 11:00:00 GMT', 0], // in the past
];
for (const [header, expected] of retryAfters) {
  test(`parseRetryAfter(${JSON.stringify(header)})`, (t) => t.is(parseRetryAfter(header, NOW), expected));
}

const status = (code: number, headers: Record<string, string> = {}) => new HttpStatusError(code, 'http://127.0.0.1/', '', headers);
const classifications: Array<{ name: string; err: unknown; expected: ReturnType<typeof classifyHttpError> }> = [
  { name: '429 throttled', err: status(429), expected: { retry: true, throttled: true } },
  { name: '429 with Retry-After', err: status(429, { 'retry-after': '4' }), expected: { retry: true, throttled: true, afterMs: 4000 } },
  { name: '503 throttled', err: status(503), expected: { retry: true, throttled: true } },
  { name: '500', err: status(500), expected: { retry: true, throttled: false } },
  { name: '502', err: status(502), expected: { retry: true, throttled: false } },
  { name: '504', err: status(504), expected: { retry: true, throttled: false } },
  { name: '400', err: status(400), expected: { retry: false, throttled: false } },
  { name: '403 ignores Retry-After', err: status(403, { 'retry-after': '4' }), expected: { retry: false, throttled: false } },
  { name: '404', err: status(404), expected: { retry: false, throttled: false } },
  { name: '501', err: status(501), expected: { retry: false, throttled: false } },
  { name: 'NetworkError', err: boom(1), expected: { retry: true } },
  { name: 'TimeoutError', err: new TimeoutError('GET x', 10), expected: { retry: false } },
  { name: 'plain Error', err: new Error('bug'), expected: { retry: false } },
  { name: 'a string', err: 'nope', expected: { retry: false } },
  {
    name: 'throttled ProviderError with retryAfterMs',
    err: new ProviderError('aws', 'slow down', { operation: 'DescribeInstances', status: 503, throttled: true, retryAfterMs: 1500 }),
    expected: { retry: true, throttled: true, afterMs: 1500 },
  },
  {
    name: 'ProviderError 500',
    err: new ProviderError('azure', 'oops', { operation: 'listAll', status: 500 }),
    expected: { retry: true, throttled: false },
  },
  {
    name: 'ProviderError 403',
    err: new ProviderError('gce', 'denied', { operation: 'aggregatedList', status: 403 }),
    expected: { retry: false, throttled: false },
  },
];
for (const c of classifications) {
  test(`classifyHttpError: ${c.name}`, (t) => t.deepEqual(classifyHttpError(c.err, NOW), c.expected));
}

// ---- retryCall ----

test('succeeds at once without waiting', async (t) => {
  const { retryClock } = fakeClock();
  const attempts: number[] = [];
  const value = await retryCall(
    async (attempt) => {
      attempts.push(attempt);
      return 'ok';
    },
    { classify: always, clock: retryClock },
  );
  t.is(value, 'ok');
  t.deepEqual(attempts, [1]);
});

test('retries with full-jitter backoff and returns the first success', async (t) => {
  const { clock, retryClock } = fakeClock();
  const calledAt: number[] = [];
  const pending = retryCall(
    async (attempt) => {
      calledAt.push(clock.now - NOW);
      if (attempt < 3) throw boom(attempt);
      return attempt;
    },
    { classify: always, clock: retryClock, random: () => 0.5 },
  );
  await clock.runAllAsync();
  t.is(await pending, 3);
  // Waits: 0.5 * 200, then 0.5 * 400.
  t.deepEqual(calledAt, [0, 100, 300]);
});

test("logRetries (autojoin/provider) says each retry in the log: the error's text, the attempt to come and the wait", async (t) => {
  const { clock, retryClock } = fakeClock();
  const lines: string[] = [];
  const pending = retryCall(
    async (attempt) => {
      if (attempt < 2) throw new ProviderError('static', 'down', { operation: 'List', status: 503, throttled: true });
      return attempt;
    },
    { classify: always, clock: retryClock, random: () => 0.5, onRetry: logRetries({ info: (line) => lines.push(line) }) },
  );
  await clock.runAllAsync();
  t.is(await pending, 2);
  t.deepEqual(lines, ['discover-static: List failed: 503: down; throttled, attempt 2 of 4 in 100ms']);
});

test('gives up after maxAttempts (4 by default) with the last error', async (t) => {
  const { clock, retryClock } = fakeClock();
  let calls = 0;
  const pending = retryCall(
    async () => {
      calls++;
      throw boom(calls);
    },
    { classify: always, clock: retryClock },
  );
  const settled = t.throwsAsync(pending, { instanceOf: NetworkError, message: 'failure 4' });
  await clock.runAllAsync();
  await settled;
  t.is(calls, 4);
});

test('maxAttempts: 1 makes exactly one attempt', async (t) => {
  const { retryClock } = fakeClock();
  let calls = 0;
  await t.throwsAsync(
    retryCall(
      async () => {
        calls++;
        throw boom(calls);
      },
      { classify: always, clock: retryClock, maxAttempts: 1 },
    ),
    { message: 'failure 1' },
  );
  t.is(calls, 1);
});

test('a failure the classifier rejects is thrown at once', async (t) => {
  const { clock, retryClock } = fakeClock();
  let calls = 0;
  await t.throwsAsync(
    retryCall(
      async () => {
        calls++;
        throw status(403);
      },
      { classify: classifyHttpError, clock: retryClock },
    ),
    { instanceOf: HttpStatusError },
  );
  t.is(calls, 1);
  t.is(clock.now, NOW);
});

test('Retry-After (afterMs) replaces the backoff delay', async (t) => {
  const { clock, retryClock } = fakeClock();
  const calledAt: number[] = [];
  const pending = retryCall(
    async (attempt) => {
      calledAt.push(clock.now - NOW);
      if (attempt === 1) throw status(429, { 'retry-after': '7' });
      return 'done';
    },
    { classify: (err) => classifyHttpError(err, clock.now), clock: retryClock, random: () => 0 },
  );
  await clock.tickAsync(6999);
  t.deepEqual(calledAt, [0]);
  await clock.tickAsync(1);
  t.is(await pending, 'done');
  t.deepEqual(calledAt, [0, 7000]);
});

test("retryAfterDelay: the server's wait plus a draw of up to a tenth of it, at most 1 s", (t) => {
  t.is(
    retryAfterDelay(2000, () => 0),
    2000,
  );
  t.is(
    retryAfterDelay(2000, () => 0.5),
    2100,
  );
  t.is(
    retryAfterDelay(2000, () => 0.9999),
    2199,
  );
  t.is(
    retryAfterDelay(60_000, () => 0.9999),
    60_000 + MAX_RETRY_AFTER_SPREAD_MS - 1,
  );
  t.is(
    retryAfterDelay(0, () => 0.9999),
    0,
  );
});

test('calls throttled together with the same Retry-After come back at different instants, none sooner than asked', async (t) => {
  const { clock, retryClock } = fakeClock();
  const draws = [0.1, 0.6, 0.9];
  const retriedAt: number[] = [];
  const calls = draws.map((draw) =>
    retryCall(
      async (attempt) => {
        if (attempt === 1) throw status(429, { 'retry-after': '2' });
        retriedAt.push(clock.now - NOW);
        return 'done';
      },
      { classify: (err) => classifyHttpError(err, clock.now), clock: retryClock, random: () => draw },
    ),
  );
  await clock.runAllAsync();
  t.deepEqual(await Promise.all(calls), ['done', 'done', 'done']);
  t.deepEqual(retriedAt, [2020, 2120, 2180]);
});

test("the spread added to Retry-After gives way to the deadline; the server's own wait does not", async (t) => {
  const { clock, retryClock } = fakeClock();
  const pending = retryCall(
    async (attempt) => {
      if (attempt === 1) throw status(503, { 'retry-after': '1' });
      return clock.now - NOW;
    },
    { classify: (err) => classifyHttpError(err, clock.now), clock: retryClock, random: () => 0.99, deadline: NOW + 1050 },
  );
  await clock.runAllAsync();
  t.is(await pending, 1050);
});

test('never sleeps past the deadline: gives up with the last error instead', async (t) => {
  const { clock, retryClock } = fakeClock();
  let calls = 0;
  await t.throwsAsync(
    retryCall(
      async () => {
        calls++;
        throw status(503, { 'retry-after': '10' });
      },
      { classify: (err) => classifyHttpError(err, clock.now), clock: retryClock, deadline: NOW + 5000 },
    ),
    { instanceOf: HttpStatusError, message: /HTTP 503/ },
  );
  t.is(calls, 1);
  t.is(clock.now, NOW);
  t.is(clock.countTimers(), 0);
});

test('a wait that ends exactly at the deadline is allowed', async (t) => {
  const { clock, retryClock } = fakeClock();
  const pending = retryCall(
    async (attempt) => {
      if (attempt === 1) throw boom(1);
      return clock.now - NOW;
    },
    { classify: () => ({ retry: true, afterMs: 1000 }), clock: retryClock, deadline: NOW + 1000 },
  );
  await clock.runAllAsync();
  t.is(await pending, 1000);
});

test('abort during the backoff sleep rejects promptly with AbortError and leaves no timer', async (t) => {
  const { clock, retryClock } = fakeClock();
  const controller = new AbortController();
  let calls = 0;
  const pending = retryCall(
    async () => {
      calls++;
      throw boom(calls);
    },
    { classify: () => ({ retry: true, afterMs: 60_000 }), clock: retryClock, signal: controller.signal },
  );
  await clock.tickAsync(10);
  t.is(clock.countTimers(), 1);
  controller.abort();
  await t.throwsAsync(pending, { instanceOf: AbortError, code: 'ERR_ABORTED' });
  t.is(clock.countTimers(), 0);
  t.is(calls, 1);
  t.is(clock.now, NOW + 10);
});

test('abort during an attempt rejects promptly without waiting for it', async (t) => {
  const { retryClock } = fakeClock();
  const controller = new AbortController();
  let rejectAttempt: (err: Error) => void = () => {};
  const pending = retryCall(
    () =>
      new Promise<string>((_resolve, reject) => {
        rejectAttempt = reject;
      }),
    { classify: always, clock: retryClock, signal: controller.signal },
  );
  controller.abort();
  await t.throwsAsync(pending, { instanceOf: AbortError });
  // The abandoned attempt failing later is swallowed, not an unhandled rejection.
  rejectAttempt(boom(1));
});

test('an already aborted signal makes no attempt', async (t) => {
  let calls = 0;
  await t.throwsAsync(
    retryCall(
      async () => {
        calls++;
        return 1;
      },
      { classify: always, signal: AbortSignal.abort() },
    ),
    { instanceOf: AbortError },
  );
  t.is(calls, 0);
});

test('an AbortError from the attempt itself is not retried', async (t) => {
  let calls = 0;
  await t.throwsAsync(
    retryCall(
      async () => {
        calls++;
        throw new AbortError('GET x');
      },
      { classify: always },
    ),
    { instanceOf: AbortError, message: 'GET x was aborted' },
  );
  t.is(calls, 1);
});

test('the real clock works too (tiny delays)', async (t) => {
  let calls = 0;
  const value = await retryCall(
    async () => {
      if (++calls < 3) throw boom(calls);
      return calls;
    },
    { classify: always, baseDelayMs: 2, maxDelayMs: 4 },
  );
  t.is(value, 3);
});
