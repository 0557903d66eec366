// The client side: where the token comes from (Nomad's precedence), the JWKS cache's bounded
// refreshes, and retryJoin presenting the token, refusing an expired one and stopping at expiry.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import FakeTimers from '@sinonjs/fake-timers';
import test from 'ava';
import {
  createIntroToken,
  generateIntroKey,
  IntroJwksError,
  IntroTokenExpiredError,
  IntroTokenUnusableError,
  JwksCache,
  readIntroToken,
  verifyIntroToken,
} from '../src/intro/index.js';
import { type RetryJoinOptions, retryJoin } from '../src/join/index.js';
import type { Logger } from '../src/log.js';
import { startHttpServer } from './helpers/servers.js';

const key = await generateIntroKey({ kid: 'k1' });

async function stateDir(t: import('ava').ExecutionContext, content?: string | 'dir'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-state-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  if (content === 'dir') await mkdir(join(dir, 'intro_token.jwt'));
  else if (content !== undefined) await writeFile(join(dir, 'intro_token.jwt'), content);
  return dir;
}

test('precedence: the env variable beats the flag, even when empty; then the state dir file, trimmed', async (t) => {
  const dir = await stateDir(t, '  file-token\n\n');
  const env = { NOMAD_CLIENT_INTRO_TOKEN: 'env-token' };
  t.deepEqual(await readIntroToken({ env, token: 'flag-token', stateDir: dir }), { token: 'env-token', source: 'env' });
  t.deepEqual(await readIntroToken({ env: {}, token: 'flag-token', stateDir: dir }), { token: 'flag-token', source: 'flag' });
  t.deepEqual(await readIntroToken({ env: {}, stateDir: dir }), { token: 'file-token', source: 'file' });
  // Nomad: os.LookupEnv found an empty value, the flag is overridden, and the file is read.
  t.deepEqual(await readIntroToken({ env: { NOMAD_CLIENT_INTRO_TOKEN: '' }, token: 'flag-token', stateDir: dir }), { token: 'file-token', source: 'file' });
  t.deepEqual(await readIntroToken({ env: { MY_TOKEN: 'mine' }, envName: 'MY_TOKEN' }), { token: 'mine', source: 'env' });
  t.is(await readIntroToken({ env: {}, stateDir: await stateDir(t) }), undefined, 'no file: anonymous');
  t.is(await readIntroToken({ env: {}, stateDir: await stateDir(t, ' \n') }), undefined, 'a blank file: anonymous');
});

test("a directory where the token file should be is an error (Nomad's text)", async (t) => {
  await t.throwsAsync(readIntroToken({ env: {}, stateDir: await stateDir(t, 'dir') }), {
    instanceOf: IntroTokenUnusableError,
    code: 'ERR_INTRO_TOKEN_UNUSABLE',
    message: 'intro token file is a directory',
  });
});

test('the JWKS is fetched once, refreshed on an unknown kid at most once per interval, and follows a rotation', async (t) => {
  const rotated = await generateIntroKey({ kid: 'k2' });
  let served = [key.publicJwk];
  const server = await startHttpServer(t, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: served }));
  });
  let clock = Date.now();
  const jwks = new JwksCache({ url: `${server.url}/.well-known/jwks.json`, now: () => clock });
  const token1 = await createIntroToken({ key: key.privateJwk });
  await verifyIntroToken(token1, { keys: jwks });
  await verifyIntroToken(token1, { keys: jwks });
  t.is(jwks.fetches, 1, 'cached');

  served = [key.publicJwk, rotated.publicJwk];
  const token2 = await createIntroToken({ key: rotated.privateJwk });
  // Within the refresh interval of the first fetch: no new fetch, the kid stays unknown.
  await t.throwsAsync(verifyIntroToken(token2, { keys: jwks }), { code: 'ERR_INTRO_UNKNOWN_KID' });
  t.is(jwks.fetches, 1);
  clock += 30_000;
  await verifyIntroToken(token2, { keys: jwks });
  t.is(jwks.fetches, 2, 'the unknown kid caused one refresh');

  // A flood of made-up kids costs at most one fetch per interval.
  const forged = await createIntroToken({ key: (await generateIntroKey({ kid: 'made-up' })).privateJwk });
  for (let i = 0; i < 20; i++) await t.throwsAsync(verifyIntroToken(forged, { keys: jwks }), { code: 'ERR_INTRO_UNKNOWN_KID' });
  t.is(jwks.fetches, 2);
  clock += 30_000;
  for (let i = 0; i < 20; i++) await t.throwsAsync(verifyIntroToken(forged, { keys: jwks }), { code: 'ERR_INTRO_UNKNOWN_KID' });
  t.is(jwks.fetches, 3);
});

test('a JWKS endpoint that fails is a typed error naming the URL; one serving a private key is refused', async (t) => {
  let body = 'oops';
  const server = await startHttpServer(t, (_req, res) => res.end(body));
  const url = `${server.url}/.well-known/jwks.json`;
  const token = await createIntroToken({ key: key.privateJwk });
  await t.throwsAsync(verifyIntroToken(token, { keys: new JwksCache({ url }) }), {
    instanceOf: IntroJwksError,
    code: 'ERR_INTRO_JWKS',
    message: /^jwks http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json: cannot fetch/,
  });
  // While it is down, it is asked at most once per refresh interval.
  let clock = Date.now();
  const down = new JwksCache({ url, now: () => clock });
  for (let i = 0; i < 5; i++) await t.throwsAsync(verifyIntroToken(token, { keys: down }), { code: 'ERR_INTRO_JWKS' });
  t.is(down.fetches, 1);
  clock += 30_000;
  await t.throwsAsync(verifyIntroToken(token, { keys: down }), { code: 'ERR_INTRO_JWKS' });
  t.is(down.fetches, 2);
  body = JSON.stringify({ keys: [key.privateJwk] });
  await t.throwsAsync(verifyIntroToken(token, { keys: new JwksCache({ url }) }), { instanceOf: IntroJwksError, message: /keys\[0\] holds a private key/ });
});

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`[${level}] ${message}`);
  return { lines, debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

function loop(startMs: number, overrides: Partial<RetryJoinOptions> = {}) {
  const clock = FakeTimers.createClock(startMs);
  const logger = recordingLogger();
  const options: RetryJoinOptions = {
    entries: ['10.0.0.1:4647'],
    join: () => 0,
    clock: { now: () => clock.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout },
    logger,
    checkEntry: async (cfg) => ({ redacted: cfg }),
    ...overrides,
  };
  return { clock, logger, options };
}

/** Runs the fake clock until `promise` settles (the loop also awaits real I/O: the lazy import of src/intro). */
async function pump(clock: FakeTimers.Clock, promise: Promise<unknown>): Promise<void> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await clock.runAllAsync();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const START = Date.UTC(2026, 11, 4, 22, 0, 0);

test('retryJoin hands the token to join, from the state dir when env and option give none', async (t) => {
  const token = await createIntroToken({ key: key.privateJwk, ttl: '10m', now: () => START });
  const seen: Array<string | undefined> = [];
  const { options } = loop(START, {
    introToken: { stateDir: await stateDir(t, `${token}\n`) },
    env: {},
    join: (addresses, info) => {
      seen.push(info.introToken);
      return addresses.length;
    },
  });
  await retryJoin(options);
  t.deepEqual(seen, [token]);
});

test('retryJoin refuses to start with an expired token and says when it expired', async (t) => {
  const token = await createIntroToken({ key: key.privateJwk, ttl: '5m', now: () => START - 600_000 });
  let joins = 0;
  const { options } = loop(START, { introToken: token, join: () => ++joins });
  const error = await t.throwsAsync(retryJoin(options), {
    instanceOf: IntroTokenUnusableError,
    message: 'intro token (from option) expired at 2026-12-04T21:55:00.000Z, 5m0s ago; create a new one',
  });
  t.is(joins, 0);
  t.false(error?.message.includes(token));
});

test('retryJoin refuses a token that is not a JWT without quoting it', async (t) => {
  const { options } = loop(START, { introToken: 'hunter2-not-a-jwt' });
  const error = await t.throwsAsync(retryJoin(options), { instanceOf: IntroTokenUnusableError, message: /intro token \(from option\): token is not a JWT/ });
  t.false(error?.message.includes('hunter2'));
});

test('retryJoin warns when the token expires before the expected join, and stops once it has expired', async (t) => {
  const token = await createIntroToken({ key: key.privateJwk, ttl: '5m', now: () => START });
  const { clock, logger, options } = loop(START, {
    introToken: token,
    retryInterval: '2m',
    retryMax: 5,
    join: () => {
      throw new Error('connection refused');
    },
  });
  const running = retryJoin(options);
  const outcome = t.throwsAsync(running, {
    instanceOf: IntroTokenExpiredError,
    code: 'ERR_INTRO_TOKEN_EXPIRED',
    message: 'retry join stopped: the intro token expired at 2026-12-04T22:05:00.000Z after 3 attempt(s) without a join; last error: connection refused',
  });
  await pump(clock, running);
  await outcome;
  t.true(
    logger.lines.includes(
      '[WARN] agent.joiner: intro token expires before the expected join: expires_at=2026-12-04T22:05:00.000Z expires_in=5m0s expected_join=10m0s',
    ),
  );
  t.false(logger.lines.join('\n').includes(token), 'the token is never logged');
});

test('no warning when the token outlives the expected join; none given means no token in join', async (t) => {
  const token = await createIntroToken({ key: key.privateJwk, ttl: '30m', now: () => START });
  const { logger, options } = loop(START, { introToken: token, retryInterval: '30s', join: (a) => a.length });
  await retryJoin(options);
  t.false(logger.lines.some((l) => l.includes('intro token')));
  const seen: unknown[] = [];
  const plain = loop(START, {
    join: (a, info) => {
      seen.push(info.introToken);
      return a.length;
    },
  });
  await retryJoin(plain.options);
  t.deepEqual(seen, [undefined]);
});
