/**
 * Every timer is clamped to Node's limit (2^31-1 ms): past it Node fires after 1 ms, so a `600h`
 * timeout failed at once and a `600h` retry interval hammered the API.
 */
import test from 'ava';
import { clampTimerMs, MAX_TIMER_MS, systemClock } from '../src/clock.js';
import { Discover } from '../src/discover.js';
import { createHttpClient } from '../src/http/client.js';
import { retryJoin } from '../src/join/index.js';
import { echo } from './helpers/providers.js';
import { startHttpServer } from './helpers/servers.js';

const HOURS_600 = 600 * 3_600_000;

const cases: Array<[number, number]> = [
  [0, 0],
  [-5, 0],
  [Number.NaN, 0],
  [1500, 1500],
  [MAX_TIMER_MS, MAX_TIMER_MS],
  [MAX_TIMER_MS + 1, MAX_TIMER_MS],
  [HOURS_600, MAX_TIMER_MS],
  [Number.POSITIVE_INFINITY, MAX_TIMER_MS],
];
for (const [input, expected] of cases) {
  test(`clampTimerMs(${input}) is ${expected}`, (t) => {
    t.is(clampTimerMs(input), expected);
  });
}

test.serial('the system clock hands Node a delay it can hold', (t) => {
  const original = globalThis.setTimeout;
  const asked: number[] = [];
  globalThis.setTimeout = ((callback: () => void, ms: number) => {
    asked.push(ms);
    return original(callback, 0);
  }) as typeof setTimeout;
  try {
    systemClock.clearTimeout(systemClock.setTimeout(() => {}, HOURS_600));
  } finally {
    globalThis.setTimeout = original;
  }
  t.deepEqual(asked, [MAX_TIMER_MS]);
});

test('a 600h timeout does not end a discovery call at once', async (t) => {
  const engine = new Discover({ builtins: false, providers: [echo] });
  t.deepEqual(await engine.addrs('provider=echo addrs=10.0.0.1 delay=50ms', { timeout: '600h' }), ['10.0.0.1']);
});

test('a 600h per-request timeout does not end an HTTP request at once', async (t) => {
  // The answer waits for the next turn of the server's loop: a 1 ms timer has long fired by then.
  const server = await startHttpServer(t, (_req, res) => setImmediate(() => setTimeout(() => res.end('ok'), 20)));
  const http = createHttpClient();
  t.teardown(() => http.destroy());
  const response = await http.request(server.url, { timeoutMs: HOURS_600 });
  t.is(response.text(), 'ok');
});

test('a 600h entry timeout in retryJoin does not cut the entry off at once', async (t) => {
  const result = await retryJoin({ entries: ['exec=echo 10.0.0.1'], timeout: '600h', defaultPort: 4648, join: (addrs) => addrs.length });
  t.deepEqual(result.addresses, ['10.0.0.1:4648']);
});
