/**
 * The call's deadline is the bound of every request a provider sends through `ctx.http` without
 * a `timeoutMs` of its own: not the client's 60 s default. Each test drives one fake clock
 * (setTimeout, clearTimeout and Date faked, sockets real) past 60 s without waiting for it.
 */
import FakeTimers from '@sinonjs/fake-timers';
import test from 'ava';
import { DEFAULT_TIMEOUT_MS, Discover } from '../src/discover.js';
import { AbortError, TimeoutError } from '../src/errors.js';
import { createHttpClient } from '../src/http/client.js';
import { defineProvider, type Target } from '../src/provider.js';
import { startHttpServer, type TestServer } from './helpers/servers.js';
import { GENEROUS_MS } from './helpers/wait.js';

// Taken before any test fakes the globals: the bound on waiting for a request to arrive.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** Asks `url` with the given options and nothing else (a plugin's plain `ctx.http.request`). */
const patient = defineProvider({
  name: 'patient',
  summary: 'One GET with a timeoutMs of its own (test provider).',
  args: { url: { type: 'url', required: true, help: 'What to GET.' }, timeout_ms: { type: 'int', min: 1, help: 'The request timeoutMs.' } },
  async discover(args, ctx): Promise<Target[]> {
    await ctx.http.request(args.url, { timeoutMs: args.timeout_ms, signal: ctx.signal });
    return [];
  },
});

/** Asks `url` without a signal or a timeout (a careless plugin). */
const deaf = defineProvider({
  name: 'deaf',
  summary: 'One GET without its signal (test provider).',
  args: { url: { type: 'url', required: true, help: 'What to GET.' } },
  async discover(args, ctx): Promise<Target[]> {
    await ctx.http.request(args.url);
    return [];
  },
});

const engine = new Discover({ providers: [patient, deaf] });
const env = { AUTOJOIN_LOOPBACK_ONLY: '1' };

/** `promise`, or a rejection naming `what` after a generous real-time bound (the fake clock does not move on its own). */
function event(promise: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = realSetTimeout(() => reject(new Error(`timeout: ${what} did not happen within ${GENEROUS_MS} ms`)), GENEROUS_MS);
  });
  return Promise.race([promise, bound]).finally(() => realClearTimeout(timer));
}

/** A server that takes requests and never answers: `arrived` at the first request, `dropped` when its client closes it. */
async function hungServer(t: import('ava').ExecutionContext): Promise<TestServer & { arrived: Promise<void>; dropped: () => Promise<void> }> {
  let arrive = () => {};
  let drop = () => {};
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  const closed = new Promise<void>((resolve) => {
    drop = resolve;
  });
  const server = await startHttpServer(t, (req) => {
    req.socket.once('close', () => drop());
    arrive();
  });
  return { ...server, arrived: event(arrived, 'a request'), dropped: () => event(closed, 'the request closed by its client') };
}

function fakeClock(t: import('ava').ExecutionContext): FakeTimers.Clock {
  const clock = FakeTimers.install({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  t.teardown(() => clock.uninstall());
  return clock;
}

function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  const done = () => {
    settled = true;
  };
  promise.then(done, done);
  return { promise, settled: () => settled };
}

const rest: Array<[string, (url: string, port: number) => string]> = [
  ['consul', (_url, port) => `provider=consul address=127.0.0.1:${port} service=nomad`],
  ['digitalocean', (url) => `provider=digitalocean api_token=do-test tag_name=nomad url=${url}`],
];

for (const [provider, config] of rest) {
  test.serial(`${provider}: a request is cut at the call's 120 s timeout, not at the client's 60 s, and the error names the provider`, async (t) => {
    const srv = await hungServer(t);
    const clock = fakeClock(t);
    const call = tracked(engine.addrs(config(srv.url, srv.port), { timeout: 120_000, env }));
    await srv.arrived;
    await clock.tickAsync(DEFAULT_TIMEOUT_MS + 1_000);
    t.false(call.settled(), 'still waiting past the client default');
    t.is(clock.countTimers(), 1, "the call's timer, none of the request's own");
    await clock.tickAsync(120_000 - DEFAULT_TIMEOUT_MS - 1_000);
    const error = await t.throwsAsync(call.promise, {
      instanceOf: TimeoutError,
      code: 'ERR_TIMEOUT',
      message: `discover-${provider} timed out after 120000 ms`,
    });
    t.is(error?.timeoutMs, 120_000);
    t.is(srv.requests().length, 1);
  });
}

test.serial('timeout 0: a request has no timer at all; aborting the signal ends it', async (t) => {
  const srv = await hungServer(t);
  const clock = fakeClock(t);
  const controller = new AbortController();
  const call = tracked(engine.addrs(rest[0]![1](srv.url, srv.port), { timeout: 0, signal: controller.signal, env }));
  await srv.arrived;
  await clock.tickAsync(10 * DEFAULT_TIMEOUT_MS);
  t.false(call.settled(), 'still waiting, ten client defaults later');
  t.is(clock.countTimers(), 0);
  controller.abort();
  await t.throwsAsync(call.promise, { instanceOf: AbortError, code: 'ERR_ABORTED', message: 'discover-consul was aborted' });
});

for (const timeout of [0, 120_000]) {
  test.serial(`a request's own timeoutMs still wins (call timeout ${timeout})`, async (t) => {
    const srv = await hungServer(t);
    const clock = fakeClock(t);
    const call = tracked(engine.addrs(`provider=patient url=${srv.url}/slow timeout_ms=5000`, { timeout, env }));
    await srv.arrived;
    await clock.tickAsync(4_999);
    t.false(call.settled());
    await clock.tickAsync(1);
    t.true(call.settled(), 'ended by its own 5 s timer');
    // ctx.http's own error, named after the provider, not the call's.
    const error = await t.throwsAsync(call.promise, {
      instanceOf: TimeoutError,
      code: 'ERR_TIMEOUT',
      message: `discover-patient: GET ${srv.url}/slow timed out after 5000 ms`,
    });
    t.is(error?.timeoutMs, 5000);
  });
}

test.serial("the call's deadline ends a request sent without its signal, on a client the caller keeps", async (t) => {
  const srv = await hungServer(t);
  const http = createHttpClient({ env });
  t.teardown(() => http.destroy());
  const clock = fakeClock(t);
  const call = engine.addrs(`provider=deaf url=${srv.url}/`, { timeout: 120_000, env, http });
  await srv.arrived;
  await clock.tickAsync(120_000);
  await t.throwsAsync(call, { instanceOf: TimeoutError, message: 'discover-deaf timed out after 120000 ms' });
  // Not left open with no timer: the socket closes now, not when the caller's client is destroyed.
  await srv.dropped();
  t.pass();
});
