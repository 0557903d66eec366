import FakeTimers from '@sinonjs/fake-timers';
import { MAX_RETRY_AFTER_MS } from '../src/http/retry.js';
import test from 'ava';
import { AbortError, ProviderError, TimeoutError, UnknownProviderError, UsageError } from '../src/errors.js';
import {
  type AttemptReport,
  type DiscoverAddrs,
  InvalidAddressError,
  JoinConfigError,
  RetryJoinExhaustedError,
  type RetryJoinOptions,
  retryJoin,
} from '../src/join/index.js';
import type { Logger } from '../src/log.js';

/** A logger that keeps `[LEVEL] message` lines. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => {
    lines.push(`[${level}] ${message}`);
  };
  return { lines, debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

/** A fake clock and the options every test shares: no real DNS, no real engine. */
function setup(overrides: Partial<RetryJoinOptions> = {}) {
  const clock = FakeTimers.createClock(0);
  const loopClock = { now: () => clock.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout };
  const logger = recordingLogger();
  const reports: AttemptReport[] = [];
  const options: RetryJoinOptions = {
    entries: [],
    join: () => 0,
    clock: loopClock,
    logger,
    random: () => 0.5,
    onAttempt: (report) => reports.push(report),
    checkEntry: async (cfg) => ({ redacted: cfg }),
    resolveHost: async () => {
      throw new Error('no DNS in this test');
    },
    ...overrides,
  };
  return { clock, logger, reports, options };
}

/** A discoverAddrs that answers from a table, after `delayMs` of fake time. */
function fakeDiscover(clock: FakeTimers.Clock, table: Record<string, string[] | Error>, delayMs = 0): DiscoverAddrs & { calls: string[] } {
  const calls: string[] = [];
  const fn = (cfg: string) => {
    calls.push(cfg);
    return new Promise<string[]>((resolve, reject) => {
      clock.setTimeout(() => {
        const answer = table[cfg];
        if (answer instanceof Error) reject(answer);
        else resolve(answer ?? []);
      }, delayMs);
    });
  };
  return Object.assign(fn, { calls });
}

test('Nomad timing: retryMax + 1 attempts at the fixed interval, then ERR_RETRY_JOIN_EXHAUSTED', async (t) => {
  const joinedAt: number[] = [];
  const { clock, logger, options } = setup();
  const run = retryJoin({
    ...options,
    entries: ['10.0.0.1', '10.0.0.2:4648'],
    defaultPort: 4648,
    retryMax: 2,
    join: (addrs) => {
      joinedAt.push(clock.now);
      t.deepEqual(addrs, ['10.0.0.1:4648', '10.0.0.2:4648']);
      throw new Error('failed to join 10.0.0.1:4648: dial tcp: i/o timeout');
    },
  });
  const settled = t.throwsAsync(run, { instanceOf: RetryJoinExhaustedError, code: 'ERR_RETRY_JOIN_EXHAUSTED' });
  await clock.runAllAsync();
  const error = await settled;
  t.deepEqual(joinedAt, [0, 30_000, 60_000]);
  t.is(error?.attempts, 3);
  t.regex(error?.message ?? '', /^max join retry exhausted after 3 attempt\(s\): failed to join 10.0.0.1:4648/);
  t.deepEqual(logger.lines, [
    '[INFO] agent.joiner: starting retry join: servers="10.0.0.1 10.0.0.2:4648"',
    '[DEBUG] agent.joiner: discovered join addresses: join_config="10.0.0.1" addresses="10.0.0.1:4648"',
    '[DEBUG] agent.joiner: discovered join addresses: join_config="10.0.0.2:4648" addresses="10.0.0.2:4648"',
    '[WARN] agent.joiner: join failed: error="failed to join 10.0.0.1:4648: dial tcp: i/o timeout" retry=30s',
    '[DEBUG] agent.joiner: discovered join addresses: join_config="10.0.0.1" addresses="10.0.0.1:4648"',
    '[DEBUG] agent.joiner: discovered join addresses: join_config="10.0.0.2:4648" addresses="10.0.0.2:4648"',
    '[WARN] agent.joiner: join failed: error="failed to join 10.0.0.1:4648: dial tcp: i/o timeout" retry=30s',
    '[DEBUG] agent.joiner: discovered join addresses: join_config="10.0.0.1" addresses="10.0.0.1:4648"',
    '[DEBUG] agent.joiner: discovered join addresses: join_config="10.0.0.2:4648" addresses="10.0.0.2:4648"',
    '[WARN] agent.joiner: join failed: error="failed to join 10.0.0.1:4648: dial tcp: i/o timeout"',
    '[ERROR] agent.joiner: max join retry exhausted, exiting',
  ]);
});

test('success on a later attempt reports attempts, addresses and elapsed time', async (t) => {
  const { clock, logger, options } = setup();
  let calls = 0;
  const run = retryJoin({ ...options, entries: ['10.0.0.1'], retryInterval: '5s', join: (addrs) => (++calls === 3 ? addrs.length : 0) });
  await clock.runAllAsync();
  t.deepEqual(await run, { joined: 1, addresses: ['10.0.0.1'], attempts: 3, elapsedMs: 10_000 });
  t.is(clock.countTimers(), 0, 'no timer left behind');
  t.is(logger.lines.at(-1), '[INFO] agent.joiner: retry join completed: initial_servers=1');
  t.true(logger.lines.includes('[WARN] agent.joiner: join failed: error="joined 0 of the 1 required" retry=5s'));
});

test('retryMax 0 retries forever (until stopped)', async (t) => {
  const controller = new AbortController();
  const { clock, options } = setup();
  let calls = 0;
  const run = retryJoin({ ...options, entries: ['10.0.0.1'], retryInterval: 1000, signal: controller.signal, join: () => ++calls && 0 });
  const settled = t.throwsAsync(run, { instanceOf: AbortError, code: 'ERR_ABORTED' });
  await clock.tickAsync(100_500);
  t.is(calls, 101);
  controller.abort();
  await settled;
});

test('abort interrupts the wait at once (Nomad sleeps through it)', async (t) => {
  const controller = new AbortController();
  const { clock, options } = setup();
  const run = retryJoin({ ...options, entries: ['10.0.0.1'], signal: controller.signal, join: () => 0 });
  const settled = t.throwsAsync(run, { instanceOf: AbortError });
  await clock.tickAsync(1000);
  controller.abort();
  await settled;
  t.is(clock.now, 1000);
  t.is(clock.countTimers(), 0);
});

test('a config error fails before the first attempt (real engine: unknown provider)', async (t) => {
  const { options } = setup();
  let discovered = 0;
  let joined = 0;
  const { checkEntry: _, ...withRealCheck } = options;
  await t.throwsAsync(
    retryJoin({
      ...withRealCheck,
      entries: ['10.0.0.1', 'provider=nosuchcloud tag_key=a tag_value=b'],
      discoverAddrs: async () => {
        discovered++;
        return [];
      },
      join: () => ++joined,
    }),
    { instanceOf: UnknownProviderError, code: 'ERR_UNKNOWN_PROVIDER', message: /^discover: unknown provider nosuchcloud/ },
  );
  t.is(discovered, 0);
  t.is(joined, 0);
});

const configErrors: Array<{ name: string; entry: string; instanceOf: new (...args: never[]) => Error; message: string }> = [
  { name: 'bare exec=', entry: 'exec=', instanceOf: JoinConfigError, message: 'exec=: no executable given after "exec="' },
  { name: 'blank exec=', entry: 'exec=   ', instanceOf: JoinConfigError, message: 'exec=: no executable given after "exec="' },
  { name: 'malformed literal', entry: '[2001:db8::1', instanceOf: InvalidAddressError, message: "address [2001:db8::1: missing ']' in address" },
];
for (const c of configErrors) {
  test(`config error fails at once: ${c.name}`, async (t) => {
    const { options } = setup();
    let joined = 0;
    await t.throwsAsync(retryJoin({ ...options, entries: [c.entry], join: () => ++joined }), { instanceOf: c.instanceOf, message: c.message });
    t.is(joined, 0);
  });
}

test('entries are discovered concurrently; order and de-duplication are Nomad-sequential', async (t) => {
  const { clock, options } = setup();
  const discoverAddrs = fakeDiscover(
    clock,
    {
      'provider=a': ['10.0.0.1', '10.0.0.2:5000', '2001:db8::1'],
      'provider=b': ['10.0.0.2:5000', '10.0.0.3'],
    },
    10_000,
  );
  let given: string[] = [];
  const run = retryJoin({
    ...options,
    entries: ['provider=a', 'provider=b', '10.0.0.1'],
    defaultPort: 4647,
    discoverAddrs,
    join: (addrs) => {
      given = addrs;
      return addrs.length;
    },
  });
  await clock.runAllAsync();
  const result = await run;
  // Two 10 s discoveries took 10 s, not 20 s.
  t.is(result.elapsedMs, 10_000);
  t.deepEqual(given, ['10.0.0.1:4647', '10.0.0.2:5000', '[2001:db8::1]:4647', '10.0.0.3:4647']);
  t.deepEqual(discoverAddrs.calls, ['provider=a', 'provider=b']);
});

test('one failing entry is logged with Nomad text and does not stop the others', async (t) => {
  const { clock, logger, options } = setup();
  const discoverAddrs = fakeDiscover(clock, {
    'provider=a': new Error('discover-a: DescribeInstances failed: 500: boom'),
    'provider=b': ['10.0.0.9'],
  });
  const run = retryJoin({ ...options, entries: ['provider=a', 'provider=b'], discoverAddrs, join: (a) => a.length });
  await clock.runAllAsync();
  t.deepEqual((await run).addresses, ['10.0.0.9']);
  t.true(
    logger.lines.includes(
      '[ERROR] agent.joiner: discovering join addresses failed: join_config="provider=a" error="discover-a: DescribeInstances failed: 500: boom"',
    ),
  );
});

test('each entry runs under the timeout; a hung entry does not hold the attempt', async (t) => {
  const { clock, reports, options } = setup();
  const discoverAddrs: DiscoverAddrs = (cfg) => (cfg === 'provider=hang' ? new Promise(() => {}) : Promise.resolve(['10.0.0.5']));
  const run = retryJoin({ ...options, entries: ['provider=hang', 'provider=ok'], timeout: '2s', discoverAddrs, join: (a) => a.length });
  await clock.runAllAsync();
  const result = await run;
  t.is(result.elapsedMs, 2000);
  const hung = reports[0]?.entries[0];
  t.true(hung?.error instanceof TimeoutError);
  t.is(hung?.error?.message, 'discovering provider=hang timed out after 2000 ms');
});

test('the discovery signal aborts on timeout so providers can stop their calls', async (t) => {
  const { clock, options } = setup();
  let seen: AbortSignal | undefined;
  const discoverAddrs: DiscoverAddrs = (_cfg, { signal }) => {
    seen = signal;
    return new Promise(() => {});
  };
  const run = retryJoin({ ...options, entries: ['provider=x'], timeout: 1000, retryMax: 1, retryInterval: 0, discoverAddrs });
  const settled = t.throwsAsync(run, { instanceOf: RetryJoinExhaustedError });
  await clock.runAllAsync();
  const error = await settled;
  t.true(seen?.aborted);
  t.true(seen?.reason instanceof TimeoutError);
  t.is(error?.entries[0]?.error?.message, 'discovering provider=x timed out after 1000 ms');
  t.is(error?.lastError?.message, 'no addresses discovered');
});

test('zero addresses is a failed attempt and is said in the log', async (t) => {
  const { clock, logger, options } = setup();
  let joinCalls = 0;
  const run = retryJoin({
    ...options,
    entries: ['provider=empty'],
    retryMax: 1,
    discoverAddrs: async () => [],
    join: () => ++joinCalls,
  });
  const settled = t.throwsAsync(run, { instanceOf: RetryJoinExhaustedError });
  await clock.runAllAsync();
  await settled;
  t.is(joinCalls, 0);
  t.true(logger.lines.includes('[WARN] agent.joiner: discovered 0 join addresses'));
});

test('minJoined: fewer joined than required is a failure', async (t) => {
  const { clock, options } = setup();
  const run = retryJoin({ ...options, entries: ['10.0.0.1', '10.0.0.2'], minJoined: 3, retryMax: 1, join: (a) => a.length });
  const settled = t.throwsAsync(run, { instanceOf: RetryJoinExhaustedError, message: /joined 2 of the 3 required/ });
  await clock.runAllAsync();
  await settled;
});

test('host names are resolved again at every attempt and every record is used', async (t) => {
  const { clock, options } = setup();
  const answers = [['10.1.0.1'], ['10.1.0.1', '10.1.0.2', '2001:db8::7']];
  const asked: string[] = [];
  const given: string[][] = [];
  const run = retryJoin({
    ...options,
    entries: ['servers.nomad.internal:4647'],
    retryInterval: '1s',
    resolveHost: async (host) => {
      asked.push(host);
      return answers[asked.length - 1] ?? [];
    },
    join: (addrs) => {
      given.push(addrs);
      return addrs.length >= 3 ? addrs.length : 0;
    },
  });
  await clock.runAllAsync();
  t.is((await run).joined, 3);
  t.deepEqual(asked, ['servers.nomad.internal', 'servers.nomad.internal']);
  t.deepEqual(given, [['10.1.0.1:4647'], ['10.1.0.1:4647', '10.1.0.2:4647', '[2001:db8::7]:4647']]);
});

test('without defaultPort, addresses without a port stay without one', async (t) => {
  const { clock, options } = setup();
  const run = retryJoin({ ...options, entries: ['10.0.0.1', '[2001:db8::1]', '10.0.0.2:99'], join: (a) => a.length });
  await clock.runAllAsync();
  t.deepEqual((await run).addresses, ['10.0.0.1', '2001:db8::1', '10.0.0.2:99']);
});

test('opt-in backoff: the waits grow by the multiplier up to the cap', async (t) => {
  const { clock, reports, options } = setup();
  const run = retryJoin({
    ...options,
    entries: ['10.0.0.1'],
    retryMax: 5,
    backoff: { initial: '1s', max: '5s', multiplier: 2, jitter: 0.2 },
    join: () => 0,
  });
  const settled = t.throwsAsync(run, { instanceOf: RetryJoinExhaustedError });
  await clock.runAllAsync();
  await settled;
  t.deepEqual(
    reports.map((r) => r.nextDelayMs),
    [1000, 2000, 4000, 5000, 5000, undefined],
  );
  t.is(clock.now, 17_000);
});

test('a throttled provider stretches the next wait; Retry-After is honoured', async (t) => {
  const { clock, reports, options } = setup();
  const throttled = new ProviderError('aws', 'Request limit exceeded.', {
    operation: 'DescribeInstances',
    status: 503,
    cloudCode: 'RequestLimitExceeded',
    throttled: true,
  });
  const slowDown = new ProviderError('consul', 'rate limited', { operation: 'CatalogService', status: 429, throttled: true, retryAfterMs: 250_000 });
  let call = 0;
  const discoverAddrs: DiscoverAddrs = async () => {
    call++;
    if (call <= 2) throw throttled;
    if (call === 3) throw slowDown;
    return ['10.0.0.1'];
  };
  const run = retryJoin({ ...options, entries: ['provider=aws'], discoverAddrs, join: (a) => a.length });
  await clock.runAllAsync();
  await run;
  // 30 s doubled (capped at 60 s), spread ±50% around the mid draw; then Retry-After wins.
  t.deepEqual(
    reports.map((r) => r.nextDelayMs),
    [60_000, 60_000, 250_000, undefined],
  );
});

test('a Retry-After past the cap waits the cap, and the log says so', async (t) => {
  const { clock, logger, reports, options } = setup();
  // A server asked 2,200,000 s (611 h): before the cap, `discover join` printed "next attempt in 611h"
  // and Node's timer overflowed to 1 ms, so it hammered the API.
  const slowDown = new ProviderError('consul', 'rate limited', { operation: 'CatalogService', status: 429, throttled: true, retryAfterMs: 2_200_000_000 });
  let call = 0;
  const discoverAddrs: DiscoverAddrs = async () => {
    call++;
    if (call === 1) throw slowDown;
    return ['10.0.0.1'];
  };
  const run = retryJoin({ ...options, entries: ['provider=consul'], discoverAddrs, join: (a) => a.length });
  await clock.runAllAsync();
  await run;
  t.deepEqual(
    reports.map((r) => r.nextDelayMs),
    [MAX_RETRY_AFTER_MS, undefined],
  );
  t.is(clock.now, MAX_RETRY_AFTER_MS);
  t.true(
    logger.lines.some((line) => line === '[WARN] agent.joiner: the server asked to wait 611h6m40s (Retry-After); waiting 5m0s, the most honoured'),
    logger.lines.join('\n'),
  );
});

test('watch: re-discovers after the first join and joins again when the addresses change', async (t) => {
  const controller = new AbortController();
  const { clock, logger, reports, options } = setup();
  const fleet = [['10.0.0.1'], ['10.0.0.1'], ['10.0.0.2', '10.0.0.3']];
  let round = 0;
  const joins: string[][] = [];
  const run = retryJoin({
    ...options,
    entries: ['provider=x'],
    watch: { interval: '10s' },
    signal: controller.signal,
    discoverAddrs: async () => fleet[Math.min(round++, fleet.length - 1)] ?? [],
    join: (addrs) => {
      joins.push(addrs);
      return addrs.length;
    },
  });
  await clock.tickAsync(25_000);
  controller.abort();
  const result = await run;
  t.deepEqual(joins, [['10.0.0.1'], ['10.0.0.2', '10.0.0.3']]);
  t.deepEqual(result, { joined: 2, addresses: ['10.0.0.2', '10.0.0.3'], attempts: 3, elapsedMs: 20_000 });
  t.deepEqual(
    reports.map((r) => [r.phase, r.joined]),
    [
      ['join', 1],
      ['watch', 0],
      ['watch', 2],
    ],
  );
  t.true(logger.lines.includes('[INFO] agent.joiner: join addresses changed: added="10.0.0.2 10.0.0.3" removed="10.0.0.1"'));
});

test('no entries is a usage error', async (t) => {
  const { options } = setup();
  await t.throwsAsync(retryJoin({ ...options, entries: [] }), { code: 'ERR_USAGE', message: 'retry join: no entries given' });
});

const badOptions: Array<{ name: string; options: Partial<RetryJoinOptions>; message: string }> = [
  { name: 'defaultPort out of range', options: { defaultPort: 70_000 }, message: 'defaultPort: 70000 is not an integer in 0-65535' },
  { name: 'negative retryMax', options: { retryMax: -1 }, message: 'retryMax: -1 is not an integer >= 0' },
  { name: 'minJoined 0', options: { minJoined: 0 }, message: 'minJoined: 0 is not an integer >= 1' },
  {
    name: 'bad timeout',
    options: { timeout: 'forever' },
    message: 'timeout: invalid duration "forever" (use milliseconds or a Go duration such as 500ms, 30s, 1m30s)',
  },
  { name: 'zero watch interval', options: { watch: { interval: 0 } }, message: 'watch.interval must be above 0' },
];
for (const c of badOptions) {
  test(`bad options are usage errors before anything runs: ${c.name}`, async (t) => {
    const { options } = setup();
    let joined = 0;
    await t.throwsAsync(retryJoin({ ...options, entries: ['10.0.0.1'], join: () => ++joined, ...c.options }), { code: 'ERR_USAGE', message: c.message });
    t.is(joined, 0);
  });
}

test('watch: added / removed in each round report and in onChange; an unchanged round reports none', async (t) => {
  const controller = new AbortController();
  const { clock, reports, options } = setup();
  const fleet = [
    ['10.0.0.1', '10.0.0.2'],
    ['10.0.0.2', '10.0.0.1'],
    ['10.0.0.2', '10.0.0.3'],
  ];
  let round = 0;
  const changes: unknown[] = [];
  const run = retryJoin({
    ...options,
    entries: ['provider=x'],
    signal: controller.signal,
    watch: { interval: '10s', onChange: (change) => changes.push(change) },
    discoverAddrs: async () => fleet[Math.min(round++, fleet.length - 1)] ?? [],
    join: (addrs) => addrs.length,
  });
  await clock.tickAsync(25_000);
  controller.abort();
  t.deepEqual((await run).addresses, ['10.0.0.2', '10.0.0.3']);
  t.is(clock.countTimers(), 0, 'no timer left behind');
  t.deepEqual(
    reports.map((r) => [r.phase, r.added, r.removed]),
    [
      ['join', undefined, undefined],
      ['watch', [], []],
      ['watch', ['10.0.0.3'], ['10.0.0.1']],
    ],
  );
  t.deepEqual(changes, [{ attempt: 3, added: ['10.0.0.3'], removed: ['10.0.0.1'], addresses: ['10.0.0.2', '10.0.0.3'], joined: 2 }]);
});

test('watch: a failing entry keeps its last good addresses; a round where all fail changes nothing', async (t) => {
  const controller = new AbortController();
  const { clock, reports, options } = setup();
  // Round by round: entry a, entry b (an Error = that entry fails that round).
  const plan: Array<[string[] | Error, string[] | Error]> = [
    [['10.0.0.1'], ['10.0.0.2']],
    [new Error('a: 503'), ['10.0.0.2', '10.0.0.3']],
    [new Error('a: 503'), new Error('b: timeout')],
    [['10.0.0.9'], new Error('b: timeout')],
  ];
  let round = -1;
  const discoverAddrs: DiscoverAddrs = async (cfg) => {
    if (cfg === 'provider=a') round++;
    const answer = plan[Math.min(round, plan.length - 1)]?.[cfg === 'provider=a' ? 0 : 1];
    if (answer instanceof Error) throw answer;
    return answer ?? [];
  };
  const joins: string[][] = [];
  const run = retryJoin({
    ...options,
    entries: ['provider=a', 'provider=b'],
    signal: controller.signal,
    watch: { interval: '10s' },
    discoverAddrs,
    join: (addrs) => {
      joins.push(addrs);
      return addrs.length;
    },
  });
  await clock.tickAsync(35_000);
  controller.abort();
  await run;
  t.deepEqual(joins, [
    ['10.0.0.1', '10.0.0.2'],
    ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
    ['10.0.0.9', '10.0.0.2', '10.0.0.3'],
  ]);
  t.deepEqual(
    reports.slice(1).map((r) => [r.added, r.removed]),
    [
      [['10.0.0.3'], []],
      [[], []],
      [['10.0.0.9'], ['10.0.0.1']],
    ],
  );
  t.is(reports[2]?.entries[1]?.error?.message, 'b: timeout');
});

test('watch: a failed re-join keeps the last joined set and is retried next round', async (t) => {
  const controller = new AbortController();
  const { clock, reports, options } = setup();
  let round = 0;
  let joinCalls = 0;
  const changes: string[][] = [];
  const run = retryJoin({
    ...options,
    entries: ['provider=x'],
    signal: controller.signal,
    watch: { interval: '10s', onChange: (c) => changes.push(c.added) },
    discoverAddrs: async () => (round++ === 0 ? ['10.0.0.1'] : ['10.0.0.1', '10.0.0.2']),
    join: (addrs) => {
      joinCalls++;
      if (joinCalls === 2) throw new Error('failed to join 10.0.0.2:4648: connection refused');
      return addrs.length;
    },
  });
  await clock.tickAsync(25_000);
  controller.abort();
  const result = await run;
  t.deepEqual(result.addresses, ['10.0.0.1', '10.0.0.2']);
  t.is(joinCalls, 3);
  t.is(reports[1]?.error?.message, 'failed to join 10.0.0.2:4648: connection refused');
  t.deepEqual(reports[2]?.added, ['10.0.0.2'], 'still new against the last joined set');
  t.deepEqual(changes, [['10.0.0.2']]);
});

test('abort while an attempt is discovering: rejects at once, no timer left behind', async (t) => {
  const controller = new AbortController();
  const { clock, options } = setup();
  const discoverAddrs = fakeDiscover(clock, { 'provider=slow': ['10.0.0.1'] }, 5000);
  const run = retryJoin({ ...options, entries: ['provider=slow'], timeout: '20s', signal: controller.signal, discoverAddrs, join: (a) => a.length });
  const settled = t.throwsAsync(run, { instanceOf: AbortError, code: 'ERR_ABORTED' });
  await clock.tickAsync(1000);
  controller.abort();
  await settled;
  // The fake provider's own 5 s timer is the only one left; the loop's timeout timer is gone.
  t.is(clock.countTimers(), 1);
  await clock.runAllAsync();
  t.is(clock.countTimers(), 0);
});

test('abort while watching: resolves with the last join, no timer left behind', async (t) => {
  const controller = new AbortController();
  const { clock, options } = setup();
  const run = retryJoin({ ...options, entries: ['10.0.0.1'], watch: true, retryInterval: '5s', signal: controller.signal, join: (a) => a.length });
  await clock.tickAsync(12_000);
  t.is(clock.countTimers(), 1, 'the watch wait');
  controller.abort();
  t.like(await run, { joined: 1, addresses: ['10.0.0.1'], attempts: 1 });
  t.is(clock.countTimers(), 0);
});

test('backoff bounds: every wait stays within ±jitter of min(max, initial × multiplier^n)', async (t) => {
  for (const draw of [0, 0.25, 0.999]) {
    const { clock, reports, options } = setup({ random: () => draw });
    const run = retryJoin({ ...options, entries: ['10.0.0.1'], retryMax: 8, backoff: { initial: 100, max: '1s', multiplier: 2, jitter: 0.5 }, join: () => 0 });
    const settled = t.throwsAsync(run, { instanceOf: RetryJoinExhaustedError });
    await clock.runAllAsync();
    await settled;
    const waits = reports.map((r) => r.nextDelayMs).filter((d): d is number => d !== undefined);
    t.is(waits.length, 8);
    waits.forEach((wait, i) => {
      const base = Math.min(1000, 100 * 2 ** i);
      t.true(wait >= base * 0.5 && wait <= base * 1.5, `draw ${draw}, wait ${i}: ${wait} outside [${base * 0.5}, ${base * 1.5}]`);
    });
    t.is(
      clock.now,
      waits.reduce((a, b) => a + b, 0),
      'the loop waited exactly those delays',
    );
  }
});

test("RetryJoinExhaustedError carries each entry's last error, also when the entry answered in the last attempt", async (t) => {
  const { clock, options } = setup();
  let call = 0;
  const discoverAddrs: DiscoverAddrs = async (cfg) => {
    if (cfg === 'provider=flaky') {
      call++;
      if (call === 1) throw new ProviderError('flaky', 'HTTP 500', { operation: 'List', status: 500 });
      return ['10.0.0.1'];
    }
    throw new ProviderError('down', 'connection refused', { operation: 'List' });
  };
  const run = retryJoin({ ...options, entries: ['provider=flaky', 'provider=down'], retryMax: 1, retryInterval: 10, discoverAddrs, join: () => 0 });
  const settled = t.throwsAsync(run, { instanceOf: RetryJoinExhaustedError, code: 'ERR_RETRY_JOIN_EXHAUSTED' });
  await clock.runAllAsync();
  const error = await settled;
  t.deepEqual(
    error?.entries.map((e) => [e.entry, e.addresses, e.error?.message, e.lastError?.message]),
    [
      ['provider=flaky', ['10.0.0.1'], undefined, 'discover-flaky: List failed: 500: HTTP 500'],
      ['provider=down', [], 'discover-down: List failed: connection refused', 'discover-down: List failed: connection refused'],
    ],
  );
  t.regex(error?.message ?? '', /- provider=flaky: 1 address\(es\) \(earlier: discover-flaky: List failed: 500: HTTP 500\)/);
});

test('exec= entries: secret-looking argument values never reach logs or errors', async (t) => {
  const { clock, logger, options } = setup();
  const entry = 'exec=/nonexistent/peers --token=s3cr3t --role server --api-key k3y password=hunter2';
  const run = retryJoin({ ...options, entries: [entry], retryMax: 1, retryInterval: 1 });
  const settled = t.throwsAsync(run, { instanceOf: RetryJoinExhaustedError });
  await clock.runAllAsync();
  const error = await settled;
  const shown = 'exec=/nonexistent/peers --token=*** --role server --api-key *** password=***';
  t.is(error?.entries[0]?.entry, shown);
  t.true(logger.lines[0]?.includes(shown));
  for (const text of [...logger.lines, error?.message ?? '']) t.false(/s3cr3t|k3y|hunter2/.test(text), text);
});

// What a plain JavaScript caller can get wrong: each a usage error at the call, nothing run.
const misuse: Array<{ name: string; options: Record<string, unknown>; message: string }> = [
  { name: 'no join', options: { join: undefined }, message: 'retryJoin: join must be a function (addresses, info) => number joined' },
  { name: 'join not a function', options: { join: 'nomad server join' }, message: 'retryJoin: join must be a function (addresses, info) => number joined' },
  { name: 'entries a string', options: { entries: '10.0.0.1' }, message: 'retryJoin: entries must be an array of strings' },
  { name: 'entries holding a number', options: { entries: ['10.0.0.1', 4648] }, message: 'retryJoin: entries must be an array of strings' },
  { name: 'timeout: true', options: { timeout: true }, message: 'retryJoin: timeout must be milliseconds or a Go duration string' },
  { name: 'retryMax a string', options: { retryMax: '3' }, message: 'retryJoin: retryMax must be a number' },
  { name: 'onAttempt not a function', options: { onAttempt: true }, message: 'retryJoin: onAttempt must be a function' },
  { name: 'engine without check', options: { engine: {} }, message: 'retryJoin: engine must be a Discover instance' },
];
for (const c of misuse) {
  test(`plain JavaScript misuse is a usage error at the call: ${c.name}`, async (t) => {
    const { options } = setup();
    await t.throwsAsync(retryJoin({ ...options, entries: ['10.0.0.1'], ...c.options } as unknown as RetryJoinOptions), {
      instanceOf: UsageError,
      code: 'ERR_USAGE',
      message: c.message,
    });
  });
}

test('a join that returns no number is a usage error, not a success or an endless retry', async (t) => {
  for (const returned of [undefined, 'ok', -1, 1.5]) {
    const { options } = setup();
    await t.throwsAsync(retryJoin({ ...options, entries: ['10.0.0.1'], join: () => returned as unknown as number }), {
      instanceOf: UsageError,
      message: /^retryJoin: join returned (undefined|string|-1|1\.5); it must return the number of peers joined$/,
    });
  }
});

test('addrs(undefined) from plain JavaScript is a usage error', async (t) => {
  const { addrs } = await import('../src/discover.js');
  await t.throwsAsync(addrs(undefined as unknown as string), {
    instanceOf: UsageError,
    message: 'discover: the config string must be a string, not undefined',
  });
});

test('engine: a Discover with a plugin provider serves go-discover entries; lenient turns unknown keys into warnings', async (t) => {
  const { Discover } = await import('../src/discover.js');
  const { defineProvider } = await import('../src/provider.js');
  const fixed = defineProvider({
    name: 'fixed',
    summary: 'test provider',
    args: { addrs: { type: 'list', required: true, help: 'addresses' } },
    discover: async (args) => args.addrs.map((address) => ({ address })),
  });
  const engine = new Discover({ providers: [fixed] });
  const { options } = setup();
  const { checkEntry: _check, ...withEngine } = options;
  const strict = retryJoin({ ...withEngine, engine, entries: ['provider=fixed addrs=10.0.0.7 colour=blue'], join: (a) => a.length });
  await t.throwsAsync(strict, { code: 'ERR_PROVIDER_ARGS', message: /unknown argument "colour"/ });
  const result = await retryJoin({ ...withEngine, engine, lenient: true, entries: ['provider=fixed addrs=10.0.0.7 colour=blue'], join: (a) => a.length });
  t.deepEqual(result.addresses, ['10.0.0.7']);
});
